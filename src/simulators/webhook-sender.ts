import { signWebhook } from '../integrations/webhook-signature';

export interface WebhookTarget {
  url: string;
  secret: string;
}

/**
 * Delivers a signed event at least once, like real providers: retries with backoff until a
 * 2xx answer or the attempts run out. Runs in the background; `drain()` waits for in-flight ones.
 */
export class WebhookSender {
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly maxAttempts = 8) {}

  send(target: WebhookTarget, event: { id: string; type: string; data: Record<string, unknown> }): void {
    const p = this.deliver(target, event).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async deliver(target: WebhookTarget, event: { id: string; type: string; data: unknown }) {
    const body = JSON.stringify({ ...event, created: Math.floor(Date.now() / 1000) });
    for (let attempt = 1; attempt <= this.maxAttempts && !this.stopped; attempt++) {
      try {
        const signature = signWebhook(target.secret, body, Math.floor(Date.now() / 1000));
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-drops-signature': signature },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        if (res.ok) return;
      } catch {
        // Connection refused or timeout: retried below like any provider would.
      }
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)));
    }
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  stop(): void {
    this.stopped = true;
  }
}
