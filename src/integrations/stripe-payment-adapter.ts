import Stripe from 'stripe';
import {
  ProviderRejectedError,
  ProviderUnavailableError,
  type DisputeStatus,
  type PaymentIntent,
  type PaymentIntentStatus,
  type CheckoutSessionRequest,
  type PaymentProvider,
  type ProviderDispute,
  type ProviderRefund,
} from './providers';

/**
 * The real payment adapter: Stripe, through the official `stripe` SDK. Tests check it against
 * stripe-mock (Stripe's OpenAPI-validated mock). Our business-scoped idempotency keys go on
 * every write; the SDK's own network retries are off, because Temporal retries the activity
 * with the same key.
 */
export interface StripeAdapterConfig {
  secretKey: string;
  /**
   * Where the entrant pays: our pay page. The link carries the intent's id and client secret in
   * its fragment (`#payment_intent=…&client_secret=…`), which browsers never send to a server,
   * so the secret stays out of access logs, proxies and Referer headers; the page reads
   * `location.hash`.
   */
  payPageUrl: string;
  /** For stripe-mock or a proxy, e.g. http://127.0.0.1:12111; Stripe's API otherwise. */
  apiBase?: string;
  timeoutMs?: number;
}

const STATUS: Record<Stripe.PaymentIntent.Status, PaymentIntentStatus> = {
  requires_payment_method: 'requires_payment',
  requires_confirmation: 'requires_payment',
  requires_action: 'requires_payment',
  // The bank has not decided yet (e.g. a bank debit): neither paid nor cancelable.
  processing: 'processing',
  requires_capture: 'authorized',
  succeeded: 'succeeded',
  canceled: 'canceled',
};

export class StripePaymentAdapter implements PaymentProvider {
  private readonly stripe: Stripe;

  constructor(private readonly config: StripeAdapterConfig) {
    const base = config.apiBase ? new URL(config.apiBase) : null;
    this.stripe = new Stripe(config.secretKey, {
      maxNetworkRetries: 0,
      timeout: config.timeoutMs ?? 10_000,
      telemetry: false,
      ...(base && {
        host: base.hostname,
        port: base.port || (base.protocol === 'https:' ? 443 : 80),
        protocol: base.protocol === 'https:' ? 'https' : 'http',
      }),
    });
  }

  private toIntent(pi: Stripe.PaymentIntent, dispute: PaymentIntent['dispute'] = null): PaymentIntent {
    const charge = typeof pi.latest_charge === 'object' && pi.latest_charge ? pi.latest_charge : null;
    const link = new URL(this.config.payPageUrl);
    // The client secret is a bearer secret: never in the query string.
    const fragment = new URLSearchParams({ payment_intent: pi.id });
    if (pi.client_secret) fragment.set('client_secret', pi.client_secret);
    link.hash = fragment.toString();
    return {
      id: pi.id,
      status: STATUS[pi.status] ?? 'requires_payment',
      amountCents: pi.amount,
      amountReceivedCents: pi.amount_received ?? 0,
      amountRefundedCents: charge?.amount_refunded ?? 0,
      currency: pi.currency,
      payLink: link.toString(),
      orderId: pi.metadata?.order_id ?? null,
      dropId: pi.metadata?.drop_id ?? null,
      dispute,
    };
  }

  /** A disputed charge's latest dispute (Stripe keeps `charge.disputed` true even once won). */
  private async disputeOf(pi: Stripe.PaymentIntent): Promise<PaymentIntent['dispute']> {
    const charge = typeof pi.latest_charge === 'object' && pi.latest_charge ? pi.latest_charge : null;
    if (!charge?.disputed) return null;
    const list = await this.stripe.disputes.list({ payment_intent: pi.id, limit: 1 });
    const d = list.data[0];
    return d ? { id: d.id, status: d.status as DisputeStatus } : null;
  }

  async createPaymentIntent(req: Parameters<PaymentProvider['createPaymentIntent']>[0]) {
    return this.call(async () =>
      this.toIntent(
        await this.stripe.paymentIntents.create(
          {
            amount: req.amountCents,
            currency: req.currency,
            capture_method: req.captureMethod ?? 'automatic',
            automatic_payment_methods: { enabled: true },
            metadata: { order_id: req.orderId, drop_id: req.dropId },
          },
          { idempotencyKey: req.idempotencyKey },
        ),
      ),
    );
  }

  /**
   * A Stripe Checkout Session for the order (one line item: the drop, at its price), its payment
   * intent tagged with our order and drop ids like the ones we create. Returns Stripe's hosted URL.
   */
  async createCheckoutSession(req: CheckoutSessionRequest) {
    return this.call(async () => {
      const session = await this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [{ quantity: 1, price_data: { currency: req.currency, unit_amount: req.amountCents, product_data: { name: req.productName } } }],
          success_url: req.successUrl,
          cancel_url: req.cancelUrl,
          client_reference_id: req.orderId,
          metadata: { order_id: req.orderId, drop_id: req.dropId },
          payment_intent_data: { metadata: { order_id: req.orderId, drop_id: req.dropId } },
        },
        { idempotencyKey: req.idempotencyKey },
      );
      if (!session.url) throw new ProviderRejectedError('stripe: the checkout session has no URL', 502);
      return { id: session.id, url: session.url };
    });
  }

  async retrievePaymentIntent(id: string) {
    return this.call(async () => {
      const pi = await this.stripe.paymentIntents.retrieve(id, { expand: ['latest_charge'] });
      return this.toIntent(pi, await this.disputeOf(pi));
    });
  }

  async capturePaymentIntent(id: string, idempotencyKey: string) {
    return this.call(async () => this.toIntent(await this.stripe.paymentIntents.capture(id, {}, { idempotencyKey })));
  }

  async cancelPaymentIntent(id: string, idempotencyKey: string) {
    await this.call(() => this.stripe.paymentIntents.cancel(id, {}, { idempotencyKey }));
  }

  async refund(req: { paymentIntentId: string; amountCents: number; idempotencyKey: string }) {
    const refund = await this.call(() =>
      this.stripe.refunds.create({ payment_intent: req.paymentIntentId, amount: req.amountCents }, { idempotencyKey: req.idempotencyKey }),
    );
    return { refundId: refund.id };
  }

  async listDropPayments(dropId: string) {
    return this.call(async () => {
      const intents: PaymentIntent[] = [];
      const search = this.stripe.paymentIntents.search({
        query: `metadata['drop_id']:'${dropId.replace(/'/g, '')}'`,
        limit: 100,
        expand: ['data.latest_charge'],
      });
      const disputed: string[] = [];
      for await (const pi of search) {
        intents.push(this.toIntent(pi));
        if (typeof pi.latest_charge === 'object' && pi.latest_charge?.disputed) disputed.push(pi.id);
      }
      const refunds: ProviderRefund[] = [];
      for (const intent of intents.filter((i) => i.amountRefundedCents > 0)) {
        for await (const r of this.stripe.refunds.list({ payment_intent: intent.id, limit: 100 })) {
          refunds.push({ refundId: r.id, paymentIntentId: intent.id, amountCents: r.amount });
        }
      }
      const disputes: ProviderDispute[] = [];
      for (const id of disputed) {
        for await (const d of this.stripe.disputes.list({ payment_intent: id, limit: 100 })) {
          disputes.push({ disputeId: d.id, paymentIntentId: id, amountCents: d.amount, status: d.status as DisputeStatus });
        }
      }
      return { intents, refunds, disputes };
    });
  }

  /** Stripe's errors in our terms: a definite "no" stops retries; an outage is safe to fail over. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Stripe.errors.StripeError) {
        const status = err.statusCode ?? 0;
        if (status === 503) throw new ProviderUnavailableError(`stripe: ${err.message}`);
        // 409 (a request with this key is in flight) and 429 are worth retrying.
        if (status >= 400 && status < 500 && status !== 409 && status !== 429) {
          throw new ProviderRejectedError(`stripe ${err.type}${err.code ? ` ${err.code}` : ''}: ${err.message}`, status, err.code);
        }
        throw new Error(`stripe ${err.type}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
}
