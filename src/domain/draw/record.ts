import { DRAW_ALGORITHM, commitmentOf, drawSeedOf, entrantsDigestOfSorted } from './lottery';
import { PackedIds } from './packed-ids';
import { rankIndices } from './ranking';
import { allocate, type DrawRules, type RoundOutcome } from './rules';

/** One frozen entry as published: no personal data, only what the draw uses. */
export interface RecordEntry {
  entryId: string;
  weight: number;
  tier: string;
  region: string;
}

/** The published draw record: everything anyone needs to recompute the ranking and the winners. */
export interface DrawRecord {
  algorithm: typeof DRAW_ALGORITHM;
  dropId: string;
  commitment: string;
  seed: string;
  entrantsDigest: string;
  beacon: string | null;
  drawSeed: string;
  rules: DrawRules;
  /** Every frozen entry, sorted by entryId in byte order. */
  entries: RecordEntry[];
  /** Every entryId in draw order. */
  ranking: string[];
  rounds: RoundOutcome[];
  /** Winners in draw order. */
  winners: string[];
  /** Everyone else, in draw order: the order in which waitlisted entrants are promoted. */
  waitlist: string[];
}

export interface VerifyResult {
  ok: boolean;
  problems: string[];
  entries: number;
  winners: number;
}

function firstDifference(label: string, published: readonly string[], recomputed: readonly string[], problems: string[]): void {
  const n = Math.max(published.length, recomputed.length);
  let differing = 0;
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (published[i] !== recomputed[i]) {
      differing++;
      if (first < 0) first = i;
    }
  }
  if (published.length !== recomputed.length) {
    problems.push(`${label}: the record lists ${published.length}, recomputed ${recomputed.length}`);
  }
  if (first >= 0) {
    problems.push(
      `${label}: ${differing} position(s) differ, first at ${first}: record ${published[first] ?? '(none)'}, recomputed ${recomputed[first] ?? '(none)'}`,
    );
  }
}

/** Recomputes the draw from the record alone and says what differs. */
export function verifyDrawRecord(record: DrawRecord): VerifyResult {
  const problems: string[] = [];
  if (record.algorithm !== DRAW_ALGORITHM) problems.push(`unknown algorithm ${String(record.algorithm)}`);
  if (commitmentOf(record.seed) !== record.commitment) {
    problems.push(`seed does not match the commitment: sha256(seed) is ${commitmentOf(record.seed)}, the record commits to ${record.commitment}`);
  }
  const entries = [...record.entries].sort((a, b) => (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0));
  const weightOfTier = new Map(record.rules.tiers.map((t) => [t.tier, t.weight]));
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.entryId)) problems.push(`entry ${e.entryId} is listed twice`);
    seen.add(e.entryId);
    if (!Number.isInteger(e.weight) || e.weight < 1) problems.push(`entry ${e.entryId} has invalid weight ${e.weight}`);
    else if (weightOfTier.get(e.tier) !== e.weight) {
      problems.push(`entry ${e.entryId} has weight ${e.weight}, but tier ${e.tier} holds ${weightOfTier.get(e.tier) ?? 'no'} tickets`);
    }
  }
  if (problems.some((p) => p.includes('invalid weight'))) return { ok: false, problems, entries: entries.length, winners: record.winners.length };

  const digest = entrantsDigestOfSorted(entries);
  if (digest !== record.entrantsDigest) {
    problems.push(`entrants digest differs: record ${record.entrantsDigest}, recomputed ${digest} (an entry or weight was changed, added or removed)`);
  }
  const drawSeed = drawSeedOf(record.seed, digest, record.beacon);
  if (record.drawSeed !== undefined && drawSeed !== record.drawSeed) {
    problems.push(`draw seed differs: record ${record.drawSeed}, recomputed ${drawSeed}`);
  }
  const ids = entries.map((e) => e.entryId);
  const order = rankIndices(record.dropId, drawSeed, { ids: PackedIds.of(ids), weights: entries.map((e) => e.weight) });
  const ranking = Array.from(order, (i) => ids[i]!);
  firstDifference('ranking', record.ranking, ranking, problems);

  const allocation = allocate(record.rules, order, (i) => entries[i]!);
  const winners = allocation.winnerPositions.map((p) => ranking[p]!);
  const winnerSet = new Set(winners);
  for (const [k, round] of allocation.rounds.entries()) {
    const published = record.rounds[k];
    if (!published || published.round !== round.round) {
      problems.push(`round ${k}: record ${published?.round ?? '(none)'}, rules say ${round.round}`);
      continue;
    }
    firstDifference(`round ${round.round} winners`, published.winners, round.winners, problems);
  }
  firstDifference('winners', record.winners, winners, problems);
  firstDifference(
    'waitlist',
    record.waitlist,
    ranking.filter((id) => !winnerSet.has(id)),
    problems,
  );
  return { ok: problems.length === 0, problems, entries: entries.length, winners: winners.length };
}
