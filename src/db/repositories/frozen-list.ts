import { createHash } from 'node:crypto';
import { to as copyTo } from 'pg-copy-streams';
import type { Db } from '../connection';
import { poolOf } from '../connection';
import { settlePrefixTies, sortByPrefix } from '../../domain/draw/ranking';

/**
 * The frozen entrant list of a drop, read in one COPY and held as flat arrays sorted by entryId
 * in byte order: a million entries without a million objects.
 */
export interface FrozenList {
  ids: string[];
  weights: Int32Array;
  /** Index into `tierNames` / `regionNames` per entry. */
  tierOf: Uint16Array;
  regionOf: Uint16Array;
  tierNames: string[];
  regionNames: string[];
  /** sha256 of the `"<entryId>\t<weight>\n"` lines, as drops-lottery-v1 publishes it. */
  entrantsDigest: string;
}

export async function loadFrozenList(db: Db, dropId: string): Promise<FrozenList> {
  const client = await poolOf(db).connect();
  const parser = new FrozenListParser();
  try {
    // A plain sequential scan: ordering a million rows through the index costs seconds of
    // random reads; the ids are sorted here instead. Rows are parsed as they stream in, while
    // Postgres produces the next ones. COPY takes no bind parameters; the id is quoted by the driver.
    const stream = client.query(
      copyTo(`COPY (SELECT entry_id, weight, tier, region FROM entries WHERE drop_id = ${client.escapeLiteral(dropId)}) TO STDOUT`),
    );
    for await (const chunk of stream) parser.push((chunk as Buffer).toString('latin1'));
  } finally {
    client.release();
  }
  return parser.finish();
}

/** Parses COPY text rows `id\tweight\ttier\tregion\n` in any order, chunk by chunk. */
class FrozenListParser {
  private carry = '';
  private readonly rawIds: string[] = [];
  private readonly rawWeights: number[] = [];
  private readonly rawTier: number[] = [];
  private readonly rawRegion: number[] = [];
  private readonly tierIndex = new Map<string, number>();
  private readonly regionIndex = new Map<string, number>();

  push(chunk: string): void {
    const text = this.carry + chunk;
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      this.carry = text;
      return;
    }
    this.parseLines(text, last);
    this.carry = text.slice(last + 1);
  }

  finish(): FrozenList {
    if (this.carry.length > 0) this.parseLines(this.carry + '\n', this.carry.length);
    const n = this.rawIds.length;
    const order = byteOrder(this.rawIds);
    const ids = new Array<string>(n);
    const weights = new Int32Array(n);
    const tierOf = new Uint16Array(n);
    const regionOf = new Uint16Array(n);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      ids[k] = this.rawIds[i]!;
      weights[k] = this.rawWeights[i]!;
      tierOf[k] = this.rawTier[i]!;
      regionOf[k] = this.rawRegion[i]!;
    }
    return {
      ids,
      weights,
      tierOf,
      regionOf,
      tierNames: [...this.tierIndex.keys()],
      regionNames: [...this.regionIndex.keys()],
      entrantsDigest: listDigest(ids, weights),
    };
  }

  /** Parses whole lines in text[0, end]; ids, tiers and regions are plain slugs (no escapes). */
  private parseLines(text: string, end: number): void {
    for (let pos = 0; pos < end; ) {
      const t1 = text.indexOf('\t', pos);
      const t2 = text.indexOf('\t', t1 + 1);
      const t3 = text.indexOf('\t', t2 + 1);
      const nl = text.indexOf('\n', t3 + 1);
      this.rawIds.push(text.slice(pos, t1));
      // Weights are small integers: one digit needs no substring.
      this.rawWeights.push(t2 - t1 === 2 ? text.charCodeAt(t1 + 1) - 48 : +text.slice(t1 + 1, t2));
      this.rawTier.push(intern(this.tierIndex, text.slice(t2 + 1, t3)));
      this.rawRegion.push(intern(this.regionIndex, text.slice(t3 + 1, nl)));
      pos = nl + 1;
    }
  }
}

function intern(map: Map<string, number>, v: string): number {
  let i = map.get(v);
  if (i === undefined) map.set(v, (i = map.size));
  return i;
}

/** For tests and tools: the whole COPY text at once. */
export function parseFrozenList(text: string): FrozenList {
  const parser = new FrozenListParser();
  parser.push(text);
  return parser.finish();
}

/**
 * sha256 of the `"<entryId>\t<weight>\n"` lines, written straight into a reused byte block:
 * a million lines as concatenated strings cost more in string flattening and garbage than the
 * hash itself (measured: parse and finish of 1M entries 1.37 s → 0.9 s). Ids are plain ASCII
 * slugs, so latin1 is their UTF-8.
 */
function listDigest(ids: readonly string[], weights: Int32Array): string {
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    // room for the id, a tab, a weight of up to 10 digits and a newline
    if (pos + id.length + 12 > block.length) {
      hash.update(block.subarray(0, pos));
      pos = 0;
    }
    pos += block.write(id, pos, 'latin1');
    block[pos++] = 9;
    pos = writeDigits(block, pos, weights[k]!);
    block[pos++] = 10;
  }
  hash.update(block.subarray(0, pos));
  return hash.digest('hex');
}

/** Writes a non-negative integer's decimal digits at pos; returns the position after them. */
function writeDigits(buf: Buffer, pos: number, value: number): number {
  if (value < 10) {
    buf[pos] = 48 + value;
    return pos + 1;
  }
  return pos + buf.write(String(value), pos, 'latin1');
}

/** The value of a lowercase hex digit's char code, or -1. */
function hexValue(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
}

/**
 * The permutation that sorts ids in byte order. Our entry ids are `e` + 24 lowercase hex
 * digits: for ids of one length and first letter whose next 12 characters are lowercase hex,
 * byte order is the order of those 48 bits, then of the whole id, so a radix sort does it in
 * linear time. Any other shape falls back to a comparison sort.
 */
export function byteOrder(ids: readonly string[]): Uint32Array {
  const n = ids.length;
  const hi = new Uint32Array(n);
  const lo = new Uint16Array(n);
  let uniform = true;
  for (let i = 0; i < n && uniform; i++) {
    const id = ids[i]!;
    if (id.length !== 25 || id.charCodeAt(0) !== 101) {
      uniform = false;
      break;
    }
    let h = 0;
    let l = 0;
    // Only the first 12 digits are read: past them, ties are settled by comparing whole ids.
    for (let c = 1; c <= 12; c++) {
      const v = hexValue(id.charCodeAt(c));
      if (v < 0) uniform = false;
      else if (c <= 8) h = h * 16 + v;
      else l = l * 16 + v;
    }
    hi[i] = h;
    lo[i] = l;
  }
  if (uniform) {
    const order = sortByPrefix(hi);
    settlePrefixTies(order, hi, lo, (i) => ids[i]!, (i) => ids[i]!);
    return order;
  }
  const fallback = Uint32Array.from({ length: n }, (_, i) => i);
  return fallback.sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
}
