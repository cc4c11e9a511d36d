import { createHash, randomBytes } from 'node:crypto';

/**
 * drops-lottery-v1: the verifiable weighted draw described in docs/draw.md.
 * Every function here is pure and reproducible with nothing but `sha256sum`.
 */
export const DRAW_ALGORITHM = 'drops-lottery-v1';

export interface DrawEntry {
  entryId: string;
  weight: number;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** 32 random bytes as 64 lowercase hex characters. */
export function newSeed(): string {
  return randomBytes(32).toString('hex');
}

export function commitmentOf(seed: string): string {
  return sha256Hex(seed);
}

/** Byte-order comparison; entry ids are ASCII so code-unit order is byte order. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The frozen entrant list: one `"<entryId>\t<weight>\n"` line per entry, sorted by entryId. */
export function entrantList(entries: readonly DrawEntry[]): string {
  const sorted = [...entries].sort((a, b) => compareBytes(a.entryId, b.entryId));
  let out = '';
  for (const e of sorted) out += `${e.entryId}\t${e.weight}\n`;
  return out;
}

/**
 * Digest of the frozen list, hashed incrementally so a million entries never become one string.
 * `entries` must already be sorted by entryId.
 */
export function entrantsDigestOfSorted(sortedEntries: Iterable<DrawEntry>): string {
  const hash = createHash('sha256');
  for (const e of sortedEntries) hash.update(`${e.entryId}\t${e.weight}\n`, 'utf8');
  return hash.digest('hex');
}

export function entrantsDigest(entries: readonly DrawEntry[]): string {
  return sha256Hex(entrantList(entries));
}

export function drawSeedOf(seed: string, digest: string, beacon: string | null): string {
  return sha256Hex(beacon === null ? `${seed}:${digest}` : `${seed}:${digest}:${beacon}`);
}

/** The entry's key: the smallest of its tickets' keys. */
export function entryKey(drawSeed: string, dropId: string, entry: DrawEntry): string {
  if (!Number.isInteger(entry.weight) || entry.weight < 1) {
    throw new Error(`entry ${entry.entryId} has invalid weight ${entry.weight}`);
  }
  let best = '';
  for (let t = 0; t < entry.weight; t++) {
    const key = sha256Hex(`${drawSeed}:${dropId}:${entry.entryId}:${t}`);
    if (best === '' || key < best) best = key;
  }
  return best;
}

export interface RankInput {
  dropId: string;
  seed: string;
  beacon: string | null;
  entries: readonly DrawEntry[];
}

export interface RankResult {
  entrantsDigest: string;
  drawSeed: string;
  /** entryIds in draw order. */
  ranking: string[];
}

/** Ranks every entry; the result does not depend on the order of `entries`. */
export function rankEntries(input: RankInput): RankResult {
  const digest = entrantsDigest(input.entries);
  const drawSeed = drawSeedOf(input.seed, digest, input.beacon);
  const keyed = input.entries.map((e) => ({ entryId: e.entryId, key: entryKey(drawSeed, input.dropId, e) }));
  // Keys are fixed-length lowercase hex, so string order is numeric order.
  keyed.sort((a, b) => compareBytes(a.key, b.key) || compareBytes(a.entryId, b.entryId));
  return { entrantsDigest: digest, drawSeed, ranking: keyed.map((k) => k.entryId) };
}
