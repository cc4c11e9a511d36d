import { httpJson, type HttpJsonOptions } from './http-json';
import type {
  CarrierProvider,
  CompartmentReservation,
  LockerProvider,
  DisputeStatus,
  PaymentIntent,
  PaymentIntentStatus,
  PaymentProvider,
  ProviderDispute,
  ProviderRefund,
  ShippingLabel,
} from './providers';

/**
 * Adapters that reach our provider simulators over real HTTP (src/simulators). They implement
 * the same interfaces the real adapters (e.g. stripe-payment-adapter.ts) implement.
 */

interface WireIntent {
  id: string;
  status: 'requires_payment_method' | 'processing' | 'requires_capture' | 'succeeded' | 'canceled';
  amount: number;
  amount_received: number;
  amount_refunded: number;
  currency: string;
  pay_link: string;
  metadata: Record<string, string>;
  dispute?: string;
  dispute_status?: DisputeStatus;
}

const STATUS: Record<WireIntent['status'], PaymentIntentStatus> = {
  requires_payment_method: 'requires_payment',
  processing: 'processing',
  requires_capture: 'authorized',
  succeeded: 'succeeded',
  canceled: 'canceled',
};

const toIntent = (w: WireIntent): PaymentIntent => ({
  id: w.id,
  status: STATUS[w.status],
  amountCents: w.amount,
  amountReceivedCents: w.amount_received,
  amountRefundedCents: w.amount_refunded,
  currency: w.currency,
  payLink: w.pay_link,
  orderId: w.metadata?.order_id ?? null,
  dropId: w.metadata?.drop_id ?? null,
  dispute: w.dispute && w.dispute_status ? { id: w.dispute, status: w.dispute_status } : null,
});

export interface AdapterOptions {
  /** Per request; a provider slower than this counts as a timeout (outcome unknown). */
  timeoutMs?: number;
}

/** Every simulator adapter's requests share one timeout. */
abstract class HttpAdapter {
  constructor(protected readonly options: AdapterOptions = {}) {}
  protected http<T>(url: string, o: HttpJsonOptions = {}): Promise<T> {
    return httpJson<T>(url, { timeoutMs: this.options.timeoutMs, ...o });
  }
}

export class SimulatedPaymentAdapter extends HttpAdapter implements PaymentProvider {
  /** The simulator's hosted checkout takes a form post. */
  readonly payPage = 'form' as const;
  private readonly root: string;

  constructor(baseUrl: string, options: AdapterOptions = {}) {
    super(options);
    this.root = `${baseUrl}/payments/v1`;
  }

  async createPaymentIntent(req: Parameters<PaymentProvider['createPaymentIntent']>[0]) {
    const wire = await this.http<WireIntent>(`${this.root}/payment_intents`, {
      method: 'POST',
      headers: { 'idempotency-key': req.idempotencyKey },
      body: {
        amount: req.amountCents,
        currency: req.currency,
        capture_method: req.captureMethod ?? 'automatic',
        metadata: { order_id: req.orderId, drop_id: req.dropId },
      },
    });
    return toIntent(wire);
  }

  async retrievePaymentIntent(id: string) {
    return toIntent(await this.http<WireIntent>(`${this.root}/payment_intents/${encodeURIComponent(id)}`));
  }

  async capturePaymentIntent(id: string, idempotencyKey: string) {
    return toIntent(
      await this.http<WireIntent>(`${this.root}/payment_intents/${encodeURIComponent(id)}/capture`, {
        method: 'POST',
        headers: { 'idempotency-key': idempotencyKey },
        body: {},
      }),
    );
  }

  async cancelPaymentIntent(id: string, idempotencyKey: string) {
    await this.http(`${this.root}/payment_intents/${encodeURIComponent(id)}/cancel`, {
      method: 'POST',
      headers: { 'idempotency-key': idempotencyKey },
      body: {},
    });
  }

  async refund(req: { paymentIntentId: string; amountCents: number; idempotencyKey: string }) {
    const wire = await this.http<{ id: string }>(`${this.root}/refunds`, {
      method: 'POST',
      headers: { 'idempotency-key': req.idempotencyKey },
      body: { payment_intent: req.paymentIntentId, amount: req.amountCents },
    });
    return { refundId: wire.id };
  }

  async listDropPayments(dropId: string) {
    const query = encodeURIComponent(`metadata['drop_id']:'${dropId}'`);
    const found = await this.http<{ data: WireIntent[] }>(`${this.root}/payment_intents/search?query=${query}`);
    const intents = found.data.map(toIntent);
    const refunds: ProviderRefund[] = [];
    for (const intent of intents.filter((i) => i.amountRefundedCents > 0)) {
      const list = await this.http<{ data: Array<{ id: string; amount: number }> }>(`${this.root}/refunds?payment_intent=${encodeURIComponent(intent.id)}`);
      refunds.push(...list.data.map((r) => ({ refundId: r.id, paymentIntentId: intent.id, amountCents: r.amount })));
    }
    const disputes: ProviderDispute[] = [];
    for (const intent of intents.filter((i) => i.dispute)) {
      const list = await this.http<{ data: Array<{ id: string; amount: number; status: DisputeStatus }> }>(
        `${this.root}/disputes?payment_intent=${encodeURIComponent(intent.id)}`,
      );
      disputes.push(...list.data.map((d) => ({ disputeId: d.id, paymentIntentId: intent.id, amountCents: d.amount, status: d.status })));
    }
    return { intents, refunds, disputes };
  }
}

export class SimulatedCarrierAdapter extends HttpAdapter implements CarrierProvider {
  constructor(
    private readonly baseUrl: string,
    readonly carrierId: string,
    options: AdapterOptions = {},
  ) {
    super(options);
  }

  private get root() {
    return `${this.baseUrl}/carriers/${encodeURIComponent(this.carrierId)}/labels`;
  }

  async findLabel(orderId: string) {
    return (await this.listLabels(orderId))[0] ?? null;
  }

  async listLabels(orderId: string) {
    const { labels } = await this.http<{ labels: ShippingLabel[] }>(`${this.root}?order_id=${encodeURIComponent(orderId)}`);
    return labels.map((l) => ({ labelId: l.labelId, carrier: l.carrier, trackingNumber: l.trackingNumber }));
  }

  async purchaseLabel(req: Parameters<CarrierProvider['purchaseLabel']>[0]) {
    const label = await this.http<ShippingLabel>(this.root, {
      method: 'POST',
      body: { order_id: req.orderId, from_node: req.fromNodeId, to_region: req.toRegion, metadata: { order_id: req.orderId, drop_id: req.dropId } },
    });
    return { labelId: label.labelId, carrier: label.carrier, trackingNumber: label.trackingNumber };
  }

  async voidLabel(labelId: string) {
    await this.http(`${this.root}/${encodeURIComponent(labelId)}/void`, { method: 'POST', body: {} });
  }
}

export class SimulatedLockerAdapter extends HttpAdapter implements LockerProvider {
  private readonly root: string;

  constructor(baseUrl: string, options: AdapterOptions = {}) {
    super(options);
    this.root = `${baseUrl}/lockers/v1`;
  }

  async reserveCompartment(req: Parameters<LockerProvider['reserveCompartment']>[0]) {
    const r = await this.http<CompartmentReservation>(`${this.root}/reservations`, {
      method: 'POST',
      headers: { 'idempotency-key': req.idempotencyKey },
      body: {
        node_id: req.nodeId,
        order_id: req.orderId,
        expires_at: req.expiresAt,
        claim_code: req.claimCode,
        metadata: { order_id: req.orderId, drop_id: req.dropId },
      },
    });
    return { reservationId: r.reservationId, nodeId: r.nodeId, compartment: r.compartment, expiresAt: r.expiresAt };
  }

  async releaseCompartment(req: { nodeId: string; reservationId: string }) {
    const r = await this.http<{ status: string }>(`${this.root}/reservations/${encodeURIComponent(req.reservationId)}/release`, {
      method: 'POST',
      body: { node_id: req.nodeId },
    });
    return { pickedUp: r.status === 'picked_up' };
  }
}
