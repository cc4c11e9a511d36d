import type { PackedIds } from './packed-ids';

/**
 * A key-prefix kernel writes, for entries [from, to), the first 48 bits of each entry's smallest
 * ticket key into hi (32 bits) and lo (16 bits).
 */
export type KeyPrefixKernel<R> = (
  drawSeed: string,
  dropId: string,
  ids: PackedIds,
  weights: ArrayLike<number>,
  from: number,
  to: number,
  hi: Uint32Array,
  lo: Uint16Array,
) => R;

/**
 * SHA-256 for drops-lottery-v1's ticket keys, in plain JavaScript. Every ticket message starts
 * with the 64-character draw seed, which is exactly one SHA-256 block: its compression is done
 * once per draw (the midstate) and each ticket then costs one compression of its short tail,
 * with no native call, string encoding or hex output per ticket. Checked against node:crypto
 * in the tests.
 */
export const ticketKeyPrefixKernelFast: KeyPrefixKernel<boolean> = (drawSeed, dropId, ids, weights, from, to, hi, lo) => {
  const K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
    0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
    0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
    0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
    0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  const w = new Int32Array(64);
  const out = new Int32Array(8);
  const compress = (state: Int32Array, o: Int32Array) => {
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15]!;
      const b = w[t - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
    }
    let a = state[0]!,
      b = state[1]!,
      c = state[2]!,
      d = state[3]!,
      e = state[4]!,
      f = state[5]!,
      g = state[6]!,
      h = state[7]!;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[t]! + w[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    o[0] = (state[0]! + a) | 0;
    o[1] = (state[1]! + b) | 0;
    o[2] = (state[2]! + c) | 0;
    o[3] = (state[3]! + d) | 0;
    o[4] = (state[4]! + e) | 0;
    o[5] = (state[5]! + f) | 0;
    o[6] = (state[6]! + g) | 0;
    o[7] = (state[7]! + h) | 0;
  };
  // Only ASCII, one block of seed and one block of tail: otherwise the caller uses node:crypto.
  if (drawSeed.length !== 64 || /[^\x20-\x7e]/.test(drawSeed + dropId)) return false;
  const bytes = new Uint8Array(64);
  const loadBlock = () => {
    for (let i = 0; i < 16; i++) w[i] = (bytes[4 * i]! << 24) | (bytes[4 * i + 1]! << 16) | (bytes[4 * i + 2]! << 8) | bytes[4 * i + 3]!;
  };
  for (let i = 0; i < 64; i++) bytes[i] = drawSeed.charCodeAt(i);
  loadBlock();
  const mid = new Int32Array(8);
  compress(new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]), mid);
  const best = new Uint32Array(8);
  const prefix = ':' + dropId + ':';
  const idBytes = ids.bytes;
  for (let i = from; i < to; i++) {
    const idStart = ids.start(i);
    const idLength = ids.ends[i]! - idStart;
    const weight = weights[i]!;
    const headLength = prefix.length + idLength + 1;
    // 55 bytes is the most one block holds beside the padding and the length.
    if (headLength + String(weight - 1).length > 55) return false;
    bytes.fill(0);
    for (let k = 0; k < prefix.length; k++) bytes[k] = prefix.charCodeAt(k);
    // The id's bytes are already its UTF-8, which is what is hashed.
    for (let k = 0; k < idLength; k++) bytes[prefix.length + k] = idBytes[idStart + k]!;
    bytes[headLength - 1] = 58; // ':'
    for (let t = 0; t < weight; t++) {
      const digits = String(t);
      const length = headLength + digits.length;
      for (let k = 0; k < digits.length; k++) bytes[headLength + k] = digits.charCodeAt(k);
      bytes[length] = 0x80;
      const bits = (64 + length) * 8;
      bytes[62] = bits >>> 8;
      bytes[63] = bits & 0xff;
      loadBlock();
      compress(mid, out);
      let smaller = t === 0;
      if (!smaller) {
        for (let k = 0; k < 8; k++) {
          const x = out[k]! >>> 0;
          if (x !== best[k]) {
            smaller = x < best[k]!;
            break;
          }
        }
      }
      if (smaller) for (let k = 0; k < 8; k++) best[k] = out[k]! >>> 0;
    }
    hi[i - from] = best[0]!;
    lo[i - from] = best[1]! >>> 16;
  }
  return true;
};
