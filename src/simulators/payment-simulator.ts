import express, { Router } from 'express';
import { randomBytes } from 'node:crypto';
import type { Crowd } from './crowd';
import { Faults } from './faults';
import { IdempotencyStore } from './idempotency';
import type { WebhookSender, WebhookTarget } from './webhook-sender';
import type { DisputeStatus } from '../domain/payment/disputes';
import { checkoutFormPage, checkoutResultPage } from './checkout-page';

/**
 * SIMULATOR — a Stripe-shaped payment company: payment intents (automatic or manual capture),
 * captures, cancels, refunds, disputes and signed webhooks. In memory; not a real provider.
 */

export type SimIntentStatus = 'requires_payment_method' | 'processing' | 'requires_capture' | 'succeeded' | 'canceled';

export interface SimIntent {
  id: string;
  /** Stripe's `client_secret`: what the hosted checkout needs (the intent id alone is not enough). */
  clientSecret: string;
  status: SimIntentStatus;
  amount: number;
  amountReceived: number;
  currency: string;
  captureMethod: 'automatic' | 'manual';
  metadata: Record<string, string>;
  refunded: number;
  /** Declined attempts at the checkout. */
  declines: number;
  disputeId?: string;
}

export interface SimRefund {
  id: string;
  paymentIntent: string;
  amount: number;
}

/** Stripe's dispute statuses (src/domain/payment/disputes.ts). */
export type SimDisputeStatus = DisputeStatus;

export interface SimDispute {
  id: string;
  paymentIntent: string;
  amount: number;
  status: SimDisputeStatus;
}

/** Stripe refuses to refund a charge whose dispute is undecided or lost. */
const blocksRefund = (status: SimDisputeStatus) => status !== 'won' && status !== 'warning_closed';

const formatAmount = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const invalid = (message: string, code?: string) => ({
  status: 400,
  body: { error: { type: 'invalid_request_error', message, ...(code ? { code } : {}) } },
});

export class PaymentSimulator {
  readonly intents = new Map<string, SimIntent>();
  /** Intent ids by client secret, for the hosted checkout. */
  private readonly byClientSecret = new Map<string, string>();
  readonly refunds: SimRefund[] = [];
  readonly disputes = new Map<string, SimDispute>();
  readonly faults: Faults;
  private readonly idempotency = new IdempotencyStore();
  webhookTarget?: WebhookTarget;
  /** The public base URL, for pay links. */
  baseUrl = '';
  /** Simulated entrants who pay by themselves (benchmarks, load tests). */
  crowd?: Crowd;

  constructor(
    seed: number,
    private readonly webhooks: WebhookSender,
  ) {
    this.faults = new Faults(seed);
  }

  wire(i: SimIntent) {
    return {
      id: i.id,
      object: 'payment_intent',
      status: i.status,
      amount: i.amount,
      amount_received: i.amountReceived,
      amount_refunded: i.refunded,
      currency: i.currency,
      capture_method: i.captureMethod,
      metadata: i.metadata,
      client_secret: i.clientSecret,
      // The secret goes in the path, never in a query string (logged and passed on as Referer).
      pay_link: `${this.baseUrl}/payments/checkout/${i.clientSecret}`,
      ...(i.disputeId ? { dispute: i.disputeId, dispute_status: this.disputes.get(i.disputeId)?.status } : {}),
    };
  }

  private wireDispute(d: SimDispute) {
    return { id: d.id, object: 'dispute', amount: d.amount, payment_intent: d.paymentIntent, status: d.status };
  }

  private emit(type: string, object: unknown) {
    this.webhooks.send(this.webhookTarget, { id: newId('evt'), type, data: { object } as Record<string, unknown> }, this.faults);
  }

  /** The provider's API, called by our adapter: behind fault injection. */
  apiRouter(): Router {
    const r = Router();
    r.use(express.json(), this.faults.middleware());

    r.post('/payment_intents', (req, res) =>
      this.idempotency.handle(req, res, 'payment_intents', () => {
        const { amount, currency, metadata, capture_method: captureMethod = 'automatic' } = req.body ?? {};
        if (!Number.isInteger(amount) || amount < 1) return invalid('amount must be a positive integer');
        if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency)) return invalid('currency must be a 3-letter ISO code');
        if (captureMethod !== 'automatic' && captureMethod !== 'manual') return invalid('capture_method');
        const meta = typeof metadata === 'object' && metadata ? Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])) : {};
        const id = newId('pi');
        const intent: SimIntent = {
          id,
          clientSecret: `${id}_secret_${randomBytes(12).toString('hex')}`,
          status: 'requires_payment_method',
          amount,
          amountReceived: 0,
          currency,
          captureMethod,
          metadata: meta,
          refunded: 0,
          declines: 0,
        };
        this.intents.set(intent.id, intent);
        this.byClientSecret.set(intent.clientSecret, intent.id);
        const crowd = this.crowd;
        if (crowd) {
          const choice = crowd.paymentChoice();
          if (choice !== 'lapse') crowd.later(() => this.checkout(intent.id, choice));
        }
        return { status: 200, body: this.wire(intent) };
      }),
    );

    // Stripe's search syntax, the one clause we need: metadata['key']:'value'.
    r.get('/payment_intents/search', (req, res) => {
      const m = /^metadata\['([\w-]+)'\]:'([^']*)'$/.exec(String(req.query.query ?? ''));
      if (!m) return void res.status(400).json(invalid('unsupported search query').body);
      const data = [...this.intents.values()].filter((i) => i.metadata[m[1]!] === m[2]).map((i) => this.wire(i));
      res.json({ object: 'search_result', data, has_more: false });
    });

    r.get('/payment_intents/:id', (req, res) => {
      const intent = this.intents.get(req.params.id);
      if (!intent) return void res.status(404).json({ error: { type: 'invalid_request_error', code: 'resource_missing', message: 'no such payment_intent' } });
      res.json(this.wire(intent));
    });

    r.post('/payment_intents/:id/capture', (req, res) =>
      this.idempotency.handle(req, res, 'capture', () => {
        const intent = this.intents.get(req.params.id);
        if (!intent) return { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'no such payment_intent' } } };
        if (intent.status !== 'requires_capture') return invalid(`cannot capture a ${intent.status} payment_intent`, 'payment_intent_unexpected_state');
        intent.status = 'succeeded';
        intent.amountReceived = intent.amount;
        this.emit('payment_intent.succeeded', this.wire(intent));
        return { status: 200, body: this.wire(intent) };
      }),
    );

    r.post('/payment_intents/:id/cancel', (req, res) =>
      this.idempotency.handle(req, res, 'cancel', () => {
        const intent = this.intents.get(req.params.id);
        if (!intent) return { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'no such payment_intent' } } };
        // Like Stripe: a payment the bank is still deciding (processing) cannot be canceled.
        if (intent.status === 'succeeded' || intent.status === 'canceled' || intent.status === 'processing') {
          return invalid(`cannot cancel a ${intent.status} payment_intent`, 'payment_intent_unexpected_state');
        }
        intent.status = 'canceled';
        this.emit('payment_intent.canceled', this.wire(intent));
        return { status: 200, body: this.wire(intent) };
      }),
    );

    r.post('/refunds', (req, res) =>
      this.idempotency.handle(req, res, 'refunds', () => {
        const intent = this.intents.get(String(req.body?.payment_intent ?? ''));
        const amount = req.body?.amount ?? intent?.amountReceived;
        if (!intent || intent.status !== 'succeeded') return invalid('payment_intent has no successful charge to refund');
        const dispute = intent.disputeId ? this.disputes.get(intent.disputeId) : undefined;
        if (dispute && blocksRefund(dispute.status)) return invalid(`the charge is disputed (${dispute.status})`, 'charge_disputed');
        if (!Number.isInteger(amount) || amount <= 0 || intent.refunded + amount > intent.amountReceived) {
          return invalid('refund amount exceeds the charge', 'amount_too_large');
        }
        intent.refunded += amount;
        const refund: SimRefund = { id: newId('re'), paymentIntent: intent.id, amount };
        this.refunds.push(refund);
        const body = { id: refund.id, object: 'refund', amount, payment_intent: intent.id, status: 'succeeded' };
        this.emit('charge.refunded', this.wire(intent));
        return { status: 200, body };
      }),
    );

    r.get('/refunds', (req, res) => {
      const pi = String(req.query.payment_intent ?? '');
      const data = this.refunds
        .filter((x) => x.paymentIntent === pi)
        .map((x) => ({ id: x.id, object: 'refund', amount: x.amount, payment_intent: x.paymentIntent, status: 'succeeded' }));
      res.json({ object: 'list', data, has_more: false });
    });

    r.get('/disputes', (req, res) => {
      const pi = String(req.query.payment_intent ?? '');
      const data = [...this.disputes.values()].filter((d) => d.paymentIntent === pi).map((d) => this.wireDispute(d));
      res.json({ object: 'list', data, has_more: false });
    });

    return r;
  }

  /** The hosted checkout page the entrant uses (not our adapter): no injected faults. */
  checkoutRouter(): Router {
    const r = Router();
    r.use(express.json(), express.urlencoded({ extended: false, limit: '4kb' }));
    // A browser opening the pay link: the simulator's own checkout page.
    r.get('/:clientSecret', (req, res) => {
      const intent = this.intents.get(this.byClientSecret.get(req.params.clientSecret) ?? '');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('Cache-Control', 'no-store');
      if (!intent)
        return void res
          .status(404)
          .type('html')
          .send(checkoutResultPage(404, null, 'no such payment'));
      if (intent.status !== 'requires_payment_method') return void res.type('html').send(checkoutResultPage(200, intent.status, null));
      res.type('html').send(checkoutFormPage(formatAmount(intent.amount, intent.currency), `${this.baseUrl}/payments/checkout/${intent.clientSecret}`));
    });
    // JSON from tests and the crowd; a form post from a browser (the pay page's button) gets a page back.
    r.post('/:clientSecret', (req, res) => {
      const id = this.byClientSecret.get(req.params.clientSecret) ?? '';
      const outcome = req.body?.outcome === 'decline' || req.body?.outcome === 'processing' ? req.body.outcome : 'pay';
      const result = this.checkout(id, outcome);
      if (req.is('application/x-www-form-urlencoded')) {
        const body = result.body as { status?: string; error?: { message?: string } };
        res.setHeader('Referrer-Policy', 'no-referrer');
        res.setHeader('Cache-Control', 'no-store');
        return void res
          .status(result.status)
          .type('html')
          .send(checkoutResultPage(result.status, body.status ?? null, body.error?.message ?? null));
      }
      res.status(result.status).json(result.body);
    });
    return r;
  }

  /**
   * The entrant pays (or is declined) at the hosted page; the outcome is told by webhook.
   * `processing`: a payment method the bank decides later (a bank debit); `settle` ends it.
   * A declined attempt leaves the intent usable, as Stripe's does: another card may follow.
   */
  checkout(id: string, outcome: 'pay' | 'decline' | 'processing'): { status: number; body: unknown } {
    const intent = this.intents.get(id);
    if (!intent) return { status: 404, body: { error: { message: 'no such payment_intent' } } };
    if (intent.status === 'canceled') return { status: 409, body: { error: { message: 'the payment window has closed' } } };
    if (intent.status === 'requires_payment_method') {
      if (outcome === 'decline') {
        intent.declines += 1;
        this.emit('payment_intent.payment_failed', { ...this.wire(intent), last_payment_error: { code: 'card_declined' } });
        return { status: 402, body: { error: { code: 'card_declined', message: 'Your card was declined.' } } };
      }
      if (outcome === 'processing' && intent.captureMethod === 'automatic') {
        intent.status = 'processing';
        this.emit('payment_intent.processing', this.wire(intent));
        return { status: 200, body: this.wire(intent) };
      }
      if (intent.captureMethod === 'manual') {
        intent.status = 'requires_capture';
        this.emit('payment_intent.amount_capturable_updated', this.wire(intent));
      } else {
        intent.status = 'succeeded';
        intent.amountReceived = intent.amount;
        this.emit('payment_intent.succeeded', this.wire(intent));
      }
    }
    return { status: 200, body: this.wire(intent) };
  }

  /** Test and demo control: the bank decides a `processing` payment (succeeded, or failed). */
  settleProcessing(paymentIntentId: string, outcome: 'succeeded' | 'failed'): SimIntent {
    const intent = this.intents.get(paymentIntentId);
    if (!intent || intent.status !== 'processing') throw new Error(`no processing payment ${paymentIntentId}`);
    if (outcome === 'succeeded') {
      intent.status = 'succeeded';
      intent.amountReceived = intent.amount;
      this.emit('payment_intent.succeeded', this.wire(intent));
    } else {
      // Stripe returns a failed processing payment to requires_payment_method.
      intent.status = 'requires_payment_method';
      intent.declines += 1;
      this.emit('payment_intent.payment_failed', { ...this.wire(intent), last_payment_error: { code: 'payment_method_failed' } });
    }
    return intent;
  }

  /**
   * Test and demo controls: a cardholder disputes a charge (`warning_needs_response` for an
   * inquiry, `needs_response` for a formal dispute); the bank reviews it and decides it.
   */
  openDispute(paymentIntentId: string, status: 'needs_response' | 'warning_needs_response' = 'needs_response'): SimDispute {
    const intent = this.intents.get(paymentIntentId);
    if (!intent || intent.status !== 'succeeded') throw new Error(`no charge to dispute on ${paymentIntentId}`);
    const dispute: SimDispute = { id: newId('dp'), paymentIntent: intent.id, amount: intent.amountReceived - intent.refunded, status };
    this.disputes.set(dispute.id, dispute);
    intent.disputeId = dispute.id;
    this.emit('charge.dispute.created', this.wireDispute(dispute));
    return dispute;
  }

  /** The dispute moves on without closing (`under_review`, `warning_under_review`). */
  updateDispute(disputeId: string, status: 'under_review' | 'warning_under_review'): SimDispute {
    const dispute = this.disputes.get(disputeId);
    if (!dispute) throw new Error(`no dispute ${disputeId}`);
    dispute.status = status;
    this.emit('charge.dispute.updated', this.wireDispute(dispute));
    return dispute;
  }

  closeDispute(disputeId: string, status: 'won' | 'lost' | 'warning_closed'): SimDispute {
    const dispute = this.disputes.get(disputeId);
    if (!dispute) throw new Error(`no dispute ${disputeId}`);
    dispute.status = status;
    this.emit('charge.dispute.closed', this.wireDispute(dispute));
    return dispute;
  }
}
