import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import { Pool } from 'pg';
import type { Database } from './schema';
import * as initial from './migrations/0001_initial';

export type Db = Kysely<Database>;

export function createDb(databaseUrl: string, options: { max?: number } = {}): Db {
  const pool = new Pool({ connectionString: databaseUrl, max: options.max ?? 10 });
  // Without a listener, an idle client's error (a Postgres restart) crashes the process.
  pool.on('error', (err) => {
    console.error(`[db] idle client error: ${err.message}`);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Migrations are compiled into the program: no file-system lookup, the same set everywhere. */
const migrations: Record<string, Migration> = {
  '0001_initial': initial,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${String(error)}`);
  }
}
