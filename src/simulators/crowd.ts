import { seededRandom } from '../lib/seeded-random';

/**
 * SIMULATOR — the entrants, for benchmarks and load tests: when a payment intent is created
 * some pay at the hosted checkout, some are declined and the rest let the window lapse; when a
 * compartment is reserved some open it with their claim code. Seeded; off unless configured.
 * (Demos and most tests drive entrants through our public API instead.)
 */
export interface CrowdBehaviour {
  payRate: number;
  declineRate: number;
  pickupRate: number;
  /** How long an entrant takes to act, uniform in [0, delayMs]. */
  delayMs: number;
}

export class Crowd {
  private readonly random: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly behaviour: CrowdBehaviour,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  /** Decides now (so the seed fixes every choice) and acts later. */
  later(act: () => void): void {
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        act();
      },
      Math.floor(this.random() * this.behaviour.delayMs),
    );
    this.timers.add(t);
  }

  paymentChoice(): 'pay' | 'decline' | 'lapse' {
    const roll = this.random();
    if (roll < this.behaviour.declineRate) return 'decline';
    return roll < this.behaviour.declineRate + this.behaviour.payRate ? 'pay' : 'lapse';
  }

  picksUp(): boolean {
    return this.random() < this.behaviour.pickupRate;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
