import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { presets } from '../options';
import type { OrderOutcome, OrderRun } from './order-run';

const { releaseCompartmentUnlessPickedUp } = proxyActivities<Activities>(presets.provider);

/**
 * Cancelling an order (support's `cancel_order`, or ops cancelling the drop: the
 * `dropCancelled` Update): the order enters `cancelling` (a step under way), every undo on the
 * saga's stack runs newest first (the compartment, the stock, the payment: voided, or refunded
 * as far as partial refunds left it, so the money goes back once), and it ends `cancelled`.
 * Support's cancellation gives the unit to the next waitlisted entrant (promoted before the
 * order finishes, as a lapse does); the drop's promotes nobody. An undo that fails sends the
 * order to needs_support (saga.ts settleFailure), which ends it `cancelled` once support
 * resolves it.
 */
export interface Cancellation {
  /** The final reason: `cancelled_by_support:<staffId>` or `drop_cancelled:<staffId>`. */
  reason: string;
  /** Whether the unit goes to the next waitlisted entrant. */
  promote: boolean;
}

/** The cancellation asked of the order, if any: the drop's wins over support's (it promotes nobody). */
export function cancellationAsked(order: OrderRun): Cancellation | undefined {
  if (order.dropCancel) return { reason: `drop_cancelled:${order.dropCancel.staffId}`, promote: false };
  const request = order.supportRequest;
  if (request?.action === 'cancel_order') return { reason: `cancelled_by_support:${request.actor}`, promote: true };
  return undefined;
}

/**
 * Cancels an order that holds no compartment (awaiting payment, paid, routed): every undo runs.
 * `undefined` when no cancellation was asked (the caller goes on).
 */
export async function cancelIfAsked(order: OrderRun): Promise<OrderOutcome | undefined> {
  const cancellation = cancellationAsked(order);
  if (!cancellation || !patched('support-actions-v2')) return undefined;
  order.cancelling = cancellation;
  await order.moveTo('cancelling');
  await order.saga.compensate();
  return await finishCancelled(order);
}

/**
 * The pickup phase's hook: cancels an order waiting at the locker. The compartment is released
 * first, asking the locker whether the entrant opened it: if so the unit left, the order ends
 * `picked_up` and support's cancel_order is refused with that reason (nothing is refunded).
 * `undefined` when no cancellation was asked. `pickedUpHere`: whether a pickup signal named this
 * reservation (the pickup loop passes its own).
 */
export async function cancelAtLockerIfAsked(
  order: OrderRun,
  nodeId: string,
  reservationId: string,
  pickedUpHere: () => boolean = () => order.pickup?.reservationId === reservationId,
): Promise<OrderOutcome | undefined> {
  const cancellation = cancellationAsked(order);
  if (!cancellation || !patched('support-actions-v2')) return undefined;
  order.cancelling = cancellation;
  await order.moveTo('cancelling');
  const { pickedUp } = await releaseCompartmentUnlessPickedUp({ nodeId, reservationId });
  // The compartment's undo is done either way.
  order.saga.forgetLatest();
  if (pickedUp || pickedUpHere()) {
    order.cancelling = undefined;
    order.supportRefusal = 'the entrant opened the compartment before the cancellation began; nothing was refunded';
    return await order.finish('picked_up', 'picked_up_at_locker', { claimCode: null });
  }
  await order.saga.compensate();
  return await finishCancelled(order);
}

/** Every undo has run: the unit goes down the waitlist (support's cancellation only), then the order ends `cancelled`. */
export async function finishCancelled(order: OrderRun): Promise<OrderOutcome> {
  const cancellation = order.cancelling ?? cancellationAsked(order) ?? { reason: 'cancelled', promote: false };
  if (cancellation.promote && !order.dropCancel) await order.promoteNext();
  // How the money went back when our refund did not return it (a lost dispute, closed by support).
  const reason = order.refundEndedBy ? `${cancellation.reason} (${order.refundEndedBy})` : cancellation.reason;
  return await order.finish('cancelled', reason, { claimCode: null });
}
