import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE drops (
      drop_id text PRIMARY KEY,
      name text NOT NULL,
      phase text NOT NULL,
      units integer NOT NULL CHECK (units > 0),
      price_cents integer NOT NULL CHECK (price_cents >= 0),
      currency text NOT NULL,
      spec jsonb NOT NULL,
      commitment text,
      seed text,
      entrants_digest text,
      beacon text,
      registration_opens_at timestamptz,
      registration_closes_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE drop_secrets (
      drop_id text PRIMARY KEY REFERENCES drops(drop_id),
      seed text NOT NULL
    );

    CREATE TABLE nodes (
      drop_id text NOT NULL REFERENCES drops(drop_id),
      node_id text NOT NULL,
      region text NOT NULL,
      kind text NOT NULL,
      stock_total integer NOT NULL CHECK (stock_total >= 0),
      stock_remaining integer NOT NULL CHECK (stock_remaining >= 0 AND stock_remaining <= stock_total),
      PRIMARY KEY (drop_id, node_id)
    );

    CREATE TABLE entries (
      drop_id text NOT NULL REFERENCES drops(drop_id),
      entry_id text NOT NULL,
      identity_hash text NOT NULL,
      tier text NOT NULL,
      weight integer NOT NULL CHECK (weight >= 1),
      region text NOT NULL,
      receipt_secret_hash text NOT NULL,
      status text NOT NULL DEFAULT 'registered',
      draw_rank integer,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (drop_id, entry_id),
      UNIQUE (drop_id, identity_hash)
    );
    CREATE INDEX entries_rank ON entries (drop_id, draw_rank);

    CREATE TABLE entrant_contacts (
      drop_id text NOT NULL,
      entry_id text NOT NULL,
      email text NOT NULL,
      phone text,
      PRIMARY KEY (drop_id, entry_id),
      FOREIGN KEY (drop_id, entry_id) REFERENCES entries(drop_id, entry_id)
    );

    CREATE TABLE orders (
      order_id text PRIMARY KEY,
      drop_id text NOT NULL REFERENCES drops(drop_id),
      entry_id text NOT NULL,
      state text NOT NULL,
      state_seq integer NOT NULL DEFAULT 0,
      amount_cents integer NOT NULL,
      currency text NOT NULL,
      region text NOT NULL,
      payment_intent_id text,
      pay_link text,
      node_id text,
      fulfillment text,
      stock_held boolean NOT NULL DEFAULT false,
      compartment_reservation_id text,
      label_id text,
      carrier text,
      tracking_number text,
      claim_code text,
      pay_deadline timestamptz,
      pickup_deadline timestamptz,
      final_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (drop_id, entry_id)
    );
    CREATE INDEX orders_drop_state ON orders (drop_id, state);
    CREATE UNIQUE INDEX orders_payment_intent ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

    CREATE TABLE ledger_postings (
      posting_id bigserial PRIMARY KEY,
      idempotency_key text NOT NULL UNIQUE,
      drop_id text NOT NULL,
      order_id text,
      kind text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE ledger_lines (
      line_id bigserial PRIMARY KEY,
      posting_id bigint NOT NULL REFERENCES ledger_postings(posting_id),
      account text NOT NULL,
      amount_cents bigint NOT NULL
    );

    CREATE TABLE exceptions (
      exception_id bigserial PRIMARY KEY,
      drop_id text NOT NULL,
      order_id text,
      kind text NOT NULL,
      detail text NOT NULL,
      status text NOT NULL DEFAULT 'open',
      sla_deadline timestamptz NOT NULL,
      resolution text,
      created_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz
    );
    CREATE INDEX exceptions_open ON exceptions (status, sla_deadline);

    CREATE TABLE events (
      event_id bigserial PRIMARY KEY,
      drop_id text NOT NULL,
      order_id text,
      kind text NOT NULL,
      data jsonb NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX events_drop ON events (drop_id, event_id);

    CREATE TABLE webhook_events (
      provider text NOT NULL,
      event_id text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (provider, event_id)
    );

    CREATE TABLE reports (
      drop_id text PRIMARY KEY REFERENCES drops(drop_id),
      report jsonb NOT NULL,
      markdown text NOT NULL,
      html text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE reports, webhook_events, events, exceptions, ledger_lines, ledger_postings,
      orders, entrant_contacts, entries, nodes, drop_secrets, drops;
  `.execute(db);
}
