import { parentPort, workerData } from 'node:worker_threads';
import { createDb } from '../../db/connection';
import { insertEntryBatch } from '../../db/repositories/entry-intake';
import { deriveKey, receiptSecretFor } from '../../domain/identity';
import { prepareIntakeItem, type IntakeRequest } from './prepare';
import type { BatchReply, BatchRequest, ThreadOutcome } from './protocol';

/**
 * The intake thread: owns its own Postgres pool and does the per-registration work that is not
 * HTTP (keyed hashes, entry ids, the batch's SQL, the receipt secret), so the API's event loop
 * spends its time on HTTP. One reply per batch.
 */
const { databaseUrl, identitySecret, poolSize } = workerData as { databaseUrl: string; identitySecret: string; poolSize: number };
const db = createDb(databaseUrl, { max: poolSize });
const receiptKey = deriveKey(identitySecret, 'receipt');

parentPort!.on('message', (msg: BatchRequest | 'stop') => {
  if (msg === 'stop') {
    void db.destroy().finally(() => process.exit(0));
    return;
  }
  void handle(msg).then((reply) => parentPort!.postMessage(reply));
});

async function handle({ batchId, requests }: BatchRequest): Promise<BatchReply> {
  try {
    const items = requests.map((r: IntakeRequest) => prepareIntakeItem(identitySecret, r));
    const started = performance.now();
    const outcomes = await insertEntryBatch(db, items);
    if (process.env.DROPS_INTAKE_TRACE) console.log(`[intake] batch ${requests.length} in ${(performance.now() - started).toFixed(1)} ms`);
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
    return { batchId, outcomes: withSecrets };
  } catch (err) {
    return { batchId, error: (err as Error)?.message ?? String(err) };
  }
}
