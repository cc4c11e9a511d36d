/**
 * The provider interfaces the activities depend on. Real adapters (Stripe, carriers, locker
 * networks) and our simulators' HTTP adapters implement the same interfaces.
 */

export type PaymentIntentStatus = 'requires_payment' | 'succeeded' | 'canceled';

export interface PaymentIntent {
  id: string;
  status: PaymentIntentStatus;
  amountCents: number;
  currency: string;
  /** Where the entrant pays (the provider's hosted page). */
  payLink: string;
}

export interface PaymentProvider {
  createPaymentIntent(req: {
    orderId: string;
    amountCents: number;
    currency: string;
    idempotencyKey: string;
  }): Promise<PaymentIntent>;
  retrievePaymentIntent(id: string): Promise<PaymentIntent>;
  cancelPaymentIntent(id: string, idempotencyKey: string): Promise<void>;
  refund(req: { paymentIntentId: string; amountCents: number; idempotencyKey: string }): Promise<{ refundId: string }>;
}

export interface ShippingLabel {
  labelId: string;
  carrier: string;
  trackingNumber: string;
}

export interface CarrierProvider {
  readonly carrierId: string;
  /** Label purchase has no idempotency key: callers check before they buy. */
  findLabel(orderId: string): Promise<ShippingLabel | null>;
  purchaseLabel(req: { orderId: string; fromNodeId: string; toRegion: string }): Promise<ShippingLabel>;
  voidLabel(labelId: string): Promise<void>;
}

export interface CompartmentReservation {
  reservationId: string;
  nodeId: string;
  compartment: string;
  claimCode: string;
  expiresAt: string;
}

export interface LockerProvider {
  reserveCompartment(req: {
    nodeId: string;
    orderId: string;
    expiresAt: string;
    idempotencyKey: string;
  }): Promise<CompartmentReservation>;
  releaseCompartment(req: { nodeId: string; reservationId: string }): Promise<void>;
}

/** A provider answered with an error that retrying the same request cannot fix. */
export class ProviderRejectedError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ProviderRejectedError';
  }
}
