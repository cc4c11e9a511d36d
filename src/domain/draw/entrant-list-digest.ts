import { createHash } from 'node:crypto';
import { grown } from './typed-arrays';

const TAB = 9;
const NEWLINE = 10;

/**
 * The entrants digest of drops-lottery-v1 (sha256 of the `"<entryId>\t<weight>\n"` lines sorted
 * by entryId in byte order), fed one entry at a time in any order, as the frozen list streams in.
 *
 * Each line is written at once into a bucket named by its id's first three bytes. Sorting a
 * million ids in one array means a million random reads over 25 MB when the lines are hashed
 * (measured: ~0.4 s, more than the hash); here the sort is done bucket by bucket (a few thousand
 * lines, a few hundred KB, in cache) and the buckets are hashed in order. Ids are compared as
 * bytes; ids never hold a NUL byte, so a missing byte (a short id) sorts first.
 */
export class EntrantListDigest {
  private readonly buckets = new Map<number, LineBucket>();

  add(bytes: Uint8Array, start: number, end: number, weight: number): void {
    const key = (byteAt(bytes, start, end, 0) << 16) | (byteAt(bytes, start, end, 1) << 8) | byteAt(bytes, start, end, 2);
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new LineBucket()));
    bucket.add(bytes, start, end, weight);
  }

  digest(): string {
    const hash = createHash('sha256');
    for (const key of [...this.buckets.keys()].sort((a, b) => a - b)) this.buckets.get(key)!.hashInOrder(hash);
    return hash.digest('hex');
  }
}

function byteAt(bytes: Uint8Array, start: number, end: number, k: number): number {
  return start + k < end ? bytes[start + k]! : 0;
}

/** One bucket's lines, back to back, with where each starts and how long its id is. */
class LineBucket {
  private text = new Uint8Array(4096);
  private length = 0;
  private starts = new Uint32Array(128);
  private idLengths = new Uint16Array(128);
  private count = 0;

  add(bytes: Uint8Array, start: number, end: number, weight: number): void {
    const idLength = end - start;
    if (idLength > 0xffff) throw new Error('entry id too long');
    // room for the id, a tab, any int32 weight (11 characters at most) and a newline
    if (this.length + idLength + 13 > this.text.length) this.text = grown(this.text, this.length + idLength + 13);
    if (this.count === this.starts.length) {
      this.starts = grown(this.starts, this.count + 1);
      this.idLengths = grown(this.idLengths, this.count + 1);
    }
    const text = this.text;
    let pos = this.length;
    this.starts[this.count] = pos;
    this.idLengths[this.count++] = idLength;
    for (let b = start; b < end; b++) text[pos++] = bytes[b]!;
    text[pos++] = TAB;
    if (weight >= 0 && weight < 10) text[pos++] = 48 + weight;
    else for (const c of Buffer.from(String(weight), 'latin1')) text[pos++] = c;
    text[pos++] = NEWLINE;
    this.length = pos;
  }

  hashInOrder(hash: ReturnType<typeof createHash>): void {
    const order = this.sortedLines();
    const { text, starts, count, length } = this;
    const out = Buffer.allocUnsafe(length);
    let pos = 0;
    for (let k = 0; k < order.length; k++) {
      const line = order[k]!;
      const to = line + 1 < count ? starts[line + 1]! : length;
      for (let b = starts[line]!; b < to; b++) out[pos++] = text[b]!;
    }
    hash.update(out);
  }

  /**
   * Line numbers in byte order of their ids: by a 32-bit number read from the ids past the three
   * bytes the bucket shares, then, for the few that share it, by whole id. The number is the next
   * eight characters read as hex when every id here has them (our ids are `e` + hex: 32 bits of
   * randomness, so ties are rare), else the next four bytes.
   */
  private sortedLines(): Uint32Array {
    const { count: n, text, starts, idLengths } = this;
    let hex = true;
    for (let line = 0; line < n && hex; line++) {
      const s = starts[line]!;
      if (idLengths[line]! < 11) hex = false;
      for (let k = 3; k < 11 && hex; k++) hex = hexValue(text[s + k]!) >= 0;
    }
    const keys = new Uint32Array(n);
    for (let line = 0; line < n; line++) {
      const s = starts[line]!;
      const e = s + idLengths[line]!;
      let prefix = 0;
      if (hex) for (let k = 3; k < 11; k++) prefix = prefix * 16 + hexValue(text[s + k]!);
      else for (let k = 3; k < 7; k++) prefix = prefix * 256 + (s + k < e ? text[s + k]! : 0);
      keys[line] = prefix;
    }
    const order = radixOrder(keys);
    // Runs with the same prefix are settled by comparing whole ids.
    for (let from = 0; from < n;) {
      let to = from + 1;
      while (to < n && keys[order[to]!] === keys[order[from]!]) to++;
      if (to - from > 1) {
        const run = Array.from(order.subarray(from, to));
        run.sort((a, b) => this.compareIds(a, b));
        order.set(run, from);
      }
      from = to;
    }
    return order;
  }

  private compareIds(a: number, b: number): number {
    const text = Buffer.from(this.text.buffer, this.text.byteOffset, this.text.byteLength);
    const sa = this.starts[a]!;
    const sb = this.starts[b]!;
    return text.compare(text, sb, sb + this.idLengths[b]!, sa, sa + this.idLengths[a]!);
  }
}

/** Indices of `keys` in ascending order of key: LSD radix, three stable passes of 11, 11 and 10 bits. */
function radixOrder(keys: Uint32Array): Uint32Array {
  const n = keys.length;
  let from = new Uint32Array(n);
  for (let i = 0; i < n; i++) from[i] = i;
  let to = new Uint32Array(n);
  const counts = new Uint32Array(2049);
  for (let shift = 0; shift < 32; shift += 11) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[((keys[from[k]!]! >>> shift) & 2047) + 1]!++;
    for (let d = 1; d < 2049; d++) counts[d]! += counts[d - 1]!;
    for (let k = 0; k < n; k++) {
      const i = from[k]!;
      to[counts[(keys[i]! >>> shift) & 2047]!++] = i;
    }
    [from, to] = [to, from];
  }
  return from;
}

/** The value of a lowercase hex digit's byte, or -1 (uppercase would break byte order). */
function hexValue(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
}
