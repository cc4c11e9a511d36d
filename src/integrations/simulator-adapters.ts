import { httpJson } from './http-json';
import type {
  CarrierProvider,
  CompartmentReservation,
  LockerProvider,
  PaymentIntent,
  PaymentProvider,
  ShippingLabel,
} from './providers';

/**
 * Adapters that reach our provider simulators over real HTTP (src/simulators). They implement
 * the same interfaces a real payment, carrier or locker adapter implements.
 */

interface WireIntent {
  id: string;
  status: PaymentIntent['status'];
  amount: number;
  currency: string;
  pay_link: string;
}

const toIntent = (w: WireIntent): PaymentIntent => ({
  id: w.id,
  status: w.status,
  amountCents: w.amount,
  currency: w.currency,
  payLink: w.pay_link,
});

export class SimulatedPaymentAdapter implements PaymentProvider {
  constructor(private readonly baseUrl: string) {}

  async createPaymentIntent(req: { orderId: string; amountCents: number; currency: string; idempotencyKey: string }) {
    const wire = await httpJson<WireIntent>(`${this.baseUrl}/payments/v1/payment_intents`, {
      method: 'POST',
      headers: { 'idempotency-key': req.idempotencyKey },
      body: { amount: req.amountCents, currency: req.currency, metadata: { order_id: req.orderId } },
    });
    return toIntent(wire);
  }

  async retrievePaymentIntent(id: string) {
    return toIntent(await httpJson<WireIntent>(`${this.baseUrl}/payments/v1/payment_intents/${encodeURIComponent(id)}`));
  }

  async cancelPaymentIntent(id: string, idempotencyKey: string) {
    await httpJson(`${this.baseUrl}/payments/v1/payment_intents/${encodeURIComponent(id)}/cancel`, {
      method: 'POST',
      headers: { 'idempotency-key': idempotencyKey },
      body: {},
    });
  }

  async refund(req: { paymentIntentId: string; amountCents: number; idempotencyKey: string }) {
    const wire = await httpJson<{ id: string }>(`${this.baseUrl}/payments/v1/refunds`, {
      method: 'POST',
      headers: { 'idempotency-key': req.idempotencyKey },
      body: { payment_intent: req.paymentIntentId, amount: req.amountCents },
    });
    return { refundId: wire.id };
  }
}

export class SimulatedCarrierAdapter implements CarrierProvider {
  constructor(
    private readonly baseUrl: string,
    readonly carrierId: string,
  ) {}

  private get root() {
    return `${this.baseUrl}/carriers/${encodeURIComponent(this.carrierId)}/labels`;
  }

  async findLabel(orderId: string) {
    const { labels } = await httpJson<{ labels: ShippingLabel[] }>(`${this.root}?order_id=${encodeURIComponent(orderId)}`);
    return labels.find((l) => l.labelId) ?? null;
  }

  async purchaseLabel(req: { orderId: string; fromNodeId: string; toRegion: string }) {
    return httpJson<ShippingLabel>(this.root, {
      method: 'POST',
      body: { order_id: req.orderId, from_node: req.fromNodeId, to_region: req.toRegion },
    });
  }

  async voidLabel(labelId: string) {
    await httpJson(`${this.root}/${encodeURIComponent(labelId)}/void`, { method: 'POST', body: {} });
  }
}

export class SimulatedLockerAdapter implements LockerProvider {
  constructor(private readonly baseUrl: string) {}

  async reserveCompartment(req: { nodeId: string; orderId: string; expiresAt: string; idempotencyKey: string }) {
    return httpJson<CompartmentReservation>(`${this.baseUrl}/lockers/reservations`, {
      method: 'POST',
      headers: { 'idempotency-key': req.idempotencyKey },
      body: { node_id: req.nodeId, order_id: req.orderId, expires_at: req.expiresAt },
    });
  }

  async releaseCompartment(req: { nodeId: string; reservationId: string }) {
    await httpJson(`${this.baseUrl}/lockers/reservations/${encodeURIComponent(req.reservationId)}/release`, {
      method: 'POST',
      body: { node_id: req.nodeId },
    });
  }
}
