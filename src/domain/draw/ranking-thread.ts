import { parentPort } from 'node:worker_threads';
import { FrozenListParser, type FrozenList } from './frozen-list-parser';
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
  | { op: 'lines'; bytes: Uint8Array; ends: Uint32Array; order: Uint32Array; from: number; to: number }
  /** A chunk of the frozen list's COPY text, in order; not answered (a failure is answered at `parsed`). */
  | { op: 'parse'; chunk: Uint8Array }
  | { op: 'parsed' };

export type RankingThreadReply =
  | { op: 'ranked' }
  | { op: 'lines'; text: Uint8Array }
  | { op: 'list'; list: Omit<FrozenList, 'ids'> & { bytes: Uint8Array; ends: Uint32Array } }
  | { op: 'failed'; message: string };

let parser: FrozenListParser | undefined;
let parseFailure: Error | undefined;

function handle(request: RankingThreadRequest): { reply: RankingThreadReply; transfer: ArrayBuffer[] } | undefined {
  if (request.op === 'parse') {
    if (!parseFailure) {
      try {
        (parser ??= new FrozenListParser()).push(request.chunk);
      } catch (err) {
        parseFailure = err as Error;
      }
    }
    return undefined;
  }
  if (request.op === 'parsed') {
    const failure = parseFailure;
    const list = (parser ?? new FrozenListParser()).finish();
    parser = undefined;
    parseFailure = undefined;
    if (failure) throw failure;
    // ids and weights are on SharedArrayBuffers: they cross without a copy.
    const { ids, ...rest } = list;
    return { reply: { op: 'list', list: { ...rest, bytes: ids.bytes, ends: ids.ends } }, transfer: [] };
  }
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
    const answer = handle(request);
    if (answer) parentPort!.postMessage(answer.reply, answer.transfer);
  } catch (err) {
    parentPort!.postMessage({ op: 'failed', message: (err as Error).stack ?? String(err) } satisfies RankingThreadReply);
  }
});
