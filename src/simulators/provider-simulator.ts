import express from 'express';
import type { Server } from 'node:http';
import { CarrierSimulator } from './carrier-simulator';
import { Crowd, type CrowdBehaviour } from './crowd';
import type { FaultProfile } from './faults';
import { LockerSimulator } from './locker-simulator';
import { PaymentSimulator } from './payment-simulator';
import { WebhookSender, type WebhookTarget } from './webhook-sender';

/**
 * SIMULATOR — stand-ins for a payment company (Stripe-shaped), two carriers and a locker
 * network, served over real HTTP so our adapters, idempotency keys, webhooks and signatures are
 * exercised end to end. Seeded fault injection per provider; state in memory. Not a real provider.
 *
 *   /payments/v1/...           payment API (adapter)      /payments/checkout/:clientSecret   hosted pay page
 *   /carriers/:carrierId/...   carrier API (adapter)      /lockers/v1/...          locker API (adapter)
 *   /lockers/:nodeId/open      locker keypad (entrant)    /_sim/...                test controls
 */

export const SIMULATED_CARRIERS = ['swiftship', 'parcelnow'] as const;

export type SimProvider = 'payments' | 'lockers' | `carrier:${string}`;

export interface ProviderSimulatorOptions {
  port?: number;
  /** 127.0.0.1 unless told otherwise (the compose topology binds 0.0.0.0). */
  host?: string;
  /** Seeds every provider's fault stream; the same seed injects the same faults. */
  seed?: number;
  /** Applied to every provider at start. */
  faults?: Partial<FaultProfile>;
  /** Simulated entrants who pay and pick up by themselves (benchmarks, load tests). */
  crowd?: CrowdBehaviour;
  /** Where the simulator delivers its signed webhooks (our API). Settable after start. */
  webhooks?: { payments?: WebhookTarget; carriers?: WebhookTarget; lockers?: WebhookTarget };
}

export class ProviderSimulator {
  readonly webhookSender = new WebhookSender();
  readonly payments: PaymentSimulator;
  readonly carriers: Map<string, CarrierSimulator>;
  readonly lockers: LockerSimulator;
  private server?: Server;
  url = '';

  constructor(private readonly options: ProviderSimulatorOptions = {}) {
    const seed = options.seed ?? 1;
    this.payments = new PaymentSimulator(seed, this.webhookSender);
    this.lockers = new LockerSimulator(seed + 1, this.webhookSender);
    this.carriers = new Map(SIMULATED_CARRIERS.map((c, i) => [c, new CarrierSimulator(c, seed + 2 + i, this.webhookSender)]));
    if (options.faults) this.setFaults('all', options.faults);
    if (options.crowd) this.setCrowd(options.crowd);
    if (options.webhooks) this.webhooks = options.webhooks;
  }

  set webhooks(targets: NonNullable<ProviderSimulatorOptions['webhooks']>) {
    this.payments.webhookTarget = targets.payments;
    this.lockers.webhookTarget = targets.lockers;
    for (const c of this.carriers.values()) c.webhookTarget = targets.carriers;
  }

  /** Lets simulated entrants pay and pick up by themselves (null: only real requests act). */
  setCrowd(behaviour: CrowdBehaviour | null): void {
    this.payments.crowd?.stop();
    this.lockers.crowd?.stop();
    const seed = this.options.seed ?? 1;
    this.payments.crowd = behaviour ? new Crowd(behaviour, seed + 100) : undefined;
    this.lockers.crowd = behaviour ? new Crowd(behaviour, seed + 101) : undefined;
  }

  /** Changes fault profiles: one provider, or every one. */
  setFaults(provider: SimProvider | 'all', profile: Partial<FaultProfile>): void {
    for (const f of this.faultsOf(provider)) f.set(profile);
  }

  private faultsOf(provider: SimProvider | 'all') {
    if (provider === 'all') return [this.payments.faults, this.lockers.faults, ...[...this.carriers.values()].map((c) => c.faults)];
    if (provider === 'payments') return [this.payments.faults];
    if (provider === 'lockers') return [this.lockers.faults];
    const carrier = this.carriers.get(provider.slice('carrier:'.length));
    if (!carrier) throw new Error(`unknown simulated provider ${provider}`);
    return [carrier.faults];
  }

  /** Faults injected so far, per provider. */
  stats() {
    return {
      payments: this.payments.faults.injected,
      lockers: this.lockers.faults.injected,
      ...Object.fromEntries([...this.carriers].map(([id, c]) => [`carrier:${id}`, c.faults.injected])),
      webhooksDelivered: this.webhookSender.delivered,
    };
  }

  async start(): Promise<string> {
    const app = this.createApp();
    await new Promise<void>((resolve, reject) => {
      this.server = app.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve()));
    });
    const address = this.server!.address();
    if (!address || typeof address === 'string') throw new Error('simulator has no TCP address');
    this.url = `http://127.0.0.1:${address.port}`;
    this.payments.baseUrl = this.url;
    return this.url;
  }

  async stop(): Promise<void> {
    this.webhookSender.stop();
    this.setCrowd(null);
    this.lockers.stop();
    for (const c of this.carriers.values()) c.stop();
    await this.webhookSender.drain();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private createApp() {
    const app = express();
    app.use('/payments/v1', this.payments.apiRouter());
    app.use('/payments/checkout', this.payments.checkoutRouter());
    for (const [id, carrier] of this.carriers) app.use(`/carriers/${id}`, carrier.router());
    app.use('/carriers/:carrierId', (req, res) => void res.status(404).json({ error: { message: `no carrier ${req.params.carrierId}` } }));
    app.use('/lockers/v1', this.lockers.apiRouter());
    app.use('/lockers', this.lockers.doorRouter());

    // ---- test and demo controls ----
    const control = express.Router();
    control.use(express.json());
    control.post('/faults', (req, res) => {
      const { provider = 'all', ...profile } = req.body ?? {};
      try {
        this.setFaults(provider, profile);
      } catch (err) {
        return void res.status(400).json({ error: { message: (err as Error).message } });
      }
      res.json(this.stats());
    });
    control.get('/stats', (_req, res) => void res.json(this.stats()));
    control.post('/payments/:id/settle', (req, res) => {
      try {
        res.json(this.payments.wire(this.payments.settleProcessing(req.params.id, req.body?.outcome === 'failed' ? 'failed' : 'succeeded')));
      } catch (err) {
        res.status(400).json({ error: { message: (err as Error).message } });
      }
    });
    control.post('/payments/:id/dispute', (req, res) => {
      try {
        res.json(this.payments.openDispute(req.params.id, req.body?.status === 'warning_needs_response' ? 'warning_needs_response' : 'needs_response'));
      } catch (err) {
        res.status(400).json({ error: { message: (err as Error).message } });
      }
    });
    control.post('/disputes/:id/update', (req, res) => {
      try {
        res.json(this.payments.updateDispute(req.params.id, req.body?.status === 'warning_under_review' ? 'warning_under_review' : 'under_review'));
      } catch (err) {
        res.status(400).json({ error: { message: (err as Error).message } });
      }
    });
    control.post('/disputes/:id/close', (req, res) => {
      try {
        const status = req.body?.status;
        res.json(this.payments.closeDispute(req.params.id, status === 'won' || status === 'warning_closed' ? status : 'lost'));
      } catch (err) {
        res.status(400).json({ error: { message: (err as Error).message } });
      }
    });
    app.use('/_sim', control);
    return app;
  }
}
