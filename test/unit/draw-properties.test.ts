import fc from 'fast-check';
import { createHash, randomBytes } from 'node:crypto';
import { commitmentOf, drawSeedOf, entryKey, rankEntries, type DrawEntry } from '../../src/domain/draw/lottery';
import { keyPrefixKernelCrypto, rankIndices } from '../../src/domain/draw/ranking';
import { RankingThreads, rankIndicesParallel } from '../../src/domain/draw/parallel-ranking';
import { ticketKeyPrefixKernelFast } from '../../src/domain/draw/sha256-midstate';
import { allocate, drawRulesOf, type DrawRules } from '../../src/domain/draw/rules';
import { verifyDrawRecord, type DrawRecord, type RecordEntry } from '../../src/domain/draw/record';
import { parseFrozenList, type FrozenList } from '../../src/domain/draw/frozen-list-parser';
import { EntrantListDigest } from '../../src/domain/draw/entrant-list-digest';
import { PackedIds } from '../../src/domain/draw/packed-ids';

const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));
const entryId = hex(12).map((h) => `e${h}`);
const entries = (max: number, maxWeight = 3) =>
  fc.uniqueArray(fc.record({ entryId, weight: fc.integer({ min: 1, max: maxWeight }) }), { minLength: 1, maxLength: max, selector: (e) => e.entryId });
const seed = hex(32);

function recordFor(dropId: string, s: string, list: DrawEntry[], units: number): DrawRecord {
  const rules = drawRulesOf({
    units,
    tiers: [
      { tier: 't1', weight: 1 },
      { tier: 't2', weight: 2, requiresPass: true },
      { tier: 't3', weight: 3, requiresPass: true },
    ],
  });
  const withAttrs: RecordEntry[] = list.map((e) => ({ ...e, tier: `t${e.weight}`, region: 'north' }));
  const ranked = rankEntries({ dropId, seed: s, beacon: null, entries: list });
  const byId = new Map(withAttrs.map((e) => [e.entryId, e]));
  const order = ranked.ranking.map((_, i) => i);
  const allocation = allocate(rules, order, (i) => byId.get(ranked.ranking[i]!)!);
  const winners = allocation.winnerPositions.map((p) => ranked.ranking[p]!);
  return {
    algorithm: 'drops-lottery-v1',
    dropId,
    commitment: commitmentOf(s),
    seed: s,
    entrantsDigest: ranked.entrantsDigest,
    beacon: null,
    drawSeed: ranked.drawSeed,
    rules,
    entries: withAttrs,
    ranking: ranked.ranking,
    rounds: allocation.rounds,
    winners,
    waitlist: ranked.ranking.filter((id) => !winners.includes(id)),
  };
}

describe('drops-lottery-v1 properties', () => {
  it('the midstate kernel computes the same keys as node:crypto', () => {
    fc.assert(
      // Weights up to 25: ticket numbers of two digits make a longer message tail.
      fc.property(seed, fc.stringMatching(/^[a-z0-9-]{3,20}$/), entries(30, 25), (s, dropId, list) => {
        const drawSeed = createHash('sha256').update(s).digest('hex');
        const ids = PackedIds.of(list.map((e) => e.entryId));
        const weights = list.map((e) => e.weight);
        const [h1, l1, h2, l2] = [new Uint32Array(ids.length), new Uint16Array(ids.length), new Uint32Array(ids.length), new Uint16Array(ids.length)];
        expect(ticketKeyPrefixKernelFast(drawSeed, dropId, ids, weights, 0, ids.length, h1, l1)).toBe(true);
        keyPrefixKernelCrypto(drawSeed, dropId, ids, weights, 0, ids.length, h2, l2);
        expect([...h1]).toEqual([...h2]);
        expect([...l1]).toEqual([...l2]);
        // and both agree with the published definition of an entry's key
        list.forEach((e, i) => expect(parseInt(entryKey(drawSeed, dropId, e).slice(0, 8), 16)).toBe(h1[i]));
      }),
      { numRuns: 50 },
    );
  });

  it('the fast ranking equals the reference ranking, on one thread and on several', async () => {
    await fc.assert(
      fc.asyncProperty(seed, entries(200), async (s, list) => {
        const ref = rankEntries({ dropId: 'drop-p', seed: s, beacon: null, entries: list });
        const ids = list.map((e) => e.entryId);
        const packed = PackedIds.of(ids);
        const weights = list.map((e) => e.weight);
        expect(Array.from(rankIndices('drop-p', ref.drawSeed, { ids: packed, weights }), (i) => ids[i])).toEqual(ref.ranking);
        for (const threads of [2, 3]) {
          const parallel = await rankIndicesParallel('drop-p', ref.drawSeed, { ids: packed, weights }, { threads, parallelFrom: 0 });
          expect(Array.from(parallel, (i) => ids[i])).toEqual(ref.ranking);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('does not depend on the order the entries are listed in', () => {
    fc.assert(
      fc.property(
        seed,
        entries(60).chain((l) => fc.tuple(fc.constant(l), fc.shuffledSubarray(l, { minLength: l.length, maxLength: l.length }))),
        (s, [list, shuffled]) => {
          const a = rankEntries({ dropId: 'drop-p', seed: s, beacon: null, entries: list });
          const b = rankEntries({ dropId: 'drop-p', seed: s, beacon: null, entries: shuffled });
          expect(b).toEqual(a);
        },
      ),
    );
  });

  it('gives at most `units` winners, never the same entry twice, and waitlists everyone else in draw order', () => {
    fc.assert(
      fc.property(seed, entries(80), fc.integer({ min: 1, max: 100 }), (s, list, units) => {
        const r = recordFor('drop-p', s, list, units);
        expect(r.winners.length).toBe(Math.min(units, list.length));
        expect(new Set(r.winners).size).toBe(r.winners.length);
        expect([...r.winners, ...r.waitlist].sort()).toEqual(list.map((e) => e.entryId).sort());
        expect(verifyDrawRecord(r).ok).toBe(true);
      }),
    );
  });

  it('changing any entry, weight or the seed changes the result and fails verification', () => {
    fc.assert(
      fc.property(seed, seed, entries(40), fc.nat(), fc.constantFrom('weight', 'entry', 'seed', 'position'), (s, other, list, pick, what) => {
        fc.pre(s !== other && list.length >= 2);
        const r = recordFor('drop-p', s, list, 1);
        const i = pick % list.length;
        if (what === 'weight') r.entries[i] = { ...r.entries[i]!, weight: r.entries[i]!.weight === 3 ? 1 : r.entries[i]!.weight + 1 };
        if (what === 'entry') r.entries[i] = { ...r.entries[i]!, entryId: `e${'f'.repeat(24)}` };
        if (what === 'seed') r.seed = other;
        if (what === 'position') r.ranking = [r.ranking[1]!, r.ranking[0]!, ...r.ranking.slice(2)];
        const v = verifyDrawRecord(r);
        expect(v.ok).toBe(false);
        expect(v.problems.length).toBeGreaterThan(0);
        if (what === 'seed') {
          // a new seed gives a new draw seed, hence new keys
          expect(drawSeedOf(other, r.entrantsDigest, null)).not.toBe(r.drawSeed);
        }
      }),
    );
  });

  it('digests the entrant list fed in any order, for our ids and any others, as the sorted list', () => {
    const oddId = fc.string({ minLength: 1, maxLength: 12 }).filter((id) => !/[\t\n\0]/.test(id));
    const anyEntries = (id: fc.Arbitrary<string>) =>
      fc.uniqueArray(fc.record({ entryId: id, weight: fc.integer({ min: 1, max: 12 }) }), { maxLength: 200, selector: (e) => e.entryId });
    // ids sharing long prefixes exercise the buckets' tie-breaking
    const prefixed = fc.tuple(fc.constantFrom('e00', 'e0', 'eab12', ''), hex(3)).map(([p, h]) => `${p}${h}`);
    fc.assert(
      fc.property(anyEntries(entryId), anyEntries(oddId), anyEntries(prefixed), (ours, odd, shared) => {
        const seen = new Set<string>();
        const list = [...ours, ...odd, ...shared].filter((e) => !seen.has(e.entryId) && seen.add(e.entryId));
        const digest = new EntrantListDigest();
        for (const e of list) {
          const bytes = Buffer.from(e.entryId, 'utf8');
          digest.add(bytes, 0, bytes.length, e.weight);
        }
        const sorted = [...list].sort((a, b) => Buffer.compare(Buffer.from(a.entryId), Buffer.from(b.entryId)));
        const expected = createHash('sha256')
          .update(sorted.map((e) => `${e.entryId}\t${e.weight}\n`).join(''), 'utf8')
          .digest('hex');
        expect(digest.digest()).toBe(expected);
      }),
    );
  });

  it('reads the frozen list from COPY text in any row order and any chunking, with the digest of the sorted list', () => {
    fc.assert(
      fc.property(entries(50), fc.array(fc.nat(), { maxLength: 8 }), (list, cuts) => {
        const text = list.map((e) => `${e.entryId}\t${e.weight}\tt${e.weight}\tnorth\n`).join('');
        const bytes = Buffer.from(text);
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, k) => bytes.subarray(from, [...at, bytes.length][k]));
        const sorted = [...list].sort((a, b) => (a.entryId < b.entryId ? -1 : 1));
        for (const parsed of [parseFrozenList(text), parseFrozenList(chunks)]) {
          const rows = Array.from({ length: parsed.ids.length }, (_, i) => ({
            entryId: parsed.ids.at(i),
            weight: parsed.weights[i],
            tier: parsed.tierNames[parsed.tierOf[i]!],
            region: parsed.regionNames[parsed.regionOf[i]!],
          }));
          expect(rows.sort((a, b) => (a.entryId < b.entryId ? -1 : 1))).toEqual(sorted.map((e) => ({ ...e, tier: `t${e.weight}`, region: 'north' })));
          expect(parsed.entrantsDigest).toBe(rankEntries({ dropId: 'd', seed: 'a'.repeat(64), beacon: null, entries: list }).entrantsDigest);
        }
      }),
    );
  });
});

describe('ranking threads', () => {
  const copyText = (n: number) =>
    Array.from({ length: n }, (_, k) => `e${randomBytes(12).toString('hex')}\t${(k % 3) + 1}\tt${(k % 3) + 1}\t${k % 2 ? 'north' : 'south'}\n`).join('');
  const chunksOf = (text: string, size: number) => {
    const bytes = Buffer.from(text);
    return Array.from({ length: Math.ceil(bytes.length / size) }, (_, k) => bytes.subarray(k * size, (k + 1) * size));
  };
  const rowsOf = (l: FrozenList) =>
    Array.from({ length: l.ids.length }, (_, i) => `${l.ids.at(i)} ${l.weights[i]} ${l.tierNames[l.tierOf[i]!]} ${l.regionNames[l.regionOf[i]!]}`);

  it('parse the frozen list as this thread does, and rank and cut it as the reference does', async () => {
    const text = copyText(3000);
    const here = parseFrozenList(chunksOf(text, 777));
    const threads = RankingThreads.start(2);
    try {
      const sink = threads.frozenListSink();
      for (const chunk of chunksOf(text, 777)) sink.push(chunk);
      const there = await sink.finish();
      expect(there.entrantsDigest).toBe(here.entrantsDigest);
      expect(rowsOf(there)).toEqual(rowsOf(here));

      const drawSeed = 'b'.repeat(64);
      const order = await threads.rank('drop-t', drawSeed, there);
      const ids = Array.from({ length: there.ids.length }, (_, i) => there.ids.at(i));
      const weights = Array.from(there.weights);
      const reference = [...ids.keys()]
        .map((i) => ({ id: ids[i]!, key: entryKey(drawSeed, 'drop-t', { entryId: ids[i]!, weight: weights[i]! }) }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1))
        .map((e) => e.id);
      expect(Array.from(order, (i) => ids[i])).toEqual(reference);
      expect((await threads.chunkText(there.ids, order, 1000, 1003)).split('\n')).toEqual(reference.slice(1000, 1003));
    } finally {
      await threads.close();
    }
  });

  it('report a malformed frozen list when it is finished', async () => {
    const threads = RankingThreads.start(1);
    try {
      const sink = threads.frozenListSink();
      sink.push(Buffer.from('e00\t1\tt1\tnorth\nbroken row\n'));
      await expect(sink.finish()).rejects.toThrow(/a row without its columns/);
    } finally {
      await threads.close();
    }
  });
});

describe('allocation rules', () => {
  const rules: DrawRules = {
    units: 6,
    tiers: [
      { tier: 'public', weight: 1, requiresPass: false },
      { tier: 'pass', weight: 3, requiresPass: true, maxWinners: 3 },
    ],
    rounds: [
      { round: 'presale', tiers: ['pass'], units: 2 },
      { round: 'general', tiers: ['public', 'pass'], units: 4 },
    ],
    regionQuotas: { east: 2 },
  };

  it('fills each round from its own tiers first, then honours tier caps and region quotas', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ tier: fc.constantFrom('public', 'pass'), region: fc.constantFrom('north', 'east') }), { minLength: 0, maxLength: 40 }),
        (attrs) => {
          const list = attrs.map((a, i) => ({ entryId: `e${String(i).padStart(24, '0')}`, ...a }));
          const order = list.map((_, i) => i); // list order is the ranking here
          const a = allocate(rules, order, (i) => list[i]!);
          const winners = a.winnerPositions.map((p) => list[p]!);
          expect(winners.length).toBeLessThanOrEqual(6);
          expect(winners.filter((w) => w.tier === 'pass').length).toBeLessThanOrEqual(3);
          expect(winners.filter((w) => w.region === 'east').length).toBeLessThanOrEqual(2);
          const presale = a.rounds[0]!.winners.map((id) => list.find((e) => e.entryId === id)!);
          expect(presale.every((e) => e.tier === 'pass')).toBe(true);
          // an unfilled presale's units carry over to the general round
          expect(a.rounds[1]!.units).toBe(4 + (2 - a.rounds[0]!.winners.length));
          // nobody eligible and under every limit is skipped for someone ranked lower
          for (let p = 0; p < list.length; p++) {
            if (a.winnerPositions.includes(p)) continue;
            const later = a.winnerPositions.filter((q) => q > p);
            if (later.length === 0) continue;
            const e = list[p]!;
            const eastFull = winners.filter((w) => w.region === 'east').length >= 2 && e.region === 'east';
            const passFull = winners.filter((w) => w.tier === 'pass').length >= 3 && e.tier === 'pass';
            const presaleOnly = later.every((q) => a.roundOf.get(q) === 'presale') && e.tier !== 'pass';
            expect(eastFull || passFull || presaleOnly).toBe(true);
          }
        },
      ),
    );
  });
});
