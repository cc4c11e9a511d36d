import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema';

/**
 * The intake/freeze handshake. Every intake transaction holds a shared advisory lock on its drop
 * while it inserts; freezing the entrant list takes the same lock exclusively, so it waits for
 * in-flight registrations and no registration starts until the freeze commits. Advisory locks
 * live in the lock manager: unlike `FOR SHARE` on the drop row, concurrent intake transactions
 * write nothing and share the lock for free.
 */
export const INTAKE_LOCK_CLASS = 7301;

export async function takeFreezeLock(trx: Kysely<Database>, dropId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${INTAKE_LOCK_CLASS}, hashtext(${dropId}))`.execute(trx);
}
