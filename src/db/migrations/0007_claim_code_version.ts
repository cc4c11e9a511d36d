import { Kysely, sql } from 'kysely';

/**
 * The order's claim code version: 0 for the code made with its first reservation; support's
 * extend_pickup and reissue_claim_code each make a new reservation under the next version, so
 * the code derived on read is a new one and a code of an older version is refused.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE orders ADD COLUMN claim_code_version integer NOT NULL DEFAULT 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE orders DROP COLUMN claim_code_version`.execute(db);
}
