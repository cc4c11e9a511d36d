import { condition, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { OrderWorkflowInput, OrderWorkflowState } from '../definitions';
import { presets } from '../options';
import type { OrderOutcome, OrderRun } from './order-run';
import { shipByCarrier } from './routing';
import { cancelAtLockerIfAsked } from './cancel';

const { reserveCompartment, releaseCompartment, releaseCompartmentUnlessPickedUp } = proxyActivities<Activities>(presets.provider);
const { issueStoreCredit } = proxyActivities<Activities>(presets.database);

/**
 * The pickup phase's explicit steps (patch 'pickup-explicit-steps'): the order enters a named
 * state (STEPS_UNDER_WAY) before a missed-pickup policy or support's refund acts, asks the locker
 * whether the compartment was opened as it releases it (a unit that left is never put back), and
 * the resolve Update never answers with a state that contradicts the action it accepted.
 */
const MISSED_PICKUP_STEP = {
  refund: 'refunding_missed_pickup',
  reship: 'reshipping_missed_pickup',
  credit: 'crediting_missed_pickup',
} as const satisfies Record<OrderWorkflowInput['missedPickupPolicy'], OrderWorkflowState>;

/**
 * The pickup window at `nodeId`: a compartment reserved until the window's end (the claim code
 * is derived from the reservation on read), then picked up, support's action, or the drop's
 * missed-pickup policy, exactly once.
 */
export async function pickupPhase(order: OrderRun, nodeId: string): Promise<OrderOutcome> {
  const { input } = order;
  const pickupDeadline = Date.now() + input.pickupSeconds * 1000;
  const { reservationId } = await reserveCompartment({ dropId: input.dropId, orderId: input.orderId, nodeId, expiresAt: pickupDeadline });
  order.saga.add('release compartment', () => releaseCompartment({ nodeId, reservationId }));
  await order.moveTo('awaiting_pickup', { nodeId, compartmentReservationId: reservationId, pickupDeadline });

  // The API checked the claim code's signature and expiry before signalling.
  const pickedUpHere = () => order.pickup !== undefined && order.pickup.reservationId === reservationId;
  await condition(() => pickedUpHere() || order.supportRequest !== undefined, input.pickupSeconds * 1000);
  if (pickedUpHere() || order.supportRequest?.action === 'mark_picked_up') {
    // The unit left the node: its stock stays taken and the payment stays captured.
    const reason = pickedUpHere() ? 'picked_up_at_locker' : `marked_picked_up_by_support:${order.supportRequest!.actor}`;
    return await order.finish('picked_up', reason, { claimCode: null });
  }
  // Hook (cancel.ts): support's cancel_order, or the drop's cancellation, takes over here.
  const cancelled = await cancelAtLockerIfAsked(order, nodeId, reservationId);
  if (cancelled) return cancelled;
  if (order.supportRequest?.action === 'refund') {
    if (patched('pickup-explicit-steps')) return await refundForSupport(order, nodeId, reservationId, order.supportRequest.actor);
    await order.saga.compensate();
    return await order.finish('refunded', order.refundedReason(`refunded_by_support:${order.supportRequest.actor}`), { claimCode: null });
  }
  if (patched('pickup-explicit-steps')) return await missedPickupPolicy(order, nodeId, reservationId, pickedUpHere);
  return await missedPickupPolicyBeforeExplicitSteps(order, nodeId);
}

/**
 * Frees the compartment and learns from the locker whether the entrant opened it first. True:
 * the unit left the node (its stock stays taken). Either way the compartment's undo is done.
 */
async function releaseCompartmentAndCheck(order: OrderRun, nodeId: string, reservationId: string, pickedUpHere: () => boolean): Promise<boolean> {
  const { pickedUp } = await releaseCompartmentUnlessPickedUp({ nodeId, reservationId });
  order.saga.forgetLatest();
  return pickedUp || pickedUpHere();
}

/** Support asked for a refund while the order waited at the locker (Update accepted then). */
async function refundForSupport(order: OrderRun, nodeId: string, reservationId: string, actor: string): Promise<OrderOutcome> {
  await order.moveTo('refunding_by_support');
  if (await releaseCompartmentAndCheck(order, nodeId, reservationId, () => order.pickup?.reservationId === reservationId)) {
    // The entrant has the unit and we have the money: nothing to refund; support is told why.
    order.supportRefusal = 'the entrant opened the compartment before the refund began; nothing was refunded';
    return await order.finish('picked_up', 'picked_up_at_locker', { claimCode: null });
  }
  await order.saga.compensate();
  return await order.finish('refunded', order.refundedReason(`refunded_by_support:${actor}`), { claimCode: null });
}

/** The window lapsed: the drop's published policy, once, in its own named state. */
async function missedPickupPolicy(order: OrderRun, nodeId: string, reservationId: string, pickedUpHere: () => boolean): Promise<OrderOutcome> {
  const policy = order.input.missedPickupPolicy;
  await order.moveTo(MISSED_PICKUP_STEP[policy]);
  // A pickup whose event is late (or lost) still counts: the locker is asked as it releases.
  if (await releaseCompartmentAndCheck(order, nodeId, reservationId, pickedUpHere)) {
    return await order.finish('picked_up', 'picked_up_at_locker', { claimCode: null });
  }
  switch (policy) {
    case 'reship':
      return await shipByCarrier(order, nodeId, 'reshipped_after_missed_pickup', { claimCode: null });
    case 'credit':
      if (creditRefused(order)) return await refundMissedPickup(order);
      // The unit goes back to its node (the stock's undo); the compartment is already free.
      await order.saga.undoLatest();
      return await creditMissedPickup(order);
    default:
      return await refundMissedPickup(order);
  }
}

/**
 * Orders that started before 'pickup-explicit-steps': the policy acts without a named state and
 * without asking the locker; the compartment is freed by its undo.
 */
async function missedPickupPolicyBeforeExplicitSteps(order: OrderRun, nodeId: string): Promise<OrderOutcome> {
  switch (order.input.missedPickupPolicy) {
    case 'reship':
      // The compartment is freed; the unit stays taken and the money captured.
      await order.saga.undoLatest();
      return await shipByCarrier(order, nodeId, 'reshipped_after_missed_pickup', { claimCode: null });
    case 'credit':
      if (creditRefused(order)) return await refundMissedPickup(order);
      // The compartment, then the stock: the unit goes back to its node.
      await order.saga.undoLatest();
      await order.saga.undoLatest();
      return await creditMissedPickup(order);
    default:
      return await refundMissedPickup(order);
  }
}

/**
 * A free order has no money to turn into credit, and a disputed payment is not ours to turn into
 * credit: the unit goes back as under `refund` (a disputed refund waits).
 */
const creditRefused = (order: OrderRun) => order.paymentStates && (order.input.amountCents === 0 || order.creditBlockedByDispute());

/** The `refund` policy (and a refused credit): every undo runs, the money goes back. */
async function refundMissedPickup(order: OrderRun): Promise<OrderOutcome> {
  await order.saga.compensate();
  return await order.finish('refunded', order.refundedReason('pickup_expired'), { claimCode: null });
}

/** The `credit` policy once the unit is back: the money becomes store credit with a fallback offer. */
async function creditMissedPickup(order: OrderRun): Promise<OrderOutcome> {
  const { dropId, orderId, amountCents } = order.input;
  await issueStoreCredit({ dropId, orderId, amountCents });
  return await order.finish('credited', 'credited_after_missed_pickup', { claimCode: null, creditCents: amountCents });
}
