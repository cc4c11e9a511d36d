import { parentPort } from 'node:worker_threads';
import { PackedIds } from './packed-ids';
import { keyPrefixes, sortByPrefix } from './ranking';

/**
 * One ranking thread (started by `RankingThreads`). Every array it gets is on a
 * SharedArrayBuffer: it reads its range of entries and writes its range of results in place.
 */
export type RankingThreadRequest =
  | {
      op: 'rank';
      drawSeed: string;
      dropId: string;
      bytes: Uint8Array;
      ends: Uint32Array;
      weights: Int32Array;
      from: number;
      to: number;
      hi: Uint32Array;
      lo: Uint16Array;
      /** Receives entries [from, to) sorted by hi, as indices into the whole list. */
      run: Uint32Array;
    }
  | { op: 'lines'; bytes: Uint8Array; ends: Uint32Array; order: Uint32Array; from: number; to: number };

export type RankingThreadReply = { op: 'ranked' } | { op: 'lines'; text: Uint8Array } | { op: 'failed'; message: string };

function handle(request: RankingThreadRequest): { reply: RankingThreadReply; transfer: ArrayBuffer[] } {
  if (request.op === 'rank') {
    const { drawSeed, dropId, bytes, ends, weights, from, to, hi, lo, run } = request;
    const myHi = hi.subarray(from, to);
    keyPrefixes(drawSeed, dropId, new PackedIds(bytes, ends), weights, from, to, myHi, lo.subarray(from, to));
    const local = sortByPrefix(myHi);
    for (let k = 0; k < local.length; k++) run[from + k] = local[k]! + from;
    return { reply: { op: 'ranked' }, transfer: [] };
  }
  const text = new PackedIds(request.bytes, request.ends).lineBytes(request.order, request.from, request.to);
  return { reply: { op: 'lines', text }, transfer: [text.buffer as ArrayBuffer] };
}

parentPort?.on('message', (request: RankingThreadRequest) => {
  try {
    const { reply, transfer } = handle(request);
    parentPort!.postMessage(reply, transfer);
  } catch (err) {
    parentPort!.postMessage({ op: 'failed', message: (err as Error).stack ?? String(err) } satisfies RankingThreadReply);
  }
});
