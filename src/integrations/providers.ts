import type { DisputeStatus } from '../domain/payment/disputes';
/**
 * The provider interfaces the activities depend on. Real adapters (Stripe, carriers, locker
 * networks) and our simulators' HTTP adapters implement the same interfaces.
 */

/**
 * Where a payment intent is at the provider, in our terms (README, "The payment state machine"):
 * `requires_payment` (no successful attempt yet: Stripe's requires_payment_method,
 * requires_confirmation, requires_action), `processing` (an attempt the bank has not decided
 * yet: neither paid nor cancelable), `authorized` (the money is held on the card, manual
 * capture, not yet taken), `succeeded`, `canceled`.
 */
export type PaymentIntentStatus = 'requires_payment' | 'processing' | 'authorized' | 'succeeded' | 'canceled';

/** Dispute statuses and which are open: defined once, in the domain. */
export { isDisputeOpen, type DisputeStatus } from '../domain/payment/disputes';

export interface ProviderDispute {
  disputeId: string;
  paymentIntentId: string;
  amountCents: number;
  status: DisputeStatus;
}

export interface PaymentIntent {
  id: string;
  status: PaymentIntentStatus;
  amountCents: number;
  /** Captured so far. */
  amountReceivedCents: number;
  amountRefundedCents: number;
  currency: string;
  /** Where the entrant pays (the provider's hosted page). */
  payLink: string;
  /** Our order id and drop id, as we stored them on the intent. */
  orderId: string | null;
  dropId: string | null;
  /** The charge's latest dispute, if the cardholder disputed it. */
  dispute: { id: string; status: DisputeStatus } | null;
}

export interface ProviderRefund {
  refundId: string;
  paymentIntentId: string;
  amountCents: number;
}

export interface CheckoutSessionRequest {
  dropId: string;
  orderId: string;
  amountCents: number;
  currency: string;
  /** The line item's name (the drop's name). */
  productName: string;
  /** Where the provider sends the entrant back after paying, and when they give up (absolute URLs). */
  successUrl: string;
  cancelUrl: string;
  idempotencyKey: string;
}

export interface PaymentProvider {
  createPaymentIntent(req: {
    dropId: string;
    orderId: string;
    amountCents: number;
    currency: string;
    /** `manual`: authorise now, capture later (authorize_at_entry). */
    captureMethod?: 'automatic' | 'manual';
    idempotencyKey: string;
  }): Promise<PaymentIntent>;
  retrievePaymentIntent(id: string): Promise<PaymentIntent>;
  capturePaymentIntent(id: string, idempotencyKey: string): Promise<PaymentIntent>;
  cancelPaymentIntent(id: string, idempotencyKey: string): Promise<void>;
  refund(req: { paymentIntentId: string; amountCents: number; idempotencyKey: string }): Promise<{ refundId: string }>;
  /**
   * Providers with a hosted checkout of their own (Stripe Checkout): a session for one order,
   * where the entrant's pay page sends them (303). Absent (the simulator): the intent's pay link
   * is the checkout. The same `idempotencyKey` answers the same session.
   */
  createCheckoutSession?(req: CheckoutSessionRequest): Promise<{ id: string; url: string }>;
  /** The provider's own record of a drop's payments, refunds and disputes, for reconciliation. */
  listDropPayments(dropId: string): Promise<{ intents: PaymentIntent[]; refunds: ProviderRefund[]; disputes: ProviderDispute[] }>;
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
  /** Every live (not voided) label bought for the order: the sweep for strays. */
  listLabels(orderId: string): Promise<ShippingLabel[]>;
  /** `dropId` and `orderId` go into the label's metadata, so its tracking events name the order. */
  purchaseLabel(req: { dropId: string; orderId: string; fromNodeId: string; toRegion: string }): Promise<ShippingLabel>;
  voidLabel(labelId: string): Promise<void>;
}

export interface CompartmentReservation {
  reservationId: string;
  nodeId: string;
  compartment: string;
  expiresAt: string;
}

/** What the locker says happened to a compartment we released: opened by the entrant first, or freed. */
export interface CompartmentRelease {
  pickedUp: boolean;
}

export interface LockerProvider {
  /**
   * Reserves a compartment that opens with our claim code until `expiresAt`; `dropId` and
   * `orderId` go into the reservation's metadata, so its events name the order.
   */
  reserveCompartment(req: {
    dropId: string;
    nodeId: string;
    orderId: string;
    expiresAt: string;
    claimCode: string;
    idempotencyKey: string;
  }): Promise<CompartmentReservation>;
  /**
   * Frees the compartment so its door no longer opens. The answer is the locker's truth: a
   * compartment the entrant already opened stays picked up (its unit left the node).
   */
  releaseCompartment(req: { nodeId: string; reservationId: string }): Promise<CompartmentRelease>;
}

/**
 * The provider did not take the request at all (503 outage, connection refused): nothing
 * happened there, so it is safe to go to another provider without checking first.
 */
export class ProviderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderUnavailableError';
  }
}

/** A provider answered with an error that retrying the same request cannot fix. */
export class ProviderRejectedError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The provider's error code when it gave one (e.g. `charge_disputed`). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ProviderRejectedError';
  }
}
