/**
 * The order's states: the one definition the workflow, the database row and the services share.
 * Pure and workflow-safe (no imports): the order workflow's bundle includes it.
 */
export type OrderState =
  | 'created'
  | 'awaiting_payment'
  | 'paid'
  | 'awaiting_pickup'
  | 'needs_support'
  // a step the workflow has committed to and is carrying out (not final; support waits for its end;
  // workflows/definitions.ts STEPS_UNDER_WAY names each)
  | 'refunding_by_support'
  | 'reshipping_by_support'
  | 'refunding_missed_pickup'
  | 'reshipping_missed_pickup'
  | 'crediting_missed_pickup'
  | 'cancelling'
  // final states: every winner ends in exactly one of these
  | 'unpaid'
  | 'picked_up'
  | 'shipped'
  | 'refunded'
  | 'declined'
  | 'credited'
  // ops cancelled the drop, or support cancelled the order: every step undone, any money returned
  | 'cancelled';

/** Every winner ends in exactly one of these. */
export const FINAL_ORDER_STATES: readonly OrderState[] = ['unpaid', 'picked_up', 'shipped', 'refunded', 'declined', 'credited', 'cancelled'];

/** Whether `state` (a row's or a workflow's) is final; accepts any string, as read from the database. */
export const isFinalOrderState = (state: string): state is OrderState => (FINAL_ORDER_STATES as readonly string[]).includes(state);

/** Final states in which we keep the payment (the entrant has the item or its value as credit). */
export const ORDER_STATES_KEEPING_PAYMENT: readonly OrderState[] = ['picked_up', 'shipped', 'credited'];

/** Final states in which no payment stays with us (never paid, declined, or refunded). */
export const ORDER_STATES_RETURNING_PAYMENT: readonly OrderState[] = ['unpaid', 'declined', 'refunded', 'cancelled'];
