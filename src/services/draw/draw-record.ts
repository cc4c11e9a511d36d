import { conflict, notFound } from '../../domain/errors';
import { DRAW_ALGORITHM } from '../../domain/draw/lottery';
import type { Db } from '../../db/connection';
import { findDrop } from '../../db/repositories/drops';
import { findDraw, frozenEntries, listWinnerRounds, rankingChunks } from '../../db/repositories/draws';

/**
 * The published draw record (drops-lottery-v1), produced as JSON text chunks: a million entries
 * are streamed page by page (keyset on entryId, ranking chunk by chunk), never one string.
 * Available once the seed is revealed.
 */
export async function drawRecordChunks(db: Db, dropId: string): Promise<AsyncGenerator<string>> {
  const drop = await findDrop(db, dropId);
  if (!drop) throw notFound('drop_not_found', `no drop ${dropId}`);
  const draw = await findDraw(db, dropId);
  if (!draw || !drop.seed) throw conflict('draw_not_ready', 'the draw has not run yet');
  const winnerRows = await listWinnerRounds(db, dropId);
  const roundUnits = draw.rounds as Array<{ round: string; units: number }>;
  const rounds = roundUnits.map((r) => ({
    round: r.round,
    units: r.units,
    winners: winnerRows.filter((w) => w.round === r.round).map((w) => w.entry_id),
  }));
  const winnerSet = new Set(winnerRows.map((w) => w.entry_id));
  const head = {
    algorithm: DRAW_ALGORITHM,
    dropId,
    commitment: drop.commitment,
    seed: drop.seed,
    entrantsDigest: draw.entrants_digest,
    beacon: drop.beacon,
    drawSeed: draw.draw_seed,
    rules: draw.rules,
    rounds,
    winners: winnerRows.map((w) => w.entry_id),
  };
  return (async function* () {
    yield JSON.stringify(head).slice(0, -1);
    yield ',"entries":[';
    let first = true;
    for await (const page of frozenEntries(db, dropId)) {
      const text = page.map((r) => JSON.stringify({ entryId: r.entry_id, weight: r.weight, tier: r.tier, region: r.region })).join(',');
      yield first ? text : `,${text}`;
      first = false;
    }
    yield '],"ranking":[';
    first = true;
    for await (const ids of rankingChunks(db, dropId)) {
      if (ids.length === 0) continue;
      yield (first ? '"' : ',"') + ids.join('","') + '"';
      first = false;
    }
    yield '],"waitlist":[';
    first = true;
    for await (const ids of rankingChunks(db, dropId)) {
      const rest = ids.filter((id) => !winnerSet.has(id));
      if (rest.length === 0) continue;
      yield (first ? '"' : ',"') + rest.join('","') + '"';
      first = false;
    }
    yield ']}';
  })();
}
