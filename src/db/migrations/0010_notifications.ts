import { Kysely, sql } from 'kysely';

/**
 * The notification outbox (issue 15). A row is written in the same transaction as the state
 * change that causes it; the dispatcher delivers it at least once under its stable
 * `message_key` (the e-mail's Message-ID derives from it) and records the outcome. Rows hold no
 * contact details: the dispatcher reads those from `entrant_contacts` when it sends.
 * `lane`: transactional messages are claimed on their own and never wait behind bulk ones.
 * A campaign row (`*_campaign`, no entry) stands for a whole drop's bulk message (the waitlist,
 * a cancellation): the draw writes one row, not a million; the dispatcher expands it in batches.
 * `next_attempt_at` is the lease as well as the schedule: a claimed row is pushed a minute ahead,
 * so a dispatcher that dies mid-send leaves it to be sent again, never lost.
 * `time_zone`: the entrant's IANA zone for the deadlines in their messages (null: UTC).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE entrant_contacts ADD COLUMN time_zone text;
    CREATE TABLE notifications (
      notification_id bigserial PRIMARY KEY,
      message_key text COLLATE "C" NOT NULL UNIQUE,
      drop_id text COLLATE "C" NOT NULL,
      entry_id text COLLATE "C",
      order_id text COLLATE "C",
      kind text NOT NULL,
      lane text NOT NULL CHECK (lane IN ('transactional', 'bulk')),
      priority smallint NOT NULL,
      channel text NOT NULL DEFAULT 'email',
      data jsonb NOT NULL DEFAULT '{}',
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'bounced', 'failed', 'skipped', 'expanded')),
      attempts int NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    );
    CREATE INDEX notifications_due ON notifications (lane, priority, next_attempt_at) WHERE status = 'pending';
    -- The campaigns due: found without walking a million pending waitlist rows in the bulk lane.
    CREATE INDEX notifications_campaigns_due ON notifications (next_attempt_at) WHERE status = 'pending' AND entry_id IS NULL;
    CREATE INDEX notifications_drop ON notifications (drop_id, kind);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE notifications;
    ALTER TABLE entrant_contacts DROP COLUMN time_zone;
  `.execute(db);
}
