import { to as copyTo } from 'pg-copy-streams';
import type { Db } from '../connection';
import { poolOf } from '../connection';
import { EntrantListDigest } from '../../domain/draw/entrant-list-digest';
import { PackedIds } from '../../domain/draw/packed-ids';

/**
 * The frozen entrant list of a drop, read in one COPY and held as flat arrays in the order the
 * rows came: a million entries without a million objects, or even a million strings (the ids
 * stay bytes). Only the digest needs the list in entryId order, and it reads the list through
 * the sorting permutation: moving 25 MB of ids into that order costs more than the digest
 * itself, and nothing else depends on the order of the list (the ranking is by key).
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
  private readonly digest = new EntrantListDigest();

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
    const ids = new PackedIds(this.idBytes.subarray(0, this.idLength), this.ends.subarray(0, n));
    const weights = this.weights.subarray(0, n);
    return {
      ids,
      weights,
      tierOf: this.tierOf.subarray(0, n),
      regionOf: this.regionOf.subarray(0, n),
      tierNames: this.tiers.names,
      regionNames: this.regions.names,
      entrantsDigest: this.digest.digest(),
    };
  }

  /** Parses the whole lines in bytes[0, end). */
  private parseLines(bytes: Buffer, end: number): void {
    this.reserve(end);
    const idBytes = this.idBytes;
    let idLength = this.idLength;
    let n = this.count;
    for (let pos = 0; pos < end; ) {
      const idStart = pos;
      let c = bytes[pos]!;
      while (c !== TAB) {
        if (c === NEWLINE) throw new Error(`frozen list: a row without its columns near byte ${pos}`);
        idBytes[idLength++] = c;
        c = bytes[++pos]!;
      }
      const idEnd = pos;
      let weight = 0;
      for (c = bytes[++pos]!; c !== TAB; c = bytes[++pos]!) {
        if (c < 48 || c > 57) throw new Error(`frozen list: a weight that is not a number near byte ${pos}`);
        weight = weight * 10 + (c - 48);
      }
      this.digest.add(bytes, idStart, idEnd, weight);
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
