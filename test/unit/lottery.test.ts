import { commitmentOf, drawSeedOf, entrantList, entrantsDigest, entryKey, rankEntries } from '../../src/domain/draw/lottery';
import { verifyDrawRecord, type DrawRecord } from '../../src/domain/draw/record';

// Vectors computed by hand with printf and sha256sum (see docs/draw.md), not by this code.
const SEED = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const ENTRIES = [
  { entryId: 'ec', weight: 1 },
  { entryId: 'ea', weight: 1 },
  { entryId: 'eb', weight: 2 },
];
const DIGEST = '70a13c1c42f079ec71b8fde722c23f22e654c3cf1b92411985c7634a036ac8d2';
const DRAW_SEED = '26e2e03d3e4a13a4716cc088d80243b97543a6cd05907fa499ffb6d39237ca44';

describe('drops-lottery-v1 against hand-computed vectors', () => {
  it('commits to the seed with sha256 of its 64 ASCII characters', () => {
    expect(commitmentOf(SEED)).toBe('6c86c6aac5fb24bcf5d9939cb7d7d5645ce39418f449e03b262dd4fa14b4b92b');
  });

  it('freezes the entrant list sorted by entry id, one "id\\tweight\\n" line each', () => {
    expect(entrantList(ENTRIES)).toBe('ea\t1\neb\t2\nec\t1\n');
    expect(entrantsDigest(ENTRIES)).toBe(DIGEST);
  });

  it('derives the draw seed from seed and digest, and from the beacon when there is one', () => {
    expect(drawSeedOf(SEED, DIGEST, null)).toBe(DRAW_SEED);
    expect(drawSeedOf(SEED, DIGEST, 'beacon-42')).toBe('c94d0f1428b020d4eb1ee14e6bba1b0a0c92a0e7128468195e90c87e62e00010');
  });

  it("keys an entry by the smallest of its tickets' keys", () => {
    expect(entryKey(DRAW_SEED, 'drop-x', { entryId: 'ea', weight: 1 })).toBe('d9ede9d4fbd2646f1471d98d7a097969ecf4caaa0ca9938e2777cb3003d8f5fc');
    // eb's ticket 0 (32bf…) beats its ticket 1 (de2e…).
    expect(entryKey(DRAW_SEED, 'drop-x', { entryId: 'eb', weight: 2 })).toBe('32bf6c675d9abb05480d0328eda930563df9b6c86a6494a25cf365346de52381');
  });

  it('ranks by key ascending, with and without a beacon', () => {
    expect(rankEntries({ dropId: 'drop-x', seed: SEED, beacon: null, entries: ENTRIES }).ranking).toEqual(['eb', 'ea', 'ec']);
    expect(rankEntries({ dropId: 'drop-x', seed: SEED, beacon: 'beacon-42', entries: ENTRIES }).ranking).toEqual(['ec', 'eb', 'ea']);
  });

  it('does not depend on the order rows arrive in', () => {
    const reversed = [...ENTRIES].reverse();
    expect(rankEntries({ dropId: 'drop-x', seed: SEED, beacon: null, entries: reversed }).ranking).toEqual(['eb', 'ea', 'ec']);
  });

  it('rejects a weight below one', () => {
    expect(() => entryKey(DRAW_SEED, 'drop-x', { entryId: 'ez', weight: 0 })).toThrow(/invalid weight/);
  });
});

describe('verifying a published draw record', () => {
  const record = (): DrawRecord => {
    const r = rankEntries({ dropId: 'drop-x', seed: SEED, beacon: null, entries: ENTRIES });
    const entries = ENTRIES.map((e) => ({ ...e, tier: e.weight === 2 ? 'gold' : 'general', region: 'east' }));
    return {
      algorithm: 'drops-lottery-v1',
      dropId: 'drop-x',
      commitment: commitmentOf(SEED),
      seed: SEED,
      entrantsDigest: r.entrantsDigest,
      beacon: null,
      drawSeed: r.drawSeed,
      rules: {
        units: 1,
        tiers: [
          { tier: 'general', weight: 1, requiresPass: false },
          { tier: 'gold', weight: 2, requiresPass: true },
        ],
        rounds: [{ round: 'general', tiers: ['general', 'gold'], units: 1 }],
        regionQuotas: {},
      },
      entries,
      ranking: r.ranking,
      rounds: [{ round: 'general', units: 1, winners: r.ranking.slice(0, 1) }],
      winners: r.ranking.slice(0, 1),
      waitlist: r.ranking.slice(1),
    };
  };

  it('holds for an honest record', () => {
    expect(verifyDrawRecord(record())).toEqual({ ok: true, problems: [], entries: 3, winners: 1 });
  });

  it.each([
    ['a changed weight', (r: DrawRecord) => (r.entries = r.entries.map((e) => (e.entryId === 'ea' ? { ...e, weight: 2, tier: 'gold' } : e)))],
    ['a changed winner', (r: DrawRecord) => (r.winners = [r.waitlist[0]!])],
    ['a swapped ranking', (r: DrawRecord) => (r.ranking = [r.ranking[1]!, r.ranking[0]!, r.ranking[2]!])],
    ['another seed', (r: DrawRecord) => (r.seed = 'f'.repeat(64))],
    ['a removed entry', (r: DrawRecord) => (r.entries = r.entries.slice(1))],
    ['a changed digest', (r: DrawRecord) => (r.entrantsDigest = '0'.repeat(64))],
  ])('fails for %s', (_name, tamper) => {
    const r = record();
    tamper(r);
    const result = verifyDrawRecord(r);
    expect(result.ok).toBe(false);
    expect(result.problems.length).toBeGreaterThan(0);
  });
});
