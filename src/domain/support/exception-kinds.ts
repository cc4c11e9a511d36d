/**
 * Every kind of exception the engine opens for support, and how each one closes. Pure and
 * workflow-safe. `test/unit/exception-kinds.test.ts` reads every `kind:` literal passed to
 * openException / openOrderException in the code and fails on one missing here.
 *
 * - `order_action`: the order waits in `needs_support` for one of its own resolve actions
 *   (`POST /v1/orders/:orderId/resolve`), which closes the exception when it is carried out.
 *   `POST /v1/exceptions/:id/resolve` refuses it (409 `resolve_with_order_action`, naming the
 *   action) while the order is not final; once the order is final it may be closed directly.
 * - `resolve`: nothing waits on it; support closes it with `POST /v1/exceptions/:id/resolve`
 *   once they have dealt with it outside the engine (a refund claimed, a provider asked).
 * `closedAlsoBy` names what else closes it without support.
 */
export interface ExceptionKindInfo {
  closes: { by: 'order_action'; action: 'retry_compensation' | 'close_without_refund' } | { by: 'resolve' };
  closedAlsoBy?: string;
  /** What support does about it, in one line. */
  summary: string;
}

export const EXCEPTION_KINDS = {
  compensation_failed: {
    closes: { by: 'order_action', action: 'retry_compensation' },
    summary: 'an undo step kept failing; the order waits in needs_support until a retry_compensation succeeds',
  },
  refund_blocked_by_dispute: {
    closes: { by: 'order_action', action: 'close_without_refund' },
    closedAlsoBy: 'the dispute being decided (charge.dispute.closed): won refunds, lost ends the order',
    summary: 'an open dispute blocks the refund; close_without_refund leaves the money to the bank',
  },
  payment_disputed: {
    closes: { by: 'resolve' },
    closedAlsoBy: 'charge.dispute.closed from the payment provider',
    summary: 'a chargeback was opened; answer it with the payment provider',
  },
  claim_code_rejected: {
    closes: { by: 'resolve' },
    summary: 'a locker refused a claim code; check with the entrant (extend_pickup or reissue_claim_code on the order if needed)',
  },
  picked_up_after_settlement: {
    closes: { by: 'resolve' },
    summary: 'a pickup arrived after the order ended otherwise; settle the unit and the money by hand',
  },
  stray_label: {
    closes: { by: 'resolve' },
    summary: 'a label bought twice cannot be voided (or the carrier would not list labels); claim its refund from the carrier',
  },
  unplaced_provider_event: {
    closes: { by: 'resolve' },
    summary: 'a provider event matched no order within a day; find what it belongs to',
  },
  hold_void_failed: {
    closes: { by: 'resolve' },
    summary: 'a card hold could not be voided after the drop settled; void it at the payment provider',
  },
  payment_record_missing: {
    closes: { by: 'resolve' },
    summary: 'the payment provider no longer knows an intent we voided; check the entrant was not charged',
  },
} as const satisfies Record<string, ExceptionKindInfo>;

export type ExceptionKind = keyof typeof EXCEPTION_KINDS;

export const isExceptionKind = (kind: string): kind is ExceptionKind => Object.prototype.hasOwnProperty.call(EXCEPTION_KINDS, kind);

/** How an exception of this kind closes; `resolve` for a kind this build does not know (opened by a newer one). */
export function closingOf(kind: string): ExceptionKindInfo['closes'] {
  return isExceptionKind(kind) ? EXCEPTION_KINDS[kind].closes : { by: 'resolve' };
}

/** What support chose when closing an exception through the queue (the why is the reason code and text). */
export const EXCEPTION_RESOLUTIONS = ['fixed', 'refund_claimed', 'no_action_needed', 'duplicate', 'written_off'] as const;
export type ExceptionResolution = (typeof EXCEPTION_RESOLUTIONS)[number];
