import { condition, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { OrderWorkflowInput, OrderWorkflowState } from '../definitions';
import { presets } from '../options';
import { cancelAtLockerIfAsked } from './cancel';
import type { OrderOutcome, OrderRun } from './order-run';
import { markPickedUp, refundForSupport, releaseCompartmentAndCheck, replaceClaimCode, reserve, reshipForSupport, type Compartment } from './pickup-support';
import { shipByCarrier } from './routing';
import { windowSeconds } from './drop-windows';

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
 * is derived from the reservation on read), then picked up, support's actions, or the drop's
 * missed-pickup policy, exactly once.
 *
 * Patch 'pickup-support-actions' (decided here, before the phase's first command): the window
 * is a loop over support's requests (pickupWindow); orders whose window began before it keep the
 * single wait below, and their validator refuses the actions it cannot carry out.
 */
export async function pickupPhase(order: OrderRun, nodeId: string): Promise<OrderOutcome> {
  const { input } = order;
  const pickupSeconds = await windowSeconds(input, 'pickupSeconds');
  order.pickupSupportActions = patched('pickup-support-actions');
  const pickupDeadline = Date.now() + pickupSeconds * 1000;
  const first = await reserve(order, nodeId, pickupDeadline, 0);
  const { reservationId } = first;
  await order.moveTo('awaiting_pickup', { nodeId, compartmentReservationId: reservationId, pickupDeadline });
  if (order.pickupSupportActions) return await pickupWindow(order, first);

  // The API checked the claim code's signature and expiry before signalling.
  const pickedUpHere = () => order.pickup !== undefined && order.pickup.reservationId === reservationId;
  await condition(() => pickedUpHere() || order.supportRequest !== undefined, pickupSeconds * 1000);
  if (pickedUpHere() || order.supportRequest?.action === 'mark_picked_up') {
    // The unit left the node: its stock stays taken and the payment stays captured.
    const reason = pickedUpHere() ? 'picked_up_at_locker' : `marked_picked_up_by_support:${order.supportRequest!.actor}`;
    return await order.finish('picked_up', reason, { claimCode: null });
  }
  // Orders in the single wait: the drop's cancellation (handed over as a cancel_order) takes over here (cancel.ts).
  const cancelled = await cancelAtLockerIfAsked(order, nodeId, reservationId);
  if (cancelled) return cancelled;
  if (order.supportRequest?.action === 'refund') {
    if (patched('pickup-explicit-steps')) return await refundForSupport(order, nodeId, reservationId, order.supportRequest.actor, pickedUpHere);
    await order.saga.compensate();
    return await order.finish('refunded', order.refundedReason(`refunded_by_support:${order.supportRequest.actor}`), { claimCode: null });
  }
  if (patched('pickup-explicit-steps')) return await missedPickupPolicy(order, nodeId, reservationId, pickedUpHere);
  return await missedPickupPolicyBeforeExplicitSteps(order, nodeId);
}

/**
 * The window as a loop (patch 'pickup-support-actions'): a pickup at the current compartment,
 * or support's request, or the window's end. Each request is carried out before the next is
 * taken (the validator refuses one arriving meanwhile, by name) and before the window's end is
 * looked at again: a request accepted just before the end is carried out first (extend_pickup
 * then sets a new end; after reissue_claim_code or anything else the end applies as usual).
 * extend_pickup and reissue_claim_code leave the order waiting; their Update is answered once the
 * new compartment and deadline are recorded.
 */
async function pickupWindow(order: OrderRun, first: Compartment): Promise<OrderOutcome> {
  let c = first;
  // A pickup counts only at the current reservation (a replaced one's door no longer opens).
  const pickedUpHere = () => order.pickedUpReservations.has(c.reservationId);
  for (;;) {
    const remaining = c.deadline - Date.now();
    if (remaining > 0 && order.supportRequest === undefined && !pickedUpHere()) {
      await condition(() => pickedUpHere() || order.supportRequest !== undefined, remaining);
    }
    // The unit left the node: its stock stays taken and the payment stays captured.
    if (pickedUpHere()) return await order.finish('picked_up', 'picked_up_at_locker', { claimCode: null });
    const request = order.supportRequest;
    if (request === undefined) return await missedPickupPolicy(order, c.nodeId, c.reservationId, pickedUpHere);
    switch (request.action) {
      case 'mark_picked_up':
        return await markPickedUp(order, c, request.actor, pickedUpHere);
      case 'refund':
        // Full only: the validator refuses a partial refund until partialRefund(order, request) exists.
        return await refundForSupport(order, c.nodeId, c.reservationId, request.actor, pickedUpHere);
      case 'reship':
        return await reshipForSupport(order, c, request.actor, pickedUpHere);
      case 'cancel_order':
        // Support's cancel_order, or the drop's cancellation handed over as one (cancel.ts).
        return (await cancelAtLockerIfAsked(order, c.nodeId, c.reservationId, pickedUpHere))!;
      case 'extend_pickup':
      case 'reissue_claim_code': {
        if (request.action === 'reissue_claim_code' && c.deadline <= Date.now()) {
          // Accepted just before the window's end: a code for a window that is over helps no one.
          order.answerSupportRequest('the pickup window ended before a new code was made; extend_pickup gives a new window');
          continue;
        }
        const deadline = request.action === 'extend_pickup' ? Date.now() + request.seconds! * 1000 : c.deadline;
        const next = await replaceClaimCode(order, c, deadline, pickedUpHere);
        if (!('reservationId' in next)) return next;
        c = next;
        order.answerSupportRequest();
        continue;
      }
      default:
        // Not reachable: the validator takes only the actions above in awaiting_pickup.
        order.answerSupportRequest(`${request.action} cannot be carried out while the order waits at the locker`);
    }
  }
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
