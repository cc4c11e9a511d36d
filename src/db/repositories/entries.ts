import { sql, type Kysely } from 'kysely';
import type { Database, EntryRow } from '../schema';

type Q = Kysely<Database>;

export interface NewEntry {
  dropId: string;
  entryId: string;
  identityHash: string;
  tier: string;
  weight: number;
  region: string;
  receiptSecretHash: string;
  email: string;
  phone: string | null;
}

export type InsertEntryResult = { kind: 'created' } | { kind: 'duplicate'; entry: EntryRow } | { kind: 'closed' };

/**
 * Inserts an entry only while the drop is taking registrations. The `FOR SHARE` lock on the drop
 * row makes closing wait for in-flight inserts, so the frozen list misses no acknowledged entry.
 */
export async function insertEntryIfOpen(db: Q, e: NewEntry): Promise<InsertEntryResult> {
  return db.transaction().execute(async (trx) => {
    const open = await sql<{ drop_id: string }>`
      SELECT drop_id FROM drops
      WHERE drop_id = ${e.dropId} AND phase = 'registration' AND registration_closes_at > now()
      FOR SHARE`.execute(trx);
    if (open.rows.length === 0) return { kind: 'closed' } as const;
    const inserted = await trx
      .insertInto('entries')
      .values({
        drop_id: e.dropId,
        entry_id: e.entryId,
        identity_hash: e.identityHash,
        tier: e.tier,
        weight: e.weight,
        region: e.region,
        receipt_secret_hash: e.receiptSecretHash,
      })
      .onConflict((oc) => oc.columns(['drop_id', 'identity_hash']).doNothing())
      .returning('entry_id')
      .executeTakeFirst();
    if (!inserted) {
      const existing = await trx
        .selectFrom('entries')
        .selectAll()
        .where('drop_id', '=', e.dropId)
        .where('identity_hash', '=', e.identityHash)
        .executeTakeFirstOrThrow();
      return { kind: 'duplicate', entry: existing } as const;
    }
    await trx
      .insertInto('entrant_contacts')
      .values({ drop_id: e.dropId, entry_id: e.entryId, email: e.email, phone: e.phone })
      .execute();
    return { kind: 'created' } as const;
  });
}

export async function findEntry(db: Q, dropId: string, entryId: string): Promise<EntryRow | undefined> {
  return db.selectFrom('entries').selectAll().where('drop_id', '=', dropId).where('entry_id', '=', entryId).executeTakeFirst();
}

/** Every entry of a drop as the draw sees it, sorted by entryId in byte order (COLLATE "C"). */
export async function listEntriesForDraw(db: Q, dropId: string) {
  const rows = await sql<{ entry_id: string; weight: number; region: string }>`
    SELECT entry_id, weight, region FROM entries WHERE drop_id = ${dropId} ORDER BY entry_id COLLATE "C"`.execute(db);
  return rows.rows;
}

/** Writes draw ranks and outcomes in batches (one statement per batch). */
export async function writeDrawResults(db: Q, dropId: string, ranking: readonly string[], units: number): Promise<void> {
  const batch = 5_000;
  for (let start = 0; start < ranking.length; start += batch) {
    const ids = ranking.slice(start, start + batch);
    const ranks = ids.map((_, i) => start + i);
    await sql`
      UPDATE entries AS e SET draw_rank = r.rank,
        status = CASE WHEN r.rank < ${units} THEN 'won' ELSE 'waitlisted' END
      FROM unnest(${ids}::text[], ${ranks}::int[]) AS r(entry_id, rank)
      WHERE e.drop_id = ${dropId} AND e.entry_id = r.entry_id`.execute(db);
  }
}

export async function countEntries(db: Q, dropId: string): Promise<number> {
  const row = await db
    .selectFrom('entries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('drop_id', '=', dropId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listWinners(db: Q, dropId: string, afterRank: number, limit: number) {
  return db
    .selectFrom('entries')
    .select(['entry_id', 'region', 'draw_rank'])
    .where('drop_id', '=', dropId)
    .where('status', '=', 'won')
    .where('draw_rank', '>', afterRank)
    .orderBy('draw_rank')
    .limit(limit)
    .execute();
}
