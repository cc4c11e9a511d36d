import { setMaxListeners } from 'node:events';
import { signWebhook } from '../integrations/webhook-signature';
import type { Faults } from './faults';

export interface WebhookTarget {
  url: string;
  secret: string;
}

export interface ProviderEventBody {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export interface WebhookRetryPolicy {
  /** How long an event is retried, measured from its `created` time, in ms (Stripe: days; here a day and an hour). */
  retryWindowMs: number;
  /** First wait after a failed attempt, in ms; doubled after each failure. */
  initialBackoffMs: number;
  /** The longest wait between two attempts, in ms. */
  maxBackoffMs: number;
}

/**
 * Our API bounds its own patience at a day from the event's creation (PROVIDER_RETRY_WINDOW_SECONDS
 * in src/services/provider-events/webhook-placement.ts), then files what it cannot place as an exception: the
 * simulators retry a little longer than that, so the attempt that files it always comes.
 */
export const DEFAULT_WEBHOOK_RETRY: WebhookRetryPolicy = { retryWindowMs: 25 * 3_600_000, initialBackoffMs: 400, maxBackoffMs: 30_000 };

/**
 * SIMULATOR: delivers a signed event at least once, like real providers: any answer but a 2xx
 * (or no answer) is retried with exponential backoff until a 2xx or until the retry window,
 * counted from the event's creation, has passed. The provider's fault profile may deliver an
 * event twice and delay each copy, so events arrive duplicated and out of order. `drain()` waits;
 * `stop()` ends every retry at once.
 */
export class WebhookSender {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = (() => {
    const c = new AbortController();
    // Every webhook waiting out its delay listens (and stops listening when the wait ends): many
    // at once is the normal case, not a leak, so Node's warning past 10 listeners is turned off.
    setMaxListeners(0, c.signal);
    return c;
  })();
  delivered = 0;
  /** Attempts answered non-2xx or not answered (each was retried while the window lasted). */
  failedAttempts = 0;

  constructor(private readonly retry: WebhookRetryPolicy = DEFAULT_WEBHOOK_RETRY) {}

  send(target: WebhookTarget | undefined, event: ProviderEventBody, faults?: Faults): void {
    if (!target || this.stopping.signal.aborted) return;
    const createdMs = Date.now();
    const body = JSON.stringify({ ...event, object: 'event', created: Math.floor(createdMs / 1000) });
    for (const delayMs of faults ? faults.webhookDeliveries() : [0]) {
      const p = this.deliver(target, body, createdMs, delayMs).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private async deliver(target: WebhookTarget, body: string, createdMs: number, delayMs: number) {
    if (delayMs > 0) await this.sleep(delayMs);
    let backoffMs = this.retry.initialBackoffMs;
    while (!this.stopping.signal.aborted) {
      try {
        const signature = signWebhook(target.secret, body, Math.floor(Date.now() / 1000));
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-drops-signature': signature },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(10_000), this.stopping.signal]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.delivered += 1;
          return;
        }
      } catch {
        // Connection refused or timeout: retried below like any provider would.
      }
      this.failedAttempts += 1;
      if (Date.now() - createdMs > this.retry.retryWindowMs) return; // the provider gives up
      await this.sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, this.retry.maxBackoffMs);
    }
  }

  /** A wait that `stop()` cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopping.signal;
      if (signal.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  stop(): void {
    this.stopping.abort();
  }
}
