import { Kysely, sql } from 'kysely';

/**
 * The full order saga: waitlist promotions, carrier tracking, credits and fallback offers,
 * exceptions opened once per business event, and the provider-facing webhook log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The next ranking position a promotion looks at; only grows.
    ALTER TABLE drops ADD COLUMN waitlist_cursor integer NOT NULL DEFAULT 0;

    ALTER TABLE orders
      ADD COLUMN promoted_from_order_id text,
      ADD COLUMN tracking_status text,
      ADD COLUMN credit_cents integer,
      ADD COLUMN offer_code text,
      -- Carriers asked for a label, in order: a retry checks them before buying anywhere.
      ADD COLUMN label_carriers_tried text[] NOT NULL DEFAULT '{}';
    CREATE INDEX orders_label ON orders (label_id) WHERE label_id IS NOT NULL;
    CREATE INDEX orders_reservation ON orders (compartment_reservation_id) WHERE compartment_reservation_id IS NOT NULL;

    -- One row per lapsed or declined order: who took its unit (entry_id null: the waitlist ran out).
    CREATE TABLE promotions (
      drop_id text NOT NULL,
      replaces_order_id text NOT NULL,
      entry_id text COLLATE "C",
      ranking_position integer,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (drop_id, replaces_order_id)
    );
    CREATE UNIQUE INDEX promotions_entry ON promotions (drop_id, entry_id) WHERE entry_id IS NOT NULL;

    -- authorize_at_entry: the hold placed on an entrant's card at registration. Captured for a
    -- winner's order, voided for everyone else once the drop settles.
    CREATE TABLE entry_authorizations (
      drop_id text NOT NULL,
      entry_id text COLLATE "C" NOT NULL,
      payment_intent_id text NOT NULL UNIQUE,
      amount_cents integer NOT NULL,
      status text NOT NULL DEFAULT 'pending',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (drop_id, entry_id)
    );
    CREATE INDEX entry_authorizations_open ON entry_authorizations (drop_id, status);

    -- Business events (a dispute, a failed compensation) open one exception, however often they are told.
    ALTER TABLE exceptions ADD COLUMN dedupe_key text;
    CREATE UNIQUE INDEX exceptions_dedupe ON exceptions (dedupe_key) WHERE dedupe_key IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX exceptions_dedupe;
    ALTER TABLE exceptions DROP COLUMN dedupe_key;
    DROP TABLE promotions, entry_authorizations;
    DROP INDEX orders_label, orders_reservation;
    ALTER TABLE orders DROP COLUMN promoted_from_order_id, DROP COLUMN tracking_status,
      DROP COLUMN credit_cents, DROP COLUMN offer_code, DROP COLUMN label_carriers_tried;
    ALTER TABLE drops DROP COLUMN waitlist_cursor;
  `.execute(db);
}
