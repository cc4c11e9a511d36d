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

/**
 * SIMULATOR: delivers a signed event at least once, like real providers: retries with backoff
 * until a 2xx answer or the attempts run out. The provider's fault profile may deliver an event
 * twice and delay each copy, so events arrive duplicated and out of order. `drain()` waits.
 */
export class WebhookSender {
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  delivered = 0;

  constructor(private readonly maxAttempts = 10) {}

  send(target: WebhookTarget | undefined, event: ProviderEventBody, faults?: Faults): void {
    if (!target || this.stopped) return;
    const body = JSON.stringify({ ...event, object: 'event', created: Math.floor(Date.now() / 1000) });
    for (const delayMs of faults ? faults.webhookDeliveries() : [0]) {
      const p = this.deliver(target, body, delayMs).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private async deliver(target: WebhookTarget, body: string, delayMs: number) {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    for (let attempt = 1; attempt <= this.maxAttempts && !this.stopped; attempt++) {
      try {
        const signature = signWebhook(target.secret, body, Math.floor(Date.now() / 1000));
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-drops-signature': signature },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        if (res.ok) {
          this.delivered += 1;
          return;
        }
      } catch {
        // Connection refused or timeout: retried below like any provider would.
      }
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)));
    }
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  stop(): void {
    this.stopped = true;
  }
}
