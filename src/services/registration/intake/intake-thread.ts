import { parentPort, workerData } from 'node:worker_threads';
import { readToolingConfig } from '../../../config';
import { createDb } from '../../../db/connection';
import { insertEntryBatch } from '../../../db/repositories/entry-intake';
import { deriveKey, receiptSecretFor } from '../../../domain/identity';
import { prepareIntakeItem, type IntakeRequest } from './prepare';
import type { BatchReply, BatchRequest, ThreadOutcome } from './protocol';

/** Read once: DROPS_INTAKE_TRACE logs each batch's size and timings. */
const TRACE = readToolingConfig().DROPS_INTAKE_TRACE;

/**
 * The intake thread: owns its own Postgres pool and does the per-registration work that is not
 * HTTP (keyed hashes, entry ids, the batch's SQL, the receipt secret), so the API's event loop
 * spends its time on HTTP. One reply per batch.
 */
const { databaseUrl, identitySecret, poolSize } = workerData as { databaseUrl: string; identitySecret: string; poolSize: number };
const db = createDb(databaseUrl, { max: poolSize });
const receiptKey = deriveKey(identitySecret, 'receipt');
const phoneKey = deriveKey(identitySecret, 'phone');

parentPort!.on('message', (msg: BatchRequest | 'stop') => {
  if (msg === 'stop') {
    void db.destroy().finally(() => process.exit(0));
    return;
  }
  void handle(msg).then((reply) => parentPort!.postMessage(reply));
});

async function handle({ batchId, requests }: BatchRequest): Promise<BatchReply> {
  try {
    const received = performance.now();
    const items = requests.map((r: IntakeRequest) => prepareIntakeItem(identitySecret, phoneKey, r));
    const started = performance.now();
    const outcomes = await insertEntryBatch(db, items);
    const written = performance.now();
    const withSecrets: ThreadOutcome[] = outcomes.map((o, i) => {
      const dropId = items[i]!.dropId;
      switch (o.kind) {
        case 'created':
        case 'replay':
          return { ...o, createdAt: o.createdAt.toISOString(), receiptSecret: receiptSecretFor(receiptKey, dropId, o.entryId) };
        case 'duplicate':
          return { ...o, createdAt: o.createdAt.toISOString() };
        default:
          return o;
      }
    });
    if (TRACE) {
      const ms = (a: number, b: number) => (b - a).toFixed(1);
      console.log(
        `[intake] batch ${requests.length} in ${ms(started, written)} ms (prepare ${ms(received, started)}, receipts ${ms(written, performance.now())})`,
      );
    }
    return { batchId, outcomes: withSecrets };
  } catch (err) {
    return { batchId, error: (err as Error)?.message ?? String(err) };
  }
}
