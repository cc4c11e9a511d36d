import { isSharedArrayBuffer } from 'node:util/types';
import { sharedCopy } from './typed-arrays';
/**
 * Entry ids as their bytes in one block, with where each ends. A million ids as a million
 * JavaScript strings cost more to create, sort, hash and send to hashing threads than the draw's
 * arithmetic; as bytes they are 25 MB that threads read in place (the block can be a
 * SharedArrayBuffer). The bytes are the ids' UTF-8: what the draw hashes, and what byte order sorts.
 */
export class PackedIds {
  constructor(
    /** The ids' bytes back to back. */
    readonly bytes: Uint8Array,
    /** ends[i] is where id i ends; id i starts at ends[i - 1] (0 for the first). */
    readonly ends: Uint32Array,
  ) {}

  static of(ids: readonly string[]): PackedIds {
    const encoded = ids.map((id) => Buffer.from(id, 'utf8'));
    const bytes = new Uint8Array(encoded.reduce((sum, b) => sum + b.length, 0));
    const ends = new Uint32Array(ids.length);
    let pos = 0;
    encoded.forEach((b, i) => {
      bytes.set(b, pos);
      pos += b.length;
      ends[i] = pos;
    });
    return new PackedIds(bytes, ends);
  }

  get length(): number {
    return this.ends.length;
  }

  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }

  at(i: number): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString('utf8', this.start(i), this.ends[i]!);
  }

  /**
   * Ids in `order[from, to)`, one per line and no final newline (a ranking chunk's text), as bytes
   * in a block of their own (a thread can hand it over without a copy).
   */
  lineBytes(order: ArrayLike<number>, from: number, to: number): Uint8Array {
    const { bytes, ends } = this;
    let size = 0;
    for (let k = from; k < to; k++) size += ends[order[k]!]! - this.start(order[k]!) + 1;
    const out = new Uint8Array(Math.max(0, size - 1));
    let pos = 0;
    for (let k = from; k < to; k++) {
      const i = order[k]!;
      if (k > from) out[pos++] = 10;
      for (let b = i === 0 ? 0 : ends[i - 1]!, end = ends[i]!; b < end; b++) out[pos++] = bytes[b]!;
    }
    return out;
  }

  /** These ids on SharedArrayBuffers (themselves when they already are). */
  toShared(): PackedIds {
    return this.isShared ? this : new PackedIds(sharedCopy(this.bytes), sharedCopy(this.ends));
  }

  /** Whether hashing threads can read this block in place. */
  get isShared(): boolean {
    return isSharedArrayBuffer(this.bytes.buffer) && isSharedArrayBuffer(this.ends.buffer);
  }
}
