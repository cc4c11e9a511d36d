import { Kysely, sql } from 'kysely';

/**
 * Support's queue: who works an exception (`assigned_to`, `claimed_at`), who closed it and why
 * (`resolved_by`, `resolution_reason_code`), and its SLA escalation: `escalated_at` is set once,
 * by the claim that escalates it; `escalation_notified_at` is the outbox mark of the ops webhook.
 * Indexes: the queue's keyset order, the escalation sweep and its outbox, an order's exceptions
 * and events (the support view of one order).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE exceptions
      ADD COLUMN assigned_to text REFERENCES staff (staff_id),
      ADD COLUMN claimed_at timestamptz,
      ADD COLUMN escalated_at timestamptz,
      ADD COLUMN escalation_notified_at timestamptz,
      ADD COLUMN resolved_by text REFERENCES staff (staff_id),
      ADD COLUMN resolution_reason_code text;
    CREATE INDEX exceptions_queue ON exceptions (sla_deadline, exception_id);
    CREATE INDEX exceptions_escalation_due ON exceptions (sla_deadline) WHERE status = 'open' AND escalated_at IS NULL;
    CREATE INDEX exceptions_escalation_outbox ON exceptions (escalated_at) WHERE escalated_at IS NOT NULL AND escalation_notified_at IS NULL;
    CREATE INDEX exceptions_order ON exceptions (order_id) WHERE order_id IS NOT NULL;
    CREATE INDEX events_order ON events (order_id, event_id) WHERE order_id IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX events_order;
    DROP INDEX exceptions_order;
    DROP INDEX exceptions_escalation_outbox;
    DROP INDEX exceptions_escalation_due;
    DROP INDEX exceptions_queue;
    ALTER TABLE exceptions
      DROP COLUMN resolution_reason_code,
      DROP COLUMN resolved_by,
      DROP COLUMN escalation_notified_at,
      DROP COLUMN escalated_at,
      DROP COLUMN claimed_at,
      DROP COLUMN assigned_to;
  `.execute(db);
}
