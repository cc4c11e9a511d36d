import * as crypto from 'node:crypto';
import { entryKey } from './lottery';
import type { PackedIds } from './packed-ids';
import { ticketKeyPrefixKernelFast, type KeyPrefixKernel } from './sha256-midstate';

/**
 * The fast path of drops-lottery-v1 for a million entries: the same keys as `rankEntries`, but
 * entries stay in flat arrays, only the first 48 bits of each entry's key are kept, entries are
 * radix-sorted by the first 32 (linear time), and the few whose 32 bits collide are ordered by
 * the next 16, then by full key, then by entryId. The result is identical to `rankEntries` (tested).
 */

/** The key-prefix kernel on node:crypto: the reference, and the fallback for messages the midstate kernel does not take. */
export const keyPrefixKernelCrypto: KeyPrefixKernel<void> = (drawSeed, dropId, ids, weights, from, to, hi, lo) => {
  const sha256 =
    typeof crypto.hash === 'function' ? (s: string) => crypto.hash('sha256', s, 'hex') : (s: string) => crypto.createHash('sha256').update(s).digest('hex');
  for (let i = from; i < to; i++) {
    const base = drawSeed + ':' + dropId + ':' + ids.at(i) + ':';
    let best = sha256(base + '0');
    const w = weights[i]!;
    for (let t = 1; t < w; t++) {
      const k = sha256(base + t);
      if (k < best) best = k;
    }
    hi[i - from] = parseInt(best.slice(0, 8), 16);
    lo[i - from] = parseInt(best.slice(8, 12), 16);
  }
};

/** The midstate kernel where the messages fit it (always, for our ids), else node:crypto. */
export const keyPrefixes: KeyPrefixKernel<void> = (...args) => {
  if (!ticketKeyPrefixKernelFast(...args)) keyPrefixKernelCrypto(...args);
};

/** Checks what the kernel assumes, once, before any hashing. */
export function assertWeights(ids: PackedIds, weights: ArrayLike<number>): void {
  for (let i = 0; i < ids.length; i++) {
    const w = weights[i]!;
    if (!Number.isInteger(w) || w < 1) throw new Error(`entry ${ids.at(i)} has invalid weight ${w}`);
  }
}

/**
 * LSD radix sort of entry indices by `hi` (two stable 16-bit passes, linear time). Entries with
 * equal `hi` (a few hundred pairs in a million) are ordered afterwards by `settlePrefixTies`.
 */
export function sortByPrefix(hi: Uint32Array): Uint32Array {
  const n = hi.length;
  const order = new Uint32Array(n);
  const next = new Uint32Array(n);
  const counts = new Uint32Array(65_537);
  for (let i = 0; i < n; i++) counts[(hi[i]! & 0xffff) + 1]!++;
  for (let d = 1; d < 65_537; d++) counts[d]! += counts[d - 1]!;
  for (let i = 0; i < n; i++) next[counts[hi[i]! & 0xffff]!++] = i;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[(hi[i]! >>> 16) + 1]!++;
  for (let d = 1; d < 65_537; d++) counts[d]! += counts[d - 1]!;
  for (let k = 0; k < n; k++) {
    const i = next[k]!;
    order[counts[hi[i]! >>> 16]!++] = i;
  }
  return order;
}

/**
 * Orders runs of equal `hi` by (lo, full key, entryId): the algorithm's order. Full keys are
 * computed only for the few entries whose first 48 bits collide.
 */
export function settlePrefixTies(
  order: Uint32Array,
  hi: Uint32Array,
  lo: Uint16Array,
  fullKey: (index: number) => string,
  idOf: (index: number) => string,
): number {
  let ties = 0;
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    const a = order[start]!;
    while (end < order.length && hi[order[end]!] === hi[a]) end++;
    if (end - start > 1) {
      ties += end - start;
      const run = Array.from(order.subarray(start, end), (i) => ({ i, lo: lo[i]!, key: '', id: idOf(i) }));
      run.sort((x, y) => x.lo - y.lo);
      for (let k = 0; k < run.length; k++) {
        // Only entries sharing lo too need their whole key.
        const same = (k > 0 && run[k - 1]!.lo === run[k]!.lo) || (k + 1 < run.length && run[k + 1]!.lo === run[k]!.lo);
        if (same) run[k]!.key = fullKey(run[k]!.i);
      }
      run.sort((x, y) => x.lo - y.lo || (x.key < y.key ? -1 : x.key > y.key ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
      run.forEach((r, k) => (order[start + k] = r.i));
    }
    start = end;
  }
  return ties;
}

export interface FlatEntries {
  ids: PackedIds;
  weights: ArrayLike<number>;
}

/** Ranks entries on this thread; returns entry indices in draw order. */
export function rankIndices(dropId: string, drawSeed: string, entries: FlatEntries): Uint32Array {
  const n = entries.ids.length;
  assertWeights(entries.ids, entries.weights);
  const hi = new Uint32Array(n);
  const lo = new Uint16Array(n);
  keyPrefixes(drawSeed, dropId, entries.ids, entries.weights, 0, n, hi, lo);
  const order = sortByPrefix(hi);
  settleTies(dropId, drawSeed, entries, order, hi, lo);
  return order;
}

/** Puts the runs of `order` (sorted by hi) whose hi is equal into the algorithm's order. */
export function settleTies(dropId: string, drawSeed: string, entries: FlatEntries, order: Uint32Array, hi: Uint32Array, lo: Uint16Array): void {
  settlePrefixTies(
    order,
    hi,
    lo,
    (i) => entryKey(drawSeed, dropId, { entryId: entries.ids.at(i), weight: entries.weights[i]! }),
    (i) => entries.ids.at(i),
  );
}
