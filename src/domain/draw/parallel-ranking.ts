import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isSharedArrayBuffer } from 'node:util/types';
import { Worker } from 'node:worker_threads';
import type { FrozenList } from './frozen-list-parser';
import { PackedIds } from './packed-ids';
import { assertWeights, rankIndices, settleTies, type FlatEntries } from './ranking';
import type { RankingThreadReply, RankingThreadRequest } from './ranking-thread';
import { sharedCopy } from './typed-arrays';

/**
 * Hashing the tickets is nearly all of a big draw's CPU time, and each entry's key is
 * independent, so the entries are split across worker threads, which also sort their share by
 * key; the sorted shares are merged here. The same threads later cut the ranking into its chunks'
 * texts (a million reads scattered over 25 MB of ids) while this thread writes them to Postgres.
 *
 * The ids, the weights, the key prefixes and the ranking are SharedArrayBuffers: each thread reads
 * and writes its range in place, and nothing is copied between threads. The threads are started
 * when the draw starts, so their start-up overlaps the load of the frozen list, and they run this
 * very module's kernel (through the same TypeScript loader as the CLI): one implementation of the key.
 */
const THREAD_SOURCE = `
require(${JSON.stringify(require.resolve('tsx/cjs'))});
require(${JSON.stringify(join(__dirname, 'ranking-thread.ts'))});
`;

/** Below this many entries threads cost more than they save. */
const PARALLEL_FROM = 20_000;

export class RankingThreads {
  private readonly pending: Array<Array<{ resolve: (r: RankingThreadReply) => void; reject: (e: Error) => void }>>;

  /** Why a thread is gone, once it is: later requests to it fail at once instead of waiting forever. */
  private readonly gone: Array<Error | undefined>;

  private constructor(private readonly workers: Worker[]) {
    this.pending = workers.map(() => []);
    this.gone = workers.map(() => undefined);
    workers.forEach((worker, w) => {
      const failAll = (err: Error) => {
        this.gone[w] ??= err;
        for (const p of this.pending[w]!.splice(0)) p.reject(err);
      };
      worker.on('message', (reply: RankingThreadReply) => {
        const p = this.pending[w]!.shift();
        if (!p) return;
        if (reply.op === 'failed') p.reject(new Error(`draw thread failed: ${reply.message}`));
        else p.resolve(reply);
      });
      worker.on('error', failAll);
      worker.on('exit', (code) => failAll(new Error(`draw thread exited with code ${code}`)));
    });
  }

  static start(count = Math.max(1, availableParallelism())): RankingThreads {
    return new RankingThreads(Array.from({ length: count }, () => new Worker(THREAD_SOURCE, { eval: true })));
  }

  /** Entry indices in draw order, on a SharedArrayBuffer (for `chunkText`). */
  async rank(dropId: string, drawSeed: string, entries: FlatEntries): Promise<Uint32Array> {
    const n = entries.ids.length;
    assertWeights(entries.ids, entries.weights);
    const ids = entries.ids.toShared();
    const weights = sharedCopy(entries.weights instanceof Int32Array ? entries.weights : Int32Array.from(entries.weights));
    const hi = new Uint32Array(new SharedArrayBuffer(n * 4));
    const lo = new Uint16Array(new SharedArrayBuffer(n * 2));
    const runs = new Uint32Array(new SharedArrayBuffer(n * 4));
    const per = Math.ceil(n / this.workers.length);
    const bounds = this.workers.map((_, t) => Math.min(n, t * per));
    await Promise.all(
      this.workers.map((_, t) => {
        const from = bounds[t]!;
        const to = Math.min(n, from + per);
        if (from >= to) return undefined;
        return this.ask(t, { op: 'rank', drawSeed, dropId, bytes: ids.bytes, ends: ids.ends, weights, from, to, hi, lo, run: runs });
      }),
    );
    const order = mergeRuns(runs, [...bounds, n], hi);
    settleTies(dropId, drawSeed, { ids, weights }, order, hi, lo);
    return order;
  }

  /** The ranking's ids in `order[from, to)`, one per line: a ranking chunk's text, cut by the least busy thread. */
  async chunkText(ids: PackedIds, order: Uint32Array, from: number, to: number): Promise<string> {
    if (!ids.isShared || !isSharedArrayBuffer(order.buffer)) throw new Error('chunkText needs the ids and the order on SharedArrayBuffers');
    let w = 0;
    for (let k = 1; k < this.workers.length; k++) if (this.pending[k]!.length < this.pending[w]!.length) w = k;
    const reply = await this.ask(w, { op: 'lines', bytes: ids.bytes, ends: ids.ends, order, from, to });
    if (reply.op !== 'lines') throw new Error(`draw thread answered ${reply.op}`);
    return Buffer.from(reply.text.buffer, reply.text.byteOffset, reply.text.byteLength).toString('utf8');
  }

  /**
   * Parses the frozen list's COPY text on the first thread, so that this thread only receives it:
   * parsing a million rows here was slower than Postgres producing them.
   */
  frozenListSink(): { push(chunk: Uint8Array): void; finish(): Promise<FrozenList> } {
    return {
      push: (chunk) => {
        // A copy of its own: the driver's chunk may share its memory with other data.
        const own = new Uint8Array(chunk);
        this.workers[0]!.postMessage({ op: 'parse', chunk: own } satisfies RankingThreadRequest, [own.buffer]);
      },
      finish: async () => {
        const reply = await this.ask(0, { op: 'parsed' });
        if (reply.op !== 'list') throw new Error(`draw thread answered ${reply.op}`);
        const { bytes, ends, ...rest } = reply.list;
        return { ...rest, ids: new PackedIds(bytes, ends) };
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private ask(w: number, request: RankingThreadRequest): Promise<RankingThreadReply> {
    return new Promise((resolve, reject) => {
      if (this.gone[w]) return reject(this.gone[w]);
      this.pending[w]!.push({ resolve, reject });
      this.workers[w]!.postMessage(request);
    });
  }
}

/** Ranks entries on threads when there are enough of them to pay for the threads. */
export async function rankIndicesParallel(
  dropId: string,
  drawSeed: string,
  entries: FlatEntries,
  opts: { threads?: number; parallelFrom?: number } = {},
): Promise<Uint32Array> {
  const threads = opts.threads ?? Math.max(1, availableParallelism());
  const n = entries.ids.length;
  if (threads <= 1 || n < (opts.parallelFrom ?? PARALLEL_FROM)) return rankIndices(dropId, drawSeed, entries);
  const pool = RankingThreads.start(threads);
  try {
    return await pool.rank(dropId, drawSeed, entries);
  } finally {
    await pool.close();
  }
}

/** Merges the runs[bounds[k], bounds[k + 1]) (each sorted by hi) into one order by hi, on a SharedArrayBuffer. */
function mergeRuns(runs: Uint32Array, bounds: number[], hi: Uint32Array): Uint32Array {
  let src = runs;
  let edges = bounds.filter((b, k) => k === 0 || b > bounds[k - 1]!);
  while (edges.length > 2) {
    const dst = new Uint32Array(new SharedArrayBuffer(src.byteLength));
    const next = [0];
    for (let k = 0; k + 1 < edges.length; k += 2) {
      const a = edges[k]!;
      const m = edges[k + 1]!;
      const b = edges[k + 2] ?? m;
      let i = a;
      let j = m;
      let out = a;
      while (i < m && j < b) dst[out++] = hi[src[j]!]! < hi[src[i]!]! ? src[j++]! : src[i++]!;
      while (i < m) dst[out++] = src[i++]!;
      while (j < b) dst[out++] = src[j++]!;
      next.push(b);
    }
    src = dst;
    edges = next;
  }
  return src;
}
