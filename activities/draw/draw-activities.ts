import { Context, heartbeat } from '@temporalio/activity';
import { commitmentOf, drawSeedOf } from '../../src/domain/draw/lottery';
import { RankingThreads } from '../../src/domain/draw/parallel-ranking';
import { allocate, drawRulesOf } from '../../src/domain/draw/rules';
import { findDrop, readSeed, setEntrantsDigest } from '../../src/db/repositories/drops';
import { completeDraw, findDraw, insertWinners, writeRankingChunk, writtenChunks } from '../../src/db/repositories/draws';
import { recordEvent } from '../../src/db/repositories/events';
import { streamFrozenList } from '../../src/db/repositories/frozen-list';
import type { ActivityDeps } from '../deps';

/** Ranking rows of this many entry ids: a million entries are a hundred rows. */
export const RANKING_CHUNK = 10_000;
/** Chunk writes in flight at once. */
const WRITERS = 3;

export interface DrawProgress {
  stage: 'loaded' | 'ranked' | 'writing' | 'written';
  entries: number;
  chunksWritten?: number;
}

export function createDrawActivities({ db }: ActivityDeps) {
  return {
    /**
     * Allocation, as drops-lottery-v1: read the frozen list, publish its digest, rank every entry
     * with the revealed seed, allocate winners per round, write the full ranking and the winners,
     * then reveal the seed with the draw's summary. Deterministic: a retry after a worker crash
     * recomputes the same ranking and skips the ranking chunks already written (heartbeats tell
     * Temporal the draw is alive and how far it got).
     */
    async runDraw(input: { dropId: string }) {
      const { dropId } = input;
      const done = await findDraw(db, dropId);
      if (done) return { entries: done.entrants, winners: done.winners, entrantsDigest: done.entrants_digest };
      const drop = await findDrop(db, dropId);
      if (!drop) throw new Error(`drop ${dropId} not found`);
      const seed = await readSeed(db, dropId);
      if (commitmentOf(seed) !== drop.commitment) throw new Error('seed does not match the published commitment');
      const rules = drawRulesOf(drop.spec as Parameters<typeof drawRulesOf>[0]);
      const resumedFrom = Context.current().info.heartbeatDetails as DrawProgress | undefined;

      const clock = stageClock();
      // Started now, the threads get ready while the list loads.
      const threads = RankingThreads.start();
      try {
        const parsing = threads.frozenListSink();
        await streamFrozenList(db, dropId, parsing);
        clock.lap('copy');
        const frozen = await parsing.finish();
        clock.lap('parse');
        const n = frozen.ids.length;
        const ids = frozen.ids.toShared();
        heartbeat({ stage: 'loaded', entries: n } satisfies DrawProgress);
        // The digest is published before the seed is revealed.
        await setEntrantsDigest(db, dropId, frozen.entrantsDigest);

        const drawSeed = drawSeedOf(seed, frozen.entrantsDigest, drop.beacon);
        clock.lap('publishDigest');
        const order = await threads.rank(dropId, drawSeed, { ids, weights: frozen.weights });
        clock.lap('rank');
        heartbeat({ stage: 'ranked', entries: n } satisfies DrawProgress);
        const allocation = allocate(rules, order, (i) => ({
          entryId: ids.at(i),
          tier: frozen.tierNames[frozen.tierOf[i]!]!,
          region: frozen.regionNames[frozen.regionOf[i]!]!,
        }));

        clock.lap('allocate');
        const chunks = Math.ceil(n / RANKING_CHUNK);
        const already = resumedFrom ? await writtenChunks(db, dropId) : new Set<number>();
        const todo = Array.from({ length: chunks }, (_, c) => c).filter((c) => !already.has(c));
        let written = already.size;
        // Every chunk's text is asked of the threads at once, so they cut the next ones while
        // these are written (the texts of a million entries are 26 MB).
        const texts = new Map(todo.map((c) => [c, threads.chunkText(ids, order, c * RANKING_CHUNK, Math.min(n, (c + 1) * RANKING_CHUNK))]));
        for (const text of texts.values()) text.catch(() => undefined); // awaited below; a failure is thrown there
        // The winners are written beside the ranking chunks: different tables, and nothing needs
        // one before the other (the summary row, written last, is what marks the draw done).
        await Promise.all([
          ...Array.from({ length: WRITERS }, async () => {
            for (let c = todo.shift(); c !== undefined; c = todo.shift()) {
              await writeRankingChunk(db, dropId, c, await texts.get(c)!);
              texts.delete(c);
              heartbeat({ stage: 'writing', entries: n, chunksWritten: ++written } satisfies DrawProgress);
            }
          }),
          insertWinners(
            db,
            dropId,
            allocation.winnerPositions.map((position) => ({ entryId: ids.at(order[position]!), position, round: allocation.roundOf.get(position)! })),
          ),
        ]);
        clock.lap('writeRankingAndWinners');
        const winners = allocation.winnerPositions.length;
        await completeDraw(db, dropId, seed, {
          entrants: n,
          entrantsDigest: frozen.entrantsDigest,
          drawSeed,
          chunkSize: RANKING_CHUNK,
          chunks,
          winners,
          rules,
          rounds: allocation.rounds.map((r) => ({ round: r.round, units: r.units, winners: r.winners.length })),
        });
        clock.lap('complete');
        heartbeat({ stage: 'written', entries: n, chunksWritten: chunks } satisfies DrawProgress);
        await recordEvent(db, {
          dropId,
          kind: 'drop.drawn',
          data: { entries: n, winners, entrantsDigest: frozen.entrantsDigest, resumed: resumedFrom !== undefined, stageMs: clock.laps },
        });
        return { entries: n, winners, entrantsDigest: frozen.entrantsDigest };
      } finally {
        await threads.close();
      }
    },
  };
}

/** Wall time per stage of the draw, kept in its telemetry event. */
function stageClock() {
  let last = performance.now();
  const laps: Record<string, number> = {};
  return {
    laps,
    lap(name: string) {
      const now = performance.now();
      laps[name] = Math.round(now - last);
      last = now;
    },
  };
}
