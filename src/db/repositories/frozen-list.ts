import { createHash } from 'node:crypto';
import { to as copyTo } from 'pg-copy-streams';
import type { Db } from '../connection';
import { poolOf } from '../connection';
import { PackedIds } from '../../domain/draw/packed-ids';
import { settlePrefixTies, sortByPrefix } from '../../domain/draw/ranking';

/**
 * The frozen entrant list of a drop, read in one COPY and held as flat arrays sorted by entryId
 * in byte order: a million entries without a million objects, or even a million strings (the
 * ids stay bytes, on SharedArrayBuffers the hashing threads read in place).
 */
export interface FrozenList {
  ids: PackedIds;
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
    for await (const chunk of stream) parser.push(chunk as Buffer);
  } finally {
    client.release();
  }
  return parser.finish();
}

const TAB = 9;
const NEWLINE = 10;

/**
 * Parses COPY text rows `id\tweight\ttier\tregion\n` in any order, chunk by chunk, straight
 * from the bytes. Ids, tiers and regions are plain slugs (COPY escapes nothing in them).
 */
class FrozenListParser {
  private carry: Buffer | null = null;
  private idBytes = new Uint8Array(1 << 20);
  private idLength = 0;
  private ends = new Uint32Array(1 << 16);
  private weights = new Int32Array(1 << 16);
  private tierOf = new Uint16Array(1 << 16);
  private regionOf = new Uint16Array(1 << 16);
  private count = 0;
  private readonly tiers = new ByteInterner();
  private readonly regions = new ByteInterner();

  push(chunk: Buffer): void {
    const bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const last = bytes.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.carry = Buffer.from(bytes);
      return;
    }
    this.parseLines(bytes, last + 1);
    this.carry = last + 1 < bytes.length ? Buffer.from(bytes.subarray(last + 1)) : null;
  }

  finish(): FrozenList {
    if (this.carry && this.carry.length > 0) this.parseLines(Buffer.concat([this.carry, Buffer.of(NEWLINE)]), this.carry.length + 1);
    const n = this.count;
    const raw = new PackedIds(this.idBytes.subarray(0, this.idLength), this.ends.subarray(0, n));
    const order = byteOrder(raw);
    const ids = raw.permuted(order, true);
    const weights = new Int32Array(new SharedArrayBuffer(n * 4));
    const tierOf = new Uint16Array(n);
    const regionOf = new Uint16Array(n);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      weights[k] = this.weights[i]!;
      tierOf[k] = this.tierOf[i]!;
      regionOf[k] = this.regionOf[i]!;
    }
    return { ids, weights, tierOf, regionOf, tierNames: this.tiers.names, regionNames: this.regions.names, entrantsDigest: listDigest(ids, weights) };
  }

  /** Parses the whole lines in bytes[0, end). */
  private parseLines(bytes: Buffer, end: number): void {
    this.reserve(end);
    const idBytes = this.idBytes;
    let idLength = this.idLength;
    let n = this.count;
    for (let pos = 0; pos < end; ) {
      let c = bytes[pos]!;
      while (c !== TAB) {
        if (c === NEWLINE) throw new Error(`frozen list: a row without its columns near byte ${pos}`);
        idBytes[idLength++] = c;
        c = bytes[++pos]!;
      }
      let weight = 0;
      for (c = bytes[++pos]!; c !== TAB; c = bytes[++pos]!) {
        if (c < 48 || c > 57) throw new Error(`frozen list: a weight that is not a number near byte ${pos}`);
        weight = weight * 10 + (c - 48);
      }
      const tierStart = ++pos;
      while (bytes[pos] !== TAB) if (bytes[pos++] === NEWLINE) throw new Error(`frozen list: a row without its region near byte ${pos}`);
      const tier = this.tiers.indexOf(bytes, tierStart, pos);
      const regionStart = ++pos;
      while (bytes[pos] !== NEWLINE) pos++;
      const region = this.regions.indexOf(bytes, regionStart, pos);
      pos++;
      this.ends[n] = idLength;
      this.weights[n] = weight;
      this.tierOf[n] = tier;
      this.regionOf[n] = region;
      n++;
    }
    this.idLength = idLength;
    this.count = n;
  }

  /** Room for every row that `incoming` more bytes can hold (ids are shorter than their rows; rows are at least 7 bytes). */
  private reserve(incoming: number): void {
    if (this.idLength + incoming > this.idBytes.length) this.idBytes = grown(this.idBytes, this.idLength + incoming);
    const rows = this.count + Math.ceil(incoming / 7);
    if (rows > this.ends.length) {
      this.ends = grown(this.ends, rows);
      this.weights = grown(this.weights, rows);
      this.tierOf = grown(this.tierOf, rows);
      this.regionOf = grown(this.regionOf, rows);
    }
  }
}

/** A copy of `array` with room for at least `least` items (doubling, so growth is amortised). */
function grown<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(array: T, least: number): T {
  const Ctor = array.constructor as new (length: number) => T;
  const bigger = new Ctor(Math.max(least, array.length * 2));
  bigger.set(array as never);
  return bigger;
}

/** The few distinct tier and region names, matched by their bytes without making a string per row. */
class ByteInterner {
  readonly names: string[] = [];
  private readonly encoded: Buffer[] = [];

  indexOf(bytes: Buffer, start: number, end: number): number {
    const length = end - start;
    search: for (let k = 0; k < this.encoded.length; k++) {
      const name = this.encoded[k]!;
      if (name.length !== length) continue;
      for (let b = 0; b < length; b++) if (name[b] !== bytes[start + b]) continue search;
      return k;
    }
    this.encoded.push(Buffer.from(bytes.subarray(start, end)));
    this.names.push(bytes.toString('utf8', start, end));
    return this.names.length - 1;
  }
}

/** For tests and tools: COPY text at once, or as the chunks a stream would deliver. */
export function parseFrozenList(text: string | readonly Buffer[]): FrozenList {
  const parser = new FrozenListParser();
  for (const chunk of typeof text === 'string' ? [Buffer.from(text, 'utf8')] : text) parser.push(chunk);
  return parser.finish();
}

/**
 * sha256 of the `"<entryId>\t<weight>\n"` lines, written straight into a reused byte block:
 * a million lines as concatenated strings cost more in string flattening and garbage than the
 * hash itself.
 */
function listDigest(ids: PackedIds, weights: Int32Array): string {
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  for (let k = 0; k < ids.length; k++) {
    const start = ids.start(k);
    const end = ids.ends[k]!;
    // room for the id, a tab, a weight of up to 10 digits and a newline
    if (pos + end - start + 12 > block.length) {
      hash.update(block.subarray(0, pos));
      pos = 0;
    }
    if (end - start + 12 > block.length) {
      hash.update(ids.bytes.subarray(start, end));
    } else {
      for (let b = start; b < end; b++) block[pos++] = ids.bytes[b]!;
    }
    block[pos++] = TAB;
    pos = writeDigits(block, pos, weights[k]!);
    block[pos++] = NEWLINE;
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

/** The value of a lowercase hex digit's byte, or -1. */
function hexValue(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
}

/**
 * The permutation that sorts ids in byte order. Our entry ids are `e` + 24 lowercase hex
 * digits: for ids of one length and first letter whose next 12 characters are lowercase hex,
 * byte order is the order of those 48 bits, then of the whole id, so a radix sort does it in
 * linear time. Any other shape falls back to a comparison sort.
 */
export function byteOrder(ids: PackedIds): Uint32Array {
  const n = ids.length;
  const hi = new Uint32Array(n);
  const lo = new Uint16Array(n);
  const bytes = ids.bytes;
  let uniform = true;
  for (let i = 0; i < n && uniform; i++) {
    const start = ids.start(i);
    if (ids.ends[i]! - start !== 25 || bytes[start] !== 101) {
      uniform = false;
      break;
    }
    let h = 0;
    let l = 0;
    // Only the first 12 digits are read: past them, ties are settled by comparing whole ids.
    for (let c = 1; c <= 12; c++) {
      const v = hexValue(bytes[start + c]!);
      if (v < 0) uniform = false;
      else if (c <= 8) h = h * 16 + v;
      else l = l * 16 + v;
    }
    hi[i] = h;
    lo[i] = l;
  }
  if (uniform) {
    const order = sortByPrefix(hi);
    settlePrefixTies(order, hi, lo, (i) => ids.at(i), (i) => ids.at(i));
    return order;
  }
  const fallback = Uint32Array.from({ length: n }, (_, i) => i);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return fallback.sort((a, b) => view.compare(view, ids.start(b), ids.ends[b]!, ids.start(a), ids.ends[a]!));
}
