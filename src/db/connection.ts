import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import { Pool } from 'pg';
import type { Database } from './schema';
import * as initial from './migrations/0001_initial';
import * as intakeAndDraw from './migrations/0002_intake_and_draw';
import * as orderSaga from './migrations/0003_order_saga';
import * as intakeKeys from './migrations/0004_intake_keys';
import * as staffAndAudit from './migrations/0005_staff_and_audit';
import * as opsControls from './migrations/0006_ops_controls';
import * as claimCodeVersion from './migrations/0007_claim_code_version';
import * as refundedCents from './migrations/0008_refunded_cents';
import * as supportQueue from './migrations/0009_support_queue';
import * as notifications from './migrations/0010_notifications';

export type Db = Kysely<Database>;

export function createDb(databaseUrl: string, options: { max?: number } = {}): Db {
  // A bounded connect wait: while Postgres restarts, requests fail fast (503) instead of hanging.
  const pool = new Pool({ connectionString: databaseUrl, max: options.max ?? 10, connectionTimeoutMillis: 5_000 });
  // Without a listener, an idle client's error (a Postgres restart) crashes the process.
  pool.on('error', (err) => {
    console.error(`[db] idle client error: ${err.message}`);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

const pools = new WeakMap<Db, Pool>();

/** The pg pool behind a Db, for what kysely does not do (COPY streams). */
export function poolOf(db: Db): Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('this Db was not made by createDb');
  return pool;
}

/** Migrations are compiled into the program: no file-system lookup, the same set everywhere. */
const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_intake_and_draw': intakeAndDraw,
  '0003_order_saga': orderSaga,
  '0004_intake_keys': intakeKeys,
  '0005_staff_and_audit': staffAndAudit,
  '0006_ops_controls': opsControls,
  '0007_claim_code_version': claimCodeVersion,
  '0008_refunded_cents': refundedCents,
  '0009_support_queue': supportQueue,
  '0010_notifications': notifications,
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
