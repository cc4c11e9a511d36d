import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { unavailable } from '../../../domain/errors';
import { readToolingConfig } from '../../../config';
import type { IntakeRequest } from './prepare';
import type { BatchReply, ThreadOutcome } from './protocol';

export interface IntakeQueueOptions {
  /** Most registrations in one transaction. */
  maxBatch: number;
  /** Batches in flight at once (each holds one of the thread's pool connections). */
  maxInFlight: number;
  /** Registrations waiting or in flight beyond this answer 503 at once: memory stays bounded. */
  maxQueued: number;
  /**
   * While a batch is in flight another is sent only once this many are waiting: batches stay
   * large (cheap per row) in steady state, and a slow commit does not hold everyone back.
   */
  minBatchWhileBusy: number;
}

/**
 * Measured (bench intake, several runs each): one batch in flight at a time was the steadiest;
 * 2 or 3 in flight (a second only once 100-200 wait) were no better on average on 2 cores.
 */
export const DEFAULT_INTAKE_OPTIONS: IntakeQueueOptions = { maxBatch: 1_000, maxInFlight: 1, maxQueued: 5_000, minBatchWhileBusy: 100 };

interface Waiting {
  request: IntakeRequest;
  resolve: (o: ThreadOutcome) => void;
  reject: (e: unknown) => void;
}

const TRACE = readToolingConfig().DROPS_INTAKE_TRACE;

const THREAD_SOURCE = (tsxCjs: string, entry: string) => `require(${JSON.stringify(tsxCjs)}); require(${JSON.stringify(entry)});`;

/**
 * Group commit for registrations. Requests parsed in the same turn of the event loop, and those
 * arriving while earlier batches are being written, go to the intake thread together and are
 * written in one transaction. Nothing is answered before its batch commits. Under overload the
 * queue refuses new work (503 + Retry-After) instead of growing without bound; when Postgres
 * is down the batch's requests get a 503 and the process carries on.
 */
export class EntryIntakeQueue {
  private queue: Waiting[] = [];
  private inFlight = new Map<number, Waiting[]>();
  private sentAt = new Map<number, number>();
  private nextBatchId = 1;
  private scheduled = false;
  private readonly opts: IntakeQueueOptions;
  private readonly thread: Worker;

  constructor(deps: { databaseUrl: string; identitySecret: string }, opts: Partial<IntakeQueueOptions> = {}) {
    this.opts = { ...DEFAULT_INTAKE_OPTIONS, ...opts };
    this.thread = new Worker(THREAD_SOURCE(require.resolve('tsx/cjs'), join(__dirname, 'intake-thread.ts')), {
      eval: true,
      workerData: { databaseUrl: deps.databaseUrl, identitySecret: deps.identitySecret, poolSize: this.opts.maxInFlight + 1 },
    });
    // The API keeps running without the thread only long enough to answer 503s; it must not exit for it.
    this.thread.unref();
    this.thread.on('message', (reply: BatchReply) => this.settle(reply));
    this.thread.on('error', (err) => {
      console.error(`[intake] thread failed: ${err.message}`);
      this.failAll();
    });
  }

  /** Registrations accepted and not yet answered. */
  get pending(): number {
    let n = this.queue.length;
    for (const b of this.inFlight.values()) n += b.length;
    return n;
  }

  submit(request: IntakeRequest): Promise<ThreadOutcome> {
    if (this.pending >= this.opts.maxQueued) {
      return Promise.reject(unavailable('overloaded', 'registration is busy; try again shortly', 1));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  async close(): Promise<void> {
    this.thread.postMessage('stop');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => void this.thread.terminate().then(() => resolve()), 5_000);
      this.thread.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Sends on the next turn of the event loop, so requests parsed in this turn share a batch. */
  private schedule(): void {
    if (this.scheduled || !this.maySend()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.sendWhatMay();
    });
  }

  private sendWhatMay(): void {
    while (this.maySend()) {
      const batch = this.takeBatch();
      const batchId = this.nextBatchId++;
      this.inFlight.set(batchId, batch);
      if (TRACE) this.sentAt.set(batchId, performance.now());
      this.thread.postMessage({ batchId, requests: batch.map((w) => w.request) });
    }
  }

  private maySend(): boolean {
    if (this.queue.length === 0 || this.inFlight.size >= this.opts.maxInFlight) return false;
    return this.inFlight.size === 0 || this.queue.length >= this.opts.minBatchWhileBusy;
  }

  private settle(reply: BatchReply): void {
    const batch = this.inFlight.get(reply.batchId);
    if (!batch) return;
    this.inFlight.delete(reply.batchId);
    if (TRACE) {
      const t = performance.now();
      console.log(`[intake] queue batch ${batch.length} round trip ${(t - this.sentAt.get(reply.batchId)!).toFixed(1)} ms, waiting ${this.queue.length}`);
      this.sentAt.delete(reply.batchId);
    }
    // The registrations that arrived while this batch was written go to the thread before this
    // batch's answers are written out: the next commit overlaps the HTTP work of this one.
    this.sendWhatMay();
    if ('error' in reply) {
      console.error(`[intake] batch of ${batch.length} not written: ${reply.error}`);
      const refused = unavailable('database_unavailable', 'registration could not be saved; try again', 1);
      batch.forEach((w) => w.reject(refused));
    } else {
      batch.forEach((w, i) => w.resolve(reply.outcomes[i]!));
    }
  }

  private failAll(): void {
    const err = unavailable('database_unavailable', 'registration could not be saved; try again', 1);
    for (const batch of this.inFlight.values()) batch.forEach((w) => w.reject(err));
    this.inFlight.clear();
    this.queue.forEach((w) => w.reject(err));
    this.queue = [];
  }

  /**
   * Takes up to maxBatch registrations in arrival order, leaving for the next batch any that
   * share an identity (e-mail or phone), idempotency key or pass with one already taken: the next batch then sees
   * the first one committed, exactly as if they had been sent one after the other.
   */
  private takeBatch(): Waiting[] {
    const taken: Waiting[] = [];
    const left: Waiting[] = [];
    const seen = new Set<string>();
    for (const w of this.queue) {
      if (taken.length >= this.opts.maxBatch) {
        left.push(w);
        continue;
      }
      const { dropId, emailIdentity, phone, idempotencyKey, passId } = w.request;
      const keys = [`i\n${dropId}\n${emailIdentity}`];
      if (phone !== null) keys.push(`f\n${dropId}\n${phone}`);
      if (idempotencyKey !== null) keys.push(`k\n${dropId}\n${idempotencyKey}`);
      if (passId !== null) keys.push(`p\n${dropId}\n${passId}`);
      if (keys.some((k) => seen.has(k))) {
        left.push(w);
        continue;
      }
      keys.forEach((k) => seen.add(k));
      taken.push(w);
    }
    this.queue = left;
    return taken;
  }
}
