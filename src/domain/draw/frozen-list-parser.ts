import { EntrantListDigest } from './entrant-list-digest';
import { PackedIds } from './packed-ids';
import { grown, sharedCopy } from './typed-arrays';

/**
 * The frozen entrant list of a drop, held as flat arrays in the order the rows came: a million
 * entries without a million objects, or even a million strings (the ids stay bytes, and ids and
 * weights are on SharedArrayBuffers for the ranking threads). Only the digest needs the list in
 * entryId order, and it sorts its own lines as they come (`EntrantListDigest`); nothing else
 * depends on the order of the list (the ranking is by key).
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

const TAB = 9;
const NEWLINE = 10;

/**
 * Parses COPY text rows `id\tweight\ttier\tregion\n` in any order, chunk by chunk, straight
 * from the bytes. Ids, tiers and regions are plain slugs (COPY escapes nothing in them).
 */
export class FrozenListParser {
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

  push(chunk: Uint8Array): void {
    const bytes = this.carry ? Buffer.concat([this.carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const last = bytes.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.carry = Buffer.from(bytes);
      return;
    }
    this.parseLines(bytes, last + 1);
    this.carry = last + 1 < bytes.length ? Buffer.from(bytes.subarray(last + 1)) : null;
  }

  /** The list, with its ids and weights on SharedArrayBuffers. */
  finish(): FrozenList {
    if (this.carry && this.carry.length > 0) this.parseLines(Buffer.concat([this.carry, Buffer.of(NEWLINE)]), this.carry.length + 1);
    const n = this.count;
    const ids = new PackedIds(this.idBytes.subarray(0, this.idLength), this.ends.subarray(0, n)).toShared();
    const weights = sharedCopy(this.weights.subarray(0, n));
    return {
      ids,
      weights,
      tierOf: this.tierOf.slice(0, n),
      regionOf: this.regionOf.slice(0, n),
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
    for (let pos = 0; pos < end;) {
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
