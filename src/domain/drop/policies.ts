/**
 * The drop's published policies. Pure and workflow-safe (no imports): the workflows' shared
 * definitions re-export them, and the launch schema validates against the same lists.
 */

/**
 * How winners pay: `pay_after_win` (a pay link and a pay window after the draw) or
 * `authorize_at_entry` (a hold on the card at registration, captured for winners, voided for
 * everyone else once the drop settles).
 */
export type PaymentMode = 'pay_after_win' | 'authorize_at_entry';
export const PAYMENT_MODES: readonly PaymentMode[] = ['pay_after_win', 'authorize_at_entry'];

/** What happens when a paid winner misses the pickup window (published with the drop). */
export type MissedPickupPolicy = 'refund' | 'reship' | 'credit';
export const MISSED_PICKUP_POLICIES: readonly MissedPickupPolicy[] = ['refund', 'reship', 'credit'];
