import { Kysely, sql } from 'kysely';

/**
 * Ops controls: a drop's cancellation (when, why as a reason code, in which phase; the staff
 * member and the free text are in the audit log), per-region registration windows (read by
 * intake with the drop row), the pay and pickup windows as ops last set them (orders read them
 * when they enter the phase), restocks (one row per request, so a retry adds nothing twice),
 * and the index the drop list pages on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE drops
      ADD COLUMN cancelled_at timestamptz,
      ADD COLUMN cancel_reason_code text,
      ADD COLUMN cancelled_in_phase text,
      ADD COLUMN region_windows jsonb,
      ADD COLUMN payment_seconds integer CHECK (payment_seconds > 0),
      ADD COLUMN pickup_seconds integer CHECK (pickup_seconds > 0);
    CREATE TABLE drop_restocks (
      drop_id text NOT NULL REFERENCES drops (drop_id),
      restock_id text NOT NULL,
      node_id text NOT NULL,
      units integer NOT NULL CHECK (units > 0),
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (drop_id, restock_id)
    );
    CREATE INDEX drops_newest ON drops (created_at DESC, drop_id DESC);
    CREATE INDEX drops_phase_newest ON drops (phase, created_at DESC, drop_id DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX drops_phase_newest; DROP INDEX drops_newest; DROP TABLE drop_restocks;
    ALTER TABLE drops DROP COLUMN cancelled_at, DROP COLUMN cancel_reason_code, DROP COLUMN cancelled_in_phase,
      DROP COLUMN region_windows, DROP COLUMN payment_seconds, DROP COLUMN pickup_seconds;
  `.execute(db);
}
