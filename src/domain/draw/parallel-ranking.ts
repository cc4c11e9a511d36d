import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PackedIds } from './packed-ids';
import { assertWeights, keyPrefixes, orderFromPrefixes, type FlatEntries } from './ranking';

/**
 * Hashing the tickets is nearly all of a big draw's CPU time, and each entry's key is
 * independent, so the entries are split across worker threads. The ids, the weights and the
 * keys' prefixes are SharedArrayBuffers: each thread reads its range of entries and writes its
 * range of prefixes in place, and nothing is copied between threads. The threads load this very
 * module's kernel (through the same TypeScript loader as the CLI), so there is one
 * implementation of the key.
 */
const WORKER_SOURCE = `
require(${JSON.stringify(require.resolve('tsx/cjs'))});
const { parentPort, workerData } = require('node:worker_threads');
const { keyPrefixes } = require(${JSON.stringify(join(__dirname, 'ranking.ts'))});
const { PackedIds } = require(${JSON.stringify(join(__dirname, 'packed-ids.ts'))});
const { drawSeed, dropId, bytes, ends, weights, from, to, hi, lo } = workerData;
keyPrefixes(drawSeed, dropId, new PackedIds(bytes, ends), weights, from, to, hi.subarray(from, to), lo.subarray(from, to));
parentPort.postMessage('done');
`;

/** Below this many entries threads cost more than they save. */
const PARALLEL_FROM = 20_000;

export async function rankIndicesParallel(
  dropId: string,
  drawSeed: string,
  entries: FlatEntries,
  opts: { threads?: number; parallelFrom?: number } = {},
): Promise<Uint32Array> {
  const threads = opts.threads ?? Math.max(1, availableParallelism());
  const n = entries.ids.length;
  assertWeights(entries.ids, entries.weights);
  if (threads <= 1 || n < (opts.parallelFrom ?? PARALLEL_FROM)) {
    const hi = new Uint32Array(n);
    const lo = new Uint16Array(n);
    keyPrefixes(drawSeed, dropId, entries.ids, entries.weights, 0, n, hi, lo);
    return orderFromPrefixes(dropId, drawSeed, entries, hi, lo);
  }
  const ids = entries.ids.isShared ? entries.ids : new PackedIds(shared(entries.ids.bytes), shared(entries.ids.ends));
  const weights = shared(Int32Array.from(entries.weights));
  const hi = new Uint32Array(new SharedArrayBuffer(n * 4));
  const lo = new Uint16Array(new SharedArrayBuffer(n * 2));
  const per = Math.ceil(n / threads);
  await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const from = t * per;
      const to = Math.min(n, from + per);
      return from < to ? runKernelThread({ drawSeed, dropId, bytes: ids.bytes, ends: ids.ends, weights, from, to, hi, lo }) : undefined;
    }),
  );
  return orderFromPrefixes(dropId, drawSeed, entries, hi, lo);
}

/** A copy of `array` on a SharedArrayBuffer, unless it already is on one. */
function shared<T extends Uint8Array | Uint32Array | Int32Array>(array: T): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const Ctor = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Ctor(new SharedArrayBuffer(array.byteLength));
  copy.set(array as never);
  return copy;
}

function runKernelThread(workerData: {
  drawSeed: string;
  dropId: string;
  bytes: Uint8Array;
  ends: Uint32Array;
  weights: Int32Array;
  from: number;
  to: number;
  hi: Uint32Array;
  lo: Uint16Array;
}): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`draw hashing thread exited with code ${code}`));
    });
  });
}
