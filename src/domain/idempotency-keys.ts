/**
 * Business idempotency keys: built from business ids (never a run id, so a reset or a retry
 * cannot pay, refund or reserve twice), and only here. Providers and the ledger already hold
 * keys in these exact forms: change a form and the next call is a new operation — never edit
 * one; add a `:v2` form instead.
 */

const orderKey = (dropId: string, orderId: string, step: string) => `drop:${dropId}:order:${orderId}:${step}:v1`;
const entryKey = (dropId: string, entryId: string, step: string) => `drop:${dropId}:entry:${entryId}:${step}:v1`;

/** Keys of an order's provider calls and ledger postings: one per order and step. */
export const orderKeys = {
  /** The pay-after-win payment intent. */
  intent: (dropId: string, orderId: string) => orderKey(dropId, orderId, 'intent'),
  /** The capture at the provider (authorize_at_entry) and the capture's ledger posting. */
  capture: (dropId: string, orderId: string) => orderKey(dropId, orderId, 'capture'),
  /** Voiding the intent when the pay window closes. */
  cancel: (dropId: string, orderId: string) => orderKey(dropId, orderId, 'cancel'),
  /**
   * Support's retry_payment: the order's `attempt`-th intent (2, 3, …; the first is `intent`)
   * and its void, each its own operation at the provider.
   */
  intentAttempt: (dropId: string, orderId: string, attempt: number) => orderKey(dropId, orderId, `intent-${attempt}`),
  cancelAttempt: (dropId: string, orderId: string, attempt: number) => orderKey(dropId, orderId, `cancel-${attempt}`),
  /** The refund at the provider and its ledger posting. */
  refund: (dropId: string, orderId: string) => orderKey(dropId, orderId, 'refund'),
  /** Support's `part`-th partial refund (1, 2, …) at the provider and its ledger posting; the full refund stays `refund`. */
  refundPart: (dropId: string, orderId: string, part: number) => orderKey(dropId, orderId, `refund-part-${part}`),
  /** A refund after a dispute the bank decided for us: its own key, as the provider may have stored a refusal under `refund`. */
  refundAfterDispute: (dropId: string, orderId: string, disputeId: string) => orderKey(dropId, orderId, `refund-after-${disputeId}`),
  /** The chargeback's ledger posting (a lost dispute). */
  chargeback: (dropId: string, orderId: string) => orderKey(dropId, orderId, 'chargeback'),
  /** The store credit's ledger posting (missed pickup under the credit policy). */
  storeCredit: (dropId: string, orderId: string) => orderKey(dropId, orderId, 'store-credit'),
  /** The locker compartment's reservation. */
  compartment: (dropId: string, orderId: string) => orderKey(dropId, orderId, 'compartment'),
  /** The reservation for the order's claim code version `version` ≥ 1 (support replaced the code). */
  compartmentForCode: (dropId: string, orderId: string, version: number) => orderKey(dropId, orderId, `compartment-code-${version}`),
};

/** Keys of an entry's hold (authorize_at_entry): one per entry, whatever the retries. */
export const entryKeys = {
  authorization: (dropId: string, entryId: string) => entryKey(dropId, entryId, 'authorization'),
  void: (dropId: string, entryId: string) => entryKey(dropId, entryId, 'void'),
};

/** Dedupe keys of support's exceptions: one open exception per cause, whoever reports it first. */
export const exceptionKeys = {
  dispute: (disputeId: string) => `dispute:${disputeId}`,
  strayLabel: (carrierId: string, labelId: string) => `stray-label:${carrierId}:${labelId}`,
  unplacedWebhook: (provider: string, eventId: string) => `webhook:${provider}:${eventId}`,
  lockerEvent: (eventId: string) => `locker-event:${eventId}`,
};
