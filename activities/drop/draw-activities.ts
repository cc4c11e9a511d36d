import { heartbeat } from '@temporalio/activity';
import { commitmentOf, rankEntries } from '../../src/domain/draw/lottery';
import { findDrop, readSeed } from '../../src/db/repositories/drops';
import { listEntriesForDraw, writeDrawResults } from '../../src/db/repositories/entries';
import { recordEvent } from '../../src/db/repositories/events';
import type { ActivityDeps } from '../deps';

export function createDrawActivities({ db }: ActivityDeps) {
  return {
    /**
     * Allocation: runs drops-lottery-v1 over the frozen entries, reveals the seed and writes each
     * entry's rank and outcome. Deterministic, so a retry after a crash writes the same result.
     */
    async runDraw(input: { dropId: string }) {
      const drop = await findDrop(db, input.dropId);
      if (!drop) throw new Error(`drop ${input.dropId} not found`);
      const seed = await readSeed(db, input.dropId);
      if (commitmentOf(seed) !== drop.commitment) throw new Error('seed does not match the published commitment');
      const entries = await listEntriesForDraw(db, input.dropId);
      heartbeat({ stage: 'loaded', entries: entries.length });
      const result = rankEntries({
        dropId: input.dropId,
        seed,
        beacon: drop.beacon,
        entries: entries.map((e) => ({ entryId: e.entry_id, weight: e.weight })),
      });
      heartbeat({ stage: 'ranked' });
      await writeDrawResults(db, input.dropId, result.ranking, drop.units);
      await db
        .updateTable('drops')
        .set({ seed, entrants_digest: result.entrantsDigest })
        .where('drop_id', '=', input.dropId)
        .execute();
      const winners = Math.min(drop.units, result.ranking.length);
      await recordEvent(db, {
        dropId: input.dropId,
        kind: 'drop.drawn',
        data: { entries: entries.length, winners, entrantsDigest: result.entrantsDigest },
      });
      return { entries: entries.length, winners, entrantsDigest: result.entrantsDigest };
    },
  };
}
