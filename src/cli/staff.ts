import { readEnvConfig } from '../config';
import { createDb, migrateToLatest } from '../db/connection';
import { DomainError } from '../domain/errors';
import { STAFF_ROLES, type StaffRole } from '../domain/staff/staff';
import { addStaff, listStaffMembers, revokeStaff } from '../services/staff/staff';
import { parseCommandArgs, usageError } from './args';

/**
 * `drops staff add --name "…" --role ops|support|admin`: adds a member and prints their API key,
 * once (only its hash is stored). `drops staff revoke <staffId>`: the key stops working at once.
 * `drops staff list`: ids, names, roles, revoked. Exit 0 ok, 1 failure (an unknown id), 2 usage.
 */
const USAGE = 'drops staff add --name NAME --role ops|support|admin | drops staff revoke <staffId> | drops staff list   [--database URL] (or DATABASE_URL)';

export async function runStaff(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const parsed = parseCommandArgs(
    'staff',
    USAGE,
    { args: rest, allowPositionals: true, options: { name: { type: 'string' }, role: { type: 'string' }, database: { type: 'string' } } },
    1,
  );
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const databaseUrl = values.database ?? readEnvConfig().DATABASE_URL;
  if (!databaseUrl) return usageError('staff', USAGE, '--database or DATABASE_URL is required') ?? 2;
  let run: (db: ReturnType<typeof createDb>) => Promise<number>;
  switch (verb) {
    case 'add': {
      const name = values.name?.trim();
      const role = values.role as StaffRole | undefined;
      if (!name || name.length > 200) return usageError('staff', USAGE, '--name (1 to 200 characters) is required') ?? 2;
      if (!role || !STAFF_ROLES.includes(role)) return usageError('staff', USAGE, `--role must be one of ${STAFF_ROLES.join(', ')}`) ?? 2;
      if (positionals.length > 0) return usageError('staff', USAGE, `unexpected argument '${positionals[0]}'`) ?? 2;
      run = async (db) => {
        const { staffId, key } = await addStaff(db, name, role);
        // The key goes to stdout alone on its line, so a script can capture it; it is not shown again.
        console.error(`added ${staffId} (${role}); its API key, shown once:`);
        console.log(key);
        return 0;
      };
      break;
    }
    case 'revoke': {
      const [staffId] = positionals;
      if (!staffId) return usageError('staff', USAGE, 'a staff id is required') ?? 2;
      run = async (db) => {
        await revokeStaff(db, staffId);
        console.log(`revoked ${staffId}`);
        return 0;
      };
      break;
    }
    case 'list':
      run = async (db) => {
        for (const m of await listStaffMembers(db)) {
          console.log(`${m.staff_id}\t${m.role}\t${m.revoked_at ? `revoked ${new Date(m.revoked_at).toISOString()}` : 'active'}\t${m.name}`);
        }
        return 0;
      };
      break;
    default:
      return usageError('staff', USAGE, verb ? `unknown subcommand '${verb}'` : 'a subcommand is required') ?? 2;
  }
  const db = createDb(databaseUrl, { max: 2 });
  try {
    await migrateToLatest(db);
    return await run(db);
  } catch (err) {
    if (err instanceof DomainError) {
      console.error(`drops staff: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await db.destroy();
  }
}
