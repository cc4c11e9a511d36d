import { isFinalOrderState } from '../order/order-states';

/**
 * What support may know of an order's claim code: its status and deadline, never the code.
 * - `issued`: the compartment is reserved, the order not yet waiting for pickup;
 * - `active`: the order waits for pickup and the deadline has not passed: the door opens for it;
 * - `used`: the order ended `picked_up`;
 * - `revoked`: the order left the pickup path before the deadline (refund, reship, cancel,
 *   needs_support…): the compartment is released, the door no longer opens;
 * - `expired`: the deadline passed without a pickup.
 * null: the order never had a compartment (shipped, unpaid, before routing).
 */
export type ClaimCodeStatus = 'issued' | 'active' | 'used' | 'revoked' | 'expired';

export function claimCodeStatus(
  o: { state: string; nodeId: string | null; pickupDeadline: Date | null; compartmentReservationId: string | null },
  nowMs: number,
): ClaimCodeStatus | null {
  if (!o.pickupDeadline || !o.nodeId || !o.compartmentReservationId) return null;
  const past = nowMs >= o.pickupDeadline.getTime();
  if (o.state === 'picked_up') return 'used';
  if (o.state === 'awaiting_pickup') return past ? 'expired' : 'active';
  if (isFinalOrderState(o.state) || o.state === 'needs_support' || o.state.endsWith('_missed_pickup') || o.state === 'refunding_by_support') {
    return past ? 'expired' : 'revoked';
  }
  return 'issued';
}
