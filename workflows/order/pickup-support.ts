import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { pickupExtensionRefusal } from '../../src/domain/order/pickup-window';
import type { ResolveAction, ResolveRequest } from '../definitions';
import { presets } from '../options';
import type { OrderOutcome, OrderRun } from './order-run';
import { shipByCarrier } from './routing';

const { reserveCompartment, releaseCompartment, releaseCompartmentUnlessPickedUp } = proxyActivities<Activities>(presets.provider);

/** The compartment the order waits at: its reservation, the window's end (ms) and its claim code's version. */
export interface Compartment {
  nodeId: string;
  reservationId: string;
  deadline: number;
  version: number;
}

/** What support could ask at the locker before patch 'pickup-support-actions' (the single wait). */
const ACTIONS_BEFORE_SUPPORT_LOOP: readonly ResolveAction[] = ['refund', 'mark_picked_up'];

/**
 * Why the order refuses support's request while it waits at the locker (null: it takes it); the
 * resolve Update's validator adds this to the state table (definitions.ts). A request is refused
 * while another one is being carried out (by its name), so two never race.
 */
export function pickupRequestRefusal(order: OrderRun, request: ResolveRequest): string | null {
  if (order.state !== 'awaiting_pickup') return null;
  // A partial refund is carried out by the Update's handler, whatever the window does (partial-refund.ts).
  if (request.action === 'refund' && request.amountCents !== undefined) return null;
  if (!order.pickupSupportActions) {
    if (ACTIONS_BEFORE_SUPPORT_LOOP.includes(request.action)) return null;
    return `${request.action} is not available for this order: its pickup window began before support's pickup actions (refund and mark_picked_up are)`;
  }
  if (order.supportRequest) return `${request.action} is not allowed now: support's ${order.supportRequest.action} is under way`;
  switch (request.action) {
    case 'extend_pickup':
      return pickupExtensionRefusal(request.seconds);
    case 'reissue_claim_code':
      return Date.now() >= order.pickupDeadline ? 'the pickup window has ended: extend_pickup gives a new window with a new claim code' : null;
    default:
      return null;
  }
}

/** Reserves a compartment until `deadline` for the claim code of `version`; its release is the undo. */
export async function reserve(order: OrderRun, nodeId: string, deadline: number, version: number): Promise<Compartment> {
  const { dropId, orderId } = order.input;
  const { reservationId } = await reserveCompartment({ dropId, orderId, nodeId, expiresAt: deadline, ...(version > 0 && { claimCodeVersion: version }) });
  order.saga.add('release compartment', () => releaseCompartment({ nodeId, reservationId }));
  order.pickupDeadline = deadline;
  return { nodeId, reservationId, deadline, version };
}

/**
 * Frees the compartment and learns from the locker whether the entrant opened it first. True:
 * the unit left the node (its stock stays taken). Either way the compartment's undo is done.
 */
export async function releaseCompartmentAndCheck(order: OrderRun, nodeId: string, reservationId: string, pickedUpHere: () => boolean): Promise<boolean> {
  const { pickedUp } = await releaseCompartmentUnlessPickedUp({ nodeId, reservationId });
  order.saga.forgetLatest();
  return pickedUp || pickedUpHere();
}

/** Support asked for a refund while the order waited at the locker (Update accepted then). */
export async function refundForSupport(
  order: OrderRun,
  nodeId: string,
  reservationId: string,
  actor: string,
  pickedUpHere: () => boolean,
): Promise<OrderOutcome> {
  await order.moveTo('refunding_by_support');
  if (await releaseCompartmentAndCheck(order, nodeId, reservationId, pickedUpHere)) {
    // The entrant has the unit and we have the money: nothing to refund; support is told why.
    order.supportRefusal = 'the entrant opened the compartment before the refund began; nothing was refunded';
    return await order.finish('picked_up', 'picked_up_at_locker', { claimCode: null });
  }
  await order.saga.compensate();
  return await order.finish('refunded', order.refundedReason(`refunded_by_support:${actor}`), { claimCode: null });
}

/**
 * Handed over by hand: the compartment is freed (its door, and so the claim code, no longer
 * opens) and the order ends picked_up; if the locker says the entrant opened it first, that is
 * the reason recorded.
 */
export async function markPickedUp(order: OrderRun, c: Compartment, actor: string, pickedUpHere: () => boolean): Promise<OrderOutcome> {
  const opened = await releaseCompartmentAndCheck(order, c.nodeId, c.reservationId, pickedUpHere);
  return await order.finish('picked_up', opened ? 'picked_up_at_locker' : `marked_picked_up_by_support:${actor}`, { claimCode: null });
}

/**
 * The unit leaves by carrier instead: the compartment is freed (asking the locker whether it
 * was opened: then the order ends picked_up and support is told), a label is bought from the
 * node, the money kept: `shipped`.
 */
export async function reshipForSupport(order: OrderRun, c: Compartment, actor: string, pickedUpHere: () => boolean): Promise<OrderOutcome> {
  await order.moveTo('reshipping_by_support');
  if (await releaseCompartmentAndCheck(order, c.nodeId, c.reservationId, pickedUpHere)) {
    order.supportRefusal = 'the entrant opened the compartment before the reship began; nothing was shipped';
    return await order.finish('picked_up', 'picked_up_at_locker', { claimCode: null });
  }
  return await shipByCarrier(order, c.nodeId, `reshipped_by_support:${actor}`, { claimCode: null });
}

/**
 * A new claim code until `deadline` (extend_pickup: a new one; reissue_claim_code: the same):
 * the old reservation is released first, so the old code no longer opens the door (the locker
 * binds a reservation to one code), then a compartment is reserved for the next version's code.
 * Returns the new compartment, recorded on the order row (still awaiting_pickup), or the order's
 * outcome if the locker says the entrant opened the old one first (picked_up; support is told).
 */
export async function replaceClaimCode(order: OrderRun, c: Compartment, deadline: number, pickedUpHere: () => boolean): Promise<Compartment | OrderOutcome> {
  if (await releaseCompartmentAndCheck(order, c.nodeId, c.reservationId, pickedUpHere)) {
    order.supportRefusal = 'the entrant opened the compartment before the new claim code was made; the order is picked up';
    return await order.finish('picked_up', 'picked_up_at_locker', { claimCode: null });
  }
  const next = await reserve(order, c.nodeId, deadline, c.version + 1);
  await order.moveTo('awaiting_pickup', { compartmentReservationId: next.reservationId, pickupDeadline: deadline, claimCodeVersion: next.version });
  return next;
}
