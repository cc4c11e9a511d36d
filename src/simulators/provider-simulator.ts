import express, { type Request, type Response } from 'express';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { WebhookSender, type WebhookTarget } from './webhook-sender';

/**
 * SIMULATOR — stand-ins for a payment company (Stripe-shaped), carriers and a locker network,
 * served over real HTTP so our adapters, webhooks and signatures are exercised end to end.
 * State is in memory. Not a real provider.
 */

export interface ProviderSimulatorOptions {
  port?: number;
  /** 127.0.0.1 unless told otherwise (the compose topology binds 0.0.0.0). */
  host?: string;
  /** Where the simulator delivers its signed webhooks (our API). Settable after start. */
  webhooks?: { payments?: WebhookTarget; lockers?: WebhookTarget };
}

interface SimIntent {
  id: string;
  status: 'requires_payment' | 'succeeded' | 'canceled';
  amount: number;
  currency: string;
  orderId: string;
  refunded: number;
}

interface SimLabel {
  labelId: string;
  carrier: string;
  trackingNumber: string;
  orderId: string;
  voided: boolean;
}

interface SimReservation {
  reservationId: string;
  nodeId: string;
  orderId: string;
  compartment: string;
  claimCode: string;
  expiresAt: string;
  status: 'reserved' | 'picked_up' | 'released';
}

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

export class ProviderSimulator {
  readonly intents = new Map<string, SimIntent>();
  readonly refunds: Array<{ id: string; paymentIntent: string; amount: number }> = [];
  readonly labels = new Map<string, SimLabel>();
  readonly reservations = new Map<string, SimReservation>();
  /** Idempotency-Key → first response, per route (Stripe replays the first answer). */
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  readonly webhookSender = new WebhookSender();
  webhooks: NonNullable<ProviderSimulatorOptions['webhooks']>;
  private server?: Server;
  url = '';

  constructor(private readonly options: ProviderSimulatorOptions = {}) {
    this.webhooks = options.webhooks ?? {};
  }

  async start(): Promise<string> {
    const app = this.createApp();
    await new Promise<void>((resolve, reject) => {
      this.server = app.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve()));
    });
    const address = this.server!.address();
    if (!address || typeof address === 'string') throw new Error('simulator has no TCP address');
    this.url = `http://127.0.0.1:${address.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.webhookSender.stop();
    await this.webhookSender.drain();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private once(req: Request, res: Response, scope: string, produce: () => { status: number; body: unknown }) {
    const key = req.header('idempotency-key');
    const cacheKey = key ? `${scope}:${key}` : undefined;
    const cached = cacheKey ? this.idempotent.get(cacheKey) : undefined;
    const result = cached ?? produce();
    if (cacheKey && !cached) this.idempotent.set(cacheKey, result);
    res.status(result.status).json(result.body);
  }

  private createApp() {
    const app = express();
    app.use(express.json());

    // ---- payments (Stripe-shaped) ----
    const wireIntent = (i: SimIntent) => ({
      id: i.id,
      object: 'payment_intent',
      status: i.status,
      amount: i.amount,
      currency: i.currency,
      pay_link: `${this.url}/payments/checkout/${i.id}`,
      metadata: { order_id: i.orderId },
    });

    app.post('/payments/v1/payment_intents', (req, res) => {
      this.once(req, res, 'create_intent', () => {
        const { amount, currency, metadata } = req.body ?? {};
        if (!Number.isInteger(amount) || amount < 0 || typeof currency !== 'string' || !metadata?.order_id) {
          return { status: 400, body: { error: { type: 'invalid_request_error', message: 'amount, currency, metadata.order_id' } } };
        }
        const intent: SimIntent = { id: id('pi'), status: 'requires_payment', amount, currency, orderId: metadata.order_id, refunded: 0 };
        this.intents.set(intent.id, intent);
        return { status: 200, body: wireIntent(intent) };
      });
    });

    app.get('/payments/v1/payment_intents/:id', (req, res) => {
      const intent = this.intents.get(req.params.id);
      if (!intent) return void res.status(404).json({ error: { type: 'invalid_request_error', message: 'no such intent' } });
      res.json(wireIntent(intent));
    });

    app.post('/payments/v1/payment_intents/:id/cancel', (req, res) => {
      this.once(req, res, `cancel:${req.params.id}`, () => {
        const intent = this.intents.get(req.params.id);
        if (!intent) return { status: 404, body: { error: { message: 'no such intent' } } };
        if (intent.status === 'succeeded') return { status: 400, body: { error: { message: 'intent already succeeded' } } };
        intent.status = 'canceled';
        return { status: 200, body: wireIntent(intent) };
      });
    });

    app.post('/payments/v1/refunds', (req, res) => {
      this.once(req, res, 'refund', () => {
        const intent = this.intents.get(req.body?.payment_intent);
        const amount = req.body?.amount;
        if (!intent || intent.status !== 'succeeded') return { status: 400, body: { error: { message: 'intent not refundable' } } };
        if (!Number.isInteger(amount) || amount <= 0 || intent.refunded + amount > intent.amount) {
          return { status: 400, body: { error: { message: 'refund exceeds charge' } } };
        }
        intent.refunded += amount;
        const refund = { id: id('re'), paymentIntent: intent.id, amount };
        this.refunds.push(refund);
        return { status: 200, body: { id: refund.id, object: 'refund', amount, payment_intent: intent.id } };
      });
    });

    // The hosted checkout page's "pay" button: the entrant pays, the provider tells us by webhook.
    app.post('/payments/checkout/:id', (req, res) => {
      const intent = this.intents.get(req.params.id);
      if (!intent) return void res.status(404).json({ error: { message: 'no such intent' } });
      if (intent.status === 'canceled') return void res.status(409).json({ error: { message: 'payment window closed' } });
      if (intent.status === 'requires_payment') {
        intent.status = 'succeeded';
        const target = this.webhooks.payments;
        if (target) {
          this.webhookSender.send(target, {
            id: id('evt'),
            type: 'payment_intent.succeeded',
            data: { object: wireIntent(intent) },
          });
        }
      }
      res.json(wireIntent(intent));
    });

    // ---- carriers ----
    app.get('/carriers/:carrier/labels', (req, res) => {
      const orderId = String(req.query.order_id ?? '');
      const labels = [...this.labels.values()].filter((l) => l.carrier === req.params.carrier && l.orderId === orderId && !l.voided);
      res.json({ labels: labels.map(({ labelId, carrier, trackingNumber }) => ({ labelId, carrier, trackingNumber })) });
    });

    app.post('/carriers/:carrier/labels', (req, res) => {
      const orderId = req.body?.order_id;
      if (typeof orderId !== 'string') return void res.status(400).json({ error: { message: 'order_id' } });
      const label: SimLabel = {
        labelId: id('lbl'),
        carrier: req.params.carrier,
        trackingNumber: `${req.params.carrier.toUpperCase()}${randomBytes(6).toString('hex').toUpperCase()}`,
        orderId,
        voided: false,
      };
      this.labels.set(label.labelId, label);
      res.json({ labelId: label.labelId, carrier: label.carrier, trackingNumber: label.trackingNumber });
    });

    app.post('/carriers/:carrier/labels/:labelId/void', (req, res) => {
      const label = this.labels.get(req.params.labelId);
      if (!label) return void res.status(404).json({ error: { message: 'no such label' } });
      label.voided = true;
      res.json({ labelId: label.labelId, voided: true });
    });

    // ---- lockers ----
    app.post('/lockers/reservations', (req, res) => {
      this.once(req, res, 'reserve', () => {
        const { node_id: nodeId, order_id: orderId, expires_at: expiresAt } = req.body ?? {};
        if (typeof nodeId !== 'string' || typeof orderId !== 'string' || typeof expiresAt !== 'string') {
          return { status: 400, body: { error: { message: 'node_id, order_id, expires_at' } } };
        }
        const r: SimReservation = {
          reservationId: id('rsv'),
          nodeId,
          orderId,
          compartment: `C${1 + this.reservations.size}`,
          claimCode: randomBytes(5).toString('hex').toUpperCase(),
          expiresAt,
          status: 'reserved',
        };
        this.reservations.set(r.reservationId, r);
        const { status: _status, ...body } = r;
        return { status: 200, body };
      });
    });

    app.post('/lockers/reservations/:id/release', (req, res) => {
      const r = this.reservations.get(req.params.id);
      if (!r) return void res.status(404).json({ error: { message: 'no such reservation' } });
      if (r.status === 'reserved') r.status = 'released';
      res.json({ reservationId: r.reservationId, status: r.status });
    });

    // The entrant types the claim code at the locker; the locker reports the pickup by webhook.
    app.post('/lockers/:nodeId/open', (req, res) => {
      const code = req.body?.claim_code;
      const r = [...this.reservations.values()].find(
        (x) => x.nodeId === req.params.nodeId && x.claimCode === code && x.status === 'reserved',
      );
      if (!r || Date.parse(r.expiresAt) < Date.now()) return void res.status(403).json({ error: { message: 'invalid or expired code' } });
      r.status = 'picked_up';
      const target = this.webhooks.lockers;
      if (target) {
        this.webhookSender.send(target, {
          id: id('evt'),
          type: 'pickup.completed',
          data: { reservation_id: r.reservationId, node_id: r.nodeId, order_id: r.orderId },
        });
      }
      res.json({ opened: true, compartment: r.compartment });
    });

    return app;
  }
}
