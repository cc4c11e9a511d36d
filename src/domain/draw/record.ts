import { DRAW_ALGORITHM, commitmentOf, rankEntries, type DrawEntry } from './lottery';

/** The published draw record: everything anyone needs to recompute the ranking. */
export interface DrawRecord {
  algorithm: typeof DRAW_ALGORITHM;
  dropId: string;
  commitment: string;
  seed: string;
  entrantsDigest: string;
  beacon: string | null;
  units: number;
  entries: DrawEntry[];
  ranking: string[];
  winners: string[];
  waitlist: string[];
}

export interface VerifyResult {
  ok: boolean;
  problems: string[];
}

/** Recomputes the draw from the record alone and says what differs. */
export function verifyDrawRecord(record: DrawRecord): VerifyResult {
  const problems: string[] = [];
  if (record.algorithm !== DRAW_ALGORITHM) problems.push(`unknown algorithm ${record.algorithm}`);
  if (commitmentOf(record.seed) !== record.commitment) {
    problems.push('seed does not match the published commitment');
  }
  const recomputed = rankEntries({
    dropId: record.dropId,
    seed: record.seed,
    beacon: record.beacon,
    entries: record.entries,
  });
  if (recomputed.entrantsDigest !== record.entrantsDigest) {
    problems.push(`entrants digest differs: record ${record.entrantsDigest}, recomputed ${recomputed.entrantsDigest}`);
  }
  if (recomputed.ranking.length !== record.ranking.length) {
    problems.push(`ranking length differs: record ${record.ranking.length}, recomputed ${recomputed.ranking.length}`);
  }
  const firstDiff = recomputed.ranking.findIndex((id, i) => record.ranking[i] !== id);
  if (firstDiff >= 0) {
    problems.push(
      `ranking differs first at position ${firstDiff}: record ${record.ranking[firstDiff]}, recomputed ${recomputed.ranking[firstDiff]}`,
    );
  }
  return { ok: problems.length === 0, problems };
}
