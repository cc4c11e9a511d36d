import { Kysely, sql } from 'kysely';

/**
 * Registration at scale and the verifiable draw:
 * - entry ids compare in byte order (COLLATE "C"), so the frozen list streams in draw-list order
 *   straight from the primary key;
 * - a pass can be redeemed by one entry only;
 * - the Idempotency-Key of the request that created each entry, for replays;
 * - the draw's outcome: one row per drop plus the full ranking in fixed-size chunks (a million
 *   entries are a hundred rows, written in about a second, instead of a million updates).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The contact row is written in the same transaction as its entry; a per-row foreign-key
    -- trigger would cost the hot path a lookup per registration for nothing.
    ALTER TABLE entrant_contacts DROP CONSTRAINT entrant_contacts_drop_id_entry_id_fkey;
    ALTER TABLE entries ALTER COLUMN entry_id TYPE text COLLATE "C";
    ALTER TABLE entrant_contacts ALTER COLUMN entry_id TYPE text COLLATE "C";
    -- Entries are never updated after the freeze: the draw's outcome lives in the draw tables.
    DROP INDEX entries_rank;
    ALTER TABLE entries DROP COLUMN status, DROP COLUMN draw_rank;

    -- The receipt secret is derived (HMAC of the entry id), so nothing of it is stored.
    ALTER TABLE entries DROP COLUMN receipt_secret_hash;
    ALTER TABLE entries ADD COLUMN pass_id text;
    CREATE UNIQUE INDEX entries_pass_once ON entries (drop_id, pass_id) WHERE pass_id IS NOT NULL;

    -- Idempotency-Key of the request that created the entry, and a fingerprint of that request:
    -- a replay finds its entry through the identity conflict, a reuse of the key for another
    -- request through this index.
    ALTER TABLE entries ADD COLUMN idempotency_key_hash text, ADD COLUMN request_hash text;
    CREATE UNIQUE INDEX entries_idempotency_key ON entries (drop_id, idempotency_key_hash) WHERE idempotency_key_hash IS NOT NULL;

    CREATE TABLE draws (
      drop_id text PRIMARY KEY REFERENCES drops(drop_id),
      entrants integer NOT NULL,
      entrants_digest text NOT NULL,
      draw_seed text NOT NULL,
      chunk_size integer NOT NULL,
      chunks integer NOT NULL,
      winners integer NOT NULL,
      rules jsonb NOT NULL,
      rounds jsonb NOT NULL,
      completed_at timestamptz
    );

    CREATE TABLE draw_ranking_chunks (
      drop_id text NOT NULL REFERENCES drops(drop_id),
      chunk integer NOT NULL,
      entry_ids text NOT NULL,
      PRIMARY KEY (drop_id, chunk)
    );
    -- Already random data: compression would only cost time.
    ALTER TABLE draw_ranking_chunks ALTER COLUMN entry_ids SET STORAGE EXTERNAL;

    CREATE TABLE draw_winners (
      drop_id text NOT NULL REFERENCES drops(drop_id),
      position integer NOT NULL,
      entry_id text COLLATE "C" NOT NULL,
      round text NOT NULL,
      PRIMARY KEY (drop_id, position),
      UNIQUE (drop_id, entry_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE draw_winners, draw_ranking_chunks, draws;
    DROP INDEX entries_pass_once, entries_idempotency_key;
    ALTER TABLE entries DROP COLUMN idempotency_key_hash, DROP COLUMN request_hash;
    ALTER TABLE entries ADD COLUMN status text NOT NULL DEFAULT 'registered', ADD COLUMN draw_rank integer;
    CREATE INDEX entries_rank ON entries (drop_id, draw_rank);
    ALTER TABLE entries DROP COLUMN pass_id;
    ALTER TABLE entries ADD COLUMN receipt_secret_hash text NOT NULL DEFAULT '';
  `.execute(db);
}
