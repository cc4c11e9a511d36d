import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema';
import { holdIntakeLocks } from './intake-lock';

type Q = Kysely<Database>;

/** One registration, ready to insert. `email`/`phone` are personal data: they go to their own table. */
export interface IntakeItem {
  dropId: string;
  entryId: string;
  identityHash: string;
  tier: string;
  weight: number;
  region: string;
  passId: string | null;
  email: string;
  phone: string | null;
  idempotency: { keyHash: string; requestHash: string } | null;
}

export type IntakeOutcome =
  | { kind: 'created'; entryId: string; createdAt: Date }
  | { kind: 'duplicate'; entryId: string; createdAt: Date }
  /** The entry this Idempotency-Key created (only keys that created an entry are stored). */
  | { kind: 'replay'; entryId: string; createdAt: Date }
  | { kind: 'key_reused' }
  | { kind: 'closed' }
  | { kind: 'pass_used' };

const byDropThenIdentity = (a: IntakeItem, b: IntakeItem) =>
  a.dropId < b.dropId ? -1 : a.dropId > b.dropId ? 1 : a.identityHash < b.identityHash ? -1 : a.identityHash > b.identityHash ? 1 : 0;

interface Existing {
  d: string;
  e: string;
  i: string;
  k: string | null;
  q: string | null;
  at: string;
}

/**
 * Writes a batch of registrations in one transaction with two statements (three when some
 * were already there), whatever the batch size. Rows travel as one JSON parameter each way:
 * JSON.stringify/parse are native, per-element array escaping is not. The caller guarantees
 * no two items share a (drop, identity), (drop, idempotency key) or (drop, pass).
 *
 * Replays need no lookup up front: a replayed request conflicts on its identity, and the entry
 * it finds carries the Idempotency-Key and request fingerprint that created it.
 */
export async function insertEntryBatch(db: Q, items: readonly IntakeItem[]): Promise<IntakeOutcome[]> {
  if (items.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const dropIds = [...new Set(items.map((it) => it.dropId))];
    // Its own statement: the insert's snapshot must be taken after any freeze has committed.
    await holdIntakeLocks(trx, dropIds);

    // Rows go in identity order, so concurrent batches take their unique-index locks in the
    // same order and cannot deadlock. Conflicts (same identity, key or pass) insert nothing.
    const sorted = [...items].sort(byDropThenIdentity);
    const rows = sorted.map((t) => ({
      d: t.dropId,
      e: t.entryId,
      i: t.identityHash,
      t: t.tier,
      w: t.weight,
      r: t.region,
      p: t.passId,
      m: t.email,
      f: t.phone,
      k: t.idempotency?.keyHash ?? null,
      q: t.idempotency?.requestHash ?? null,
    }));
    const written = await sql<{ created: string[] | null; open: string[] | null; at: Date }>`
      WITH input AS (
        SELECT * FROM json_to_recordset(${JSON.stringify(rows)}::json)
          AS x(d text, e text, i text, t text, w int, r text, p text, m text, f text, k text, q text)
      ), open AS (
        SELECT drop_id FROM drops
        WHERE drop_id IN (SELECT DISTINCT d FROM input) AND phase = 'registration' AND registration_closes_at > now()
      ), ins AS (
        INSERT INTO entries (drop_id, entry_id, identity_hash, tier, weight, region, pass_id, idempotency_key_hash, request_hash)
        SELECT d, e, i, t, w, r, p, k, q FROM input WHERE d IN (SELECT drop_id FROM open) ORDER BY d, i
        ON CONFLICT DO NOTHING
        RETURNING drop_id, entry_id
      ), contacts AS (
        INSERT INTO entrant_contacts (drop_id, entry_id, email, phone)
        SELECT input.d, input.e, input.m, input.f FROM input JOIN ins ON ins.drop_id = input.d AND ins.entry_id = input.e
      )
      SELECT (SELECT json_agg(entry_id) FROM ins) AS created, (SELECT json_agg(drop_id) FROM open) AS open, now() AS at`.execute(trx);
    const created = new Set(written.rows[0]!.created ?? []);
    const open = new Set(written.rows[0]!.open ?? []);
    const at = written.rows[0]!.at;

    // Not inserted: a duplicate, a replay, a reused key, a used pass, or a closed drop (where a
    // keyed request may still be the replay of one acknowledged before the close).
    const unresolved = items.filter((it) => !created.has(it.entryId) && (open.has(it.dropId) || it.idempotency));
    const byIdentity = new Map<string, Existing>();
    const byKey = new Map<string, Existing>();
    if (unresolved.length > 0) {
      const lookup = unresolved.map((it) => ({ d: it.dropId, i: it.identityHash, k: it.idempotency?.keyHash ?? null }));
      const found = await sql<{ found: Existing[] | null }>`
        WITH q AS (SELECT * FROM json_to_recordset(${JSON.stringify(lookup)}::json) AS x(d text, i text, k text)),
        hits AS (
          SELECT e.* FROM q JOIN entries e ON e.drop_id = q.d AND e.identity_hash = q.i
          UNION
          SELECT e.* FROM q JOIN entries e ON e.drop_id = q.d AND e.idempotency_key_hash = q.k
        )
        SELECT json_agg(json_build_object('d', drop_id, 'e', entry_id, 'i', identity_hash, 'k', idempotency_key_hash, 'q', request_hash, 'at', created_at)) AS found
        FROM hits`.execute(trx);
      for (const row of found.rows[0]!.found ?? []) {
        byIdentity.set(`${row.d}\n${row.i}`, row);
        if (row.k) byKey.set(`${row.d}\n${row.k}`, row);
      }
    }

    return items.map((it): IntakeOutcome => {
      if (created.has(it.entryId)) return { kind: 'created', entryId: it.entryId, createdAt: at };
      if (it.idempotency) {
        const prior = byKey.get(`${it.dropId}\n${it.idempotency.keyHash}`);
        if (prior) {
          return prior.q === it.idempotency.requestHash
            ? { kind: 'replay', entryId: prior.e, createdAt: new Date(prior.at) }
            : { kind: 'key_reused' };
        }
      }
      if (!open.has(it.dropId)) return { kind: 'closed' };
      const same = byIdentity.get(`${it.dropId}\n${it.identityHash}`);
      if (same) return { kind: 'duplicate', entryId: same.e, createdAt: new Date(same.at) };
      return { kind: 'pass_used' };
    });
  });
}
