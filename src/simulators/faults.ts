import type { NextFunction, Request, Response } from 'express';
import { pause as sleep } from '../lib/poll';
import { seededRandom } from '../lib/seeded-random';

/**
 * SIMULATOR fault injection, seeded so a run can be repeated. Each provider (payments, each
 * carrier, lockers) has its own profile and its own random stream.
 */
export interface FaultProfile {
  /** Share of calls answered 500 before anything is done (nothing committed). */
  errorRate: number;
  /** Share of calls carried out whose answer is then held past the caller's timeout and dropped. */
  timeoutRate: number;
  /** Share of calls carried out whose answer is then lost (the connection is cut). */
  lostResponseRate: number;
  /** Added latency per call, in ms (uniform in [latencyMs/2, latencyMs * 1.5]). */
  latencyMs: number;
  /** How long a "timeout" call is held before it is carried out. */
  holdMs: number;
  /** Share of webhooks delivered twice. */
  duplicateWebhookRate: number;
  /** Extra random delay per webhook, in ms, so later events can overtake earlier ones. */
  webhookJitterMs: number;
  /** The whole provider answers 503 (an outage switch). */
  down: boolean;
}

export const NO_FAULTS: FaultProfile = {
  errorRate: 0,
  timeoutRate: 0,
  lostResponseRate: 0,
  latencyMs: 0,
  holdMs: 12_000,
  duplicateWebhookRate: 0,
  webhookJitterMs: 0,
  down: false,
};

export class Faults {
  profile: FaultProfile;
  readonly random: () => number;
  /** What was injected, for tests and the demo's summary. */
  readonly injected = { errors: 0, timeouts: 0, lostResponses: 0, outages: 0, duplicateWebhooks: 0 };

  constructor(seed: number, profile: Partial<FaultProfile> = {}) {
    this.random = seededRandom(seed);
    this.profile = { ...NO_FAULTS, ...profile };
  }

  set(profile: Partial<FaultProfile>): void {
    this.profile = { ...this.profile, ...profile };
  }

  /** Express middleware for a provider's API routes (not the entrant-facing pages). */
  middleware() {
    return async (_req: Request, res: Response, next: NextFunction) => {
      const p = this.profile;
      if (p.down) {
        this.injected.outages += 1;
        return void res.status(503).json({ error: { type: 'api_error', message: 'simulated outage' } });
      }
      if (p.latencyMs > 0) await sleep(p.latencyMs * (0.5 + this.random()));
      const roll = this.random();
      if (roll < p.errorRate) {
        this.injected.errors += 1;
        return void res.status(500).json({ error: { type: 'api_error', message: 'simulated failure' } });
      }
      if (roll < p.errorRate + p.timeoutRate) {
        this.injected.timeouts += 1;
        return void this.cutAfterHandling(res, next, p.holdMs);
      }
      if (roll < p.errorRate + p.timeoutRate + p.lostResponseRate) {
        this.injected.lostResponses += 1;
        return void this.cutAfterHandling(res, next, 0);
      }
      next();
    };
  }

  /** Lets the route commit its effect, then (after `holdMs`) drops the connection unanswered. */
  private cutAfterHandling(res: Response, next: NextFunction, holdMs: number) {
    const socket = res.socket;
    res.json = () => {
      if (holdMs > 0) setTimeout(() => socket?.destroy(), holdMs).unref();
      else socket?.destroy();
      return res;
    };
    next();
  }

  /** A webhook's delivery plan: how many copies, and each one's extra delay. */
  webhookDeliveries(): number[] {
    const copies = this.random() < this.profile.duplicateWebhookRate ? 2 : 1;
    if (copies === 2) this.injected.duplicateWebhooks += 1;
    return Array.from({ length: copies }, () => Math.floor(this.random() * this.profile.webhookJitterMs));
  }
}
