import { Kysely, sql } from 'kysely';

/**
 * Per-staff API keys (only the secret's sha256 is kept) and the audit log every ops and support
 * action writes before it acts: who, in which role, what, on which drop/order/exception, why,
 * under which request, and how it ended.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE staff (
      staff_id text PRIMARY KEY,
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('ops', 'support', 'admin')),
      key_hash bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );
    CREATE TABLE audit_log (
      audit_id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_staff_id text NOT NULL REFERENCES staff (staff_id),
      actor_role text NOT NULL,
      action text NOT NULL,
      drop_id text,
      order_id text,
      exception_id bigint,
      reason_code text,
      reason text,
      request_id text NOT NULL,
      outcome text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'ok', 'refused', 'failed')),
      outcome_detail text,
      finished_at timestamptz
    );
    CREATE INDEX audit_log_drop ON audit_log (drop_id, audit_id) WHERE drop_id IS NOT NULL;
    CREATE INDEX audit_log_order ON audit_log (order_id, audit_id) WHERE order_id IS NOT NULL;
    CREATE INDEX audit_log_actor ON audit_log (actor_staff_id, audit_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audit_log; DROP TABLE staff;`.execute(db);
}
