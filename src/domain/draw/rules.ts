/**
 * The allocation rules a drop publishes with its draw: tiers (weights = tickets), rounds
 * (e.g. a pass-holder presale, then everyone left), per-tier winner caps and per-region quotas.
 * `allocate` is pure: anyone holding the record recomputes the same winners.
 */
export interface TierRule {
  tier: string;
  weight: number;
  requiresPass: boolean;
  maxWinners?: number;
}

export interface RoundRule {
  round: string;
  tiers: string[];
  units: number;
}

export interface DrawRules {
  units: number;
  tiers: TierRule[];
  rounds: RoundRule[];
  regionQuotas: Record<string, number>;
}

export interface AllocationEntry {
  entryId: string;
  tier: string;
  region: string;
}

export interface RoundOutcome {
  round: string;
  /** The round's own units plus what earlier rounds could not fill. */
  units: number;
  /** Winners of the round, in draw order. */
  winners: string[];
}

export interface Allocation {
  rounds: RoundOutcome[];
  /** Ranking positions of all winners, ascending. */
  winnerPositions: number[];
  /** Round name per winner position. */
  roundOf: Map<number, string>;
}

interface SpecLike {
  units: number;
  tiers?: Array<{ tier: string; weight: number; requiresPass?: boolean; maxWinners?: number }>;
  rounds?: RoundRule[];
  regionQuotas?: Record<string, number>;
}

/** The rules as published, with the defaults of a drop launched without tiers or rounds. */
export function drawRulesOf(spec: SpecLike): DrawRules {
  const tiers: TierRule[] = (spec.tiers ?? [{ tier: 'general', weight: 1 }]).map((t) => ({
    tier: t.tier,
    weight: t.weight,
    requiresPass: t.requiresPass ?? false,
    ...(t.maxWinners !== undefined ? { maxWinners: t.maxWinners } : {}),
  }));
  const rounds = spec.rounds ?? [{ round: 'general', tiers: tiers.map((t) => t.tier), units: spec.units }];
  return { units: spec.units, tiers, rounds, regionQuotas: spec.regionQuotas ?? {} };
}

/**
 * Walks the ranking once per round: the first eligible entries not yet winning win, skipping
 * entries whose tier cap or region quota is full. Units a round cannot fill carry over to the
 * next round. Everyone who did not win is waitlisted in ranking order.
 */
export function allocate(rules: DrawRules, ranking: ArrayLike<number>, entryAt: (index: number) => AllocationEntry): Allocation {
  const tierCap = new Map(rules.tiers.map((t) => [t.tier, t.maxWinners ?? Infinity]));
  const tierWon = new Map<string, number>();
  const regionWon = new Map<string, number>();
  const won = new Set<number>();
  const roundOf = new Map<number, string>();
  const rounds: RoundOutcome[] = [];
  let carry = 0;
  for (const round of rules.rounds) {
    const units = round.units + carry;
    const eligible = new Set(round.tiers);
    const winners: string[] = [];
    for (let pos = 0; pos < ranking.length && winners.length < units; pos++) {
      if (won.has(pos)) continue;
      const e = entryAt(ranking[pos]!);
      if (!eligible.has(e.tier)) continue;
      if ((tierWon.get(e.tier) ?? 0) >= (tierCap.get(e.tier) ?? Infinity)) continue;
      if ((regionWon.get(e.region) ?? 0) >= (rules.regionQuotas[e.region] ?? Infinity)) continue;
      won.add(pos);
      roundOf.set(pos, round.round);
      tierWon.set(e.tier, (tierWon.get(e.tier) ?? 0) + 1);
      regionWon.set(e.region, (regionWon.get(e.region) ?? 0) + 1);
      winners.push(e.entryId);
    }
    carry = units - winners.length;
    rounds.push({ round: round.round, units, winners });
  }
  return { rounds, winnerPositions: [...won].sort((a, b) => a - b), roundOf };
}
