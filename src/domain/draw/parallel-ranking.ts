import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { assertWeights, keyPrefixes, orderFromPrefixes, type FlatEntries } from './ranking';

/**
 * Hashing the tickets is nearly all of a big draw's CPU time, and each entry's key is
 * independent, so the entries are split across worker threads. The threads load this very
 * module's kernel (through the same TypeScript loader as the CLI), so there is one
 * implementation of the key.
 */
const WORKER_SOURCE = `
require(${JSON.stringify(require.resolve('tsx/cjs'))});
const { parentPort, workerData } = require('node:worker_threads');
const { keyPrefixes } = require(${JSON.stringify(join(__dirname, 'ranking.ts'))});
const { drawSeed, dropId, idsText, weights } = workerData;
const ids = idsText.split(String.fromCharCode(10));
const hi = new Uint32Array(ids.length);
const lo = new Uint16Array(ids.length);
keyPrefixes(drawSeed, dropId, ids, weights, 0, ids.length, hi, lo);
parentPort.postMessage({ hi, lo }, [hi.buffer, lo.buffer]);
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
  const hi = new Uint32Array(n);
  const lo = new Uint16Array(n);
  if (threads <= 1 || n < (opts.parallelFrom ?? PARALLEL_FROM)) {
    keyPrefixes(drawSeed, dropId, entries.ids, entries.weights, 0, n, hi, lo);
  } else {
    const per = Math.ceil(n / threads);
    await Promise.all(
      Array.from({ length: threads }, async (_, t) => {
        const from = t * per;
        const to = Math.min(n, from + per);
        if (from >= to) return;
        const weights = Int32Array.from({ length: to - from }, (_, k) => entries.weights[from + k]!);
        // One string crosses to the thread much faster than half a million small ones.
        const part = await runKernelThread(drawSeed, dropId, entries.ids.slice(from, to).join('\n'), weights);
        hi.set(part.hi, from);
        lo.set(part.lo, from);
      }),
    );
  }
  return orderFromPrefixes(dropId, drawSeed, entries, hi, lo);
}

function runKernelThread(drawSeed: string, dropId: string, idsText: string, weights: Int32Array): Promise<{ hi: Uint32Array; lo: Uint16Array }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { drawSeed, dropId, idsText, weights } });
    worker.once('message', (m: { hi: Uint32Array; lo: Uint16Array }) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`draw hashing thread exited with code ${code}`));
    });
  });
}
