/**
 * A dispute's status, as Stripe names them: `warning_*` are inquiries (no money moved yet),
 * `needs_response` / `under_review` a formal dispute the bank has not decided, `won` / `lost`
 * its end (`lost`: the bank returned the money to the cardholder, a chargeback).
 * Pure and workflow-safe (no imports).
 */
export type DisputeStatus = 'warning_needs_response' | 'warning_under_review' | 'warning_closed' | 'needs_response' | 'under_review' | 'won' | 'lost';

/**
 * A dispute the bank has not decided yet (it may still go either way): the charge must not be
 * refunded by us meanwhile (Stripe refuses it anyway). Takes any string, as statuses arrive in
 * webhooks and workflow signals.
 */
export const isDisputeOpen = (status: string): boolean => status !== 'won' && status !== 'lost' && status !== 'warning_closed';
