import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema';
import { enqueueCampaign } from './notifications';

type Q = Kysely<Database>;

export interface DrawSummary {
  entrants: number;
  entrantsDigest: string;
  drawSeed: string;
  chunkSize: number;
  chunks: number;
  winners: number;
  rules: unknown;
  rounds: unknown;
}

/** Which ranking chunks are already written: a resumed draw skips them. */
export async function writtenChunks(db: Q, dropId: string): Promise<Set<number>> {
  const rows = await db.selectFrom('draw_ranking_chunks').select('chunk').where('drop_id', '=', dropId).execute();
  return new Set(rows.map((r) => r.chunk));
}

/** One chunk of the ranking: its entry ids, one per line. */
export async function writeRankingChunk(db: Q, dropId: string, chunk: number, entryIdLines: string): Promise<void> {
  await db
    .insertInto('draw_ranking_chunks')
    .values({ drop_id: dropId, chunk, entry_ids: entryIdLines })
    .onConflict((oc) => oc.columns(['drop_id', 'chunk']).doNothing())
    .execute();
}

/** The winners in one statement (one JSON parameter); a retry finds them there and adds nothing. */
export async function insertWinners(db: Q, dropId: string, winners: ReadonlyArray<{ entryId: string; position: number; round: string }>): Promise<void> {
  if (winners.length === 0) return;
  await sql`
    INSERT INTO draw_winners (drop_id, position, entry_id, round)
    SELECT ${dropId}, p, e, r FROM json_to_recordset(${JSON.stringify(winners.map((w) => ({ p: w.position, e: w.entryId, r: w.round })))}::json)
      AS x(p int, e text, r text)
    ON CONFLICT DO NOTHING`.execute(db);
}

export async function findWinner(db: Q, dropId: string, entryId: string) {
  return db.selectFrom('draw_winners').selectAll().where('drop_id', '=', dropId).where('entry_id', '=', entryId).executeTakeFirst();
}

/** Every winner's entry id and round, in draw order (the published record's winner lists). */
export async function listWinnerRounds(db: Q, dropId: string) {
  return db.selectFrom('draw_winners').select(['entry_id', 'round']).where('drop_id', '=', dropId).orderBy('position').execute();
}

/** Winners in draw order, with the region their order is routed by. */
export async function listWinners(db: Q, dropId: string, afterPosition: number, limit: number) {
  return db
    .selectFrom('draw_winners as w')
    .innerJoin('entries as e', (j) => j.onRef('e.drop_id', '=', 'w.drop_id').onRef('e.entry_id', '=', 'w.entry_id'))
    .select(['w.entry_id', 'e.region', 'w.position', 'w.round'])
    .where('w.drop_id', '=', dropId)
    .where('w.position', '>', afterPosition)
    .orderBy('w.position')
    .limit(limit)
    .execute();
}

/** The draw's summary row; written last, in one transaction with the seed's reveal. */
export async function completeDraw(db: Q, dropId: string, seed: string, s: DrawSummary): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('draws')
      .values({
        drop_id: dropId,
        entrants: s.entrants,
        entrants_digest: s.entrantsDigest,
        draw_seed: s.drawSeed,
        chunk_size: s.chunkSize,
        chunks: s.chunks,
        winners: s.winners,
        rules: JSON.stringify(s.rules),
        rounds: JSON.stringify(s.rounds),
        completed_at: new Date(),
      })
      .onConflict((oc) => oc.column('drop_id').doNothing())
      .execute();
    await trx
      .updateTable('drops')
      .set({ seed, updated_at: sql`now()` })
      .where('drop_id', '=', dropId)
      .execute();
    // One row stands for every waitlisted entrant's message; the dispatcher expands it in batches.
    await enqueueCampaign(trx, 'waitlist_campaign', dropId);
  });
}

export async function findDraw(db: Q, dropId: string) {
  return db.selectFrom('draws').selectAll().where('drop_id', '=', dropId).where('completed_at', 'is not', null).executeTakeFirst();
}

/** The ranking, chunk by chunk, in draw order. */
export async function* rankingChunks(db: Q, dropId: string): AsyncGenerator<string[]> {
  for (let chunk = 0; ; chunk++) {
    const row = await db.selectFrom('draw_ranking_chunks').select('entry_ids').where('drop_id', '=', dropId).where('chunk', '=', chunk).executeTakeFirst();
    if (!row) return;
    yield row.entry_ids === '' ? [] : row.entry_ids.split('\n');
  }
}

/** An entry's position in the ranking, searched in Postgres (one entrant's own page, not a hot path). */
export async function findDrawPosition(db: Q, dropId: string, entryId: string): Promise<{ position: number } | null> {
  const draw = await findDraw(db, dropId);
  if (!draw) return null;
  const row = await sql<{ position: number }>`
    SELECT c.chunk * ${draw.chunk_size} + (array_position(string_to_array(c.entry_ids, E'\\n'), ${entryId}) - 1) AS position
    FROM draw_ranking_chunks c
    WHERE c.drop_id = ${dropId} AND position(${entryId} in c.entry_ids) > 0
    LIMIT 1`.execute(db);
  return row.rows[0] ?? null;
}

/** Every frozen entry in byte order of entryId, page by page (keyset, never OFFSET). */
export async function* frozenEntries(db: Q, dropId: string, page = 10_000) {
  let after = '';
  for (;;) {
    const rows = await sql<{ entry_id: string; weight: number; tier: string; region: string }>`
      SELECT entry_id, weight, tier, region FROM entries
      WHERE drop_id = ${dropId} AND entry_id > ${after}
      ORDER BY entry_id LIMIT ${page}`.execute(db);
    if (rows.rows.length === 0) return;
    yield rows.rows;
    after = rows.rows[rows.rows.length - 1]!.entry_id;
    if (rows.rows.length < page) return;
  }
}

/**
 * How many entries ranked ahead of `position` hold a unit: the winners and the entrants promoted
 * from the waitlist since. A waitlisted entry's place in line now (1 = next) follows from it.
 */
export async function countHoldingUnitsBefore(db: Q, dropId: string, position: number): Promise<number> {
  const row = await sql<{ n: string }>`
    SELECT (SELECT count(*) FROM draw_winners WHERE drop_id = ${dropId} AND position < ${position})
         + (SELECT count(*) FROM promotions WHERE drop_id = ${dropId} AND entry_id IS NOT NULL AND ranking_position < ${position}) AS n`.execute(db);
  return Number(row.rows[0]!.n);
}
