import { Kysely, sql } from 'kysely';

/**
 * What an order has refunded so far, in cents: support's partial refunds add to it and the
 * full refund brings it to the captured amount. Reconcile checks a kept order against
 * `amount_cents - refunded_cents`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE orders ADD COLUMN refunded_cents integer NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE orders DROP COLUMN refunded_cents`.execute(db);
}
