import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ResolveRequest } from '../definitions';
import { presets } from '../options';
import type { OrderRun } from './order-run';

const { refundPartOfPayment } = proxyActivities<Activities>(presets.provider);

/**
 * Support's partial refund (`refund` with `amountCents` below what is left to refund) while the
 * order awaits pickup: carried out by the resolve Update's handler itself, so the pickup phase's
 * wait is not disturbed and the order goes on awaiting pickup. Each part has its own key at the
 * provider and in the ledger (`…:refund-part-<n>:v1`); the order row's `refunded_cents` adds
 * it up; the full refund (support's, the missed-pickup policy's, a cancellation's or a
 * compensation's) waits for a part under way and returns only what is left.
 */

/** True when `request` is a partial refund (an `amountCents` equal to what is left is the full refund). */
export const isPartialRefund = (order: OrderRun, request: ResolveRequest): request is ResolveRequest & { amountCents: number } =>
  request.action === 'refund' && request.amountCents !== undefined && request.amountCents < order.refundableCents();

/** Why the validator refuses `request`'s amount (null: nothing to say about it). */
export function partialRefundRefusal(order: OrderRun, request: ResolveRequest): string | null {
  const { amountCents } = request;
  if (amountCents === undefined) return null;
  if (request.action !== 'refund' || order.state !== 'awaiting_pickup')
    return 'amountCents (a partial refund) is only for refund while the order awaits pickup';
  if (!order.moneyTaken || order.input.amountCents === 0) return 'nothing was paid for this order: nothing to refund';
  if (order.partialRefundUnderWay) return 'another partial refund of this order is under way; ask again once it is answered';
  const left = order.refundableCents();
  if (amountCents > left) return `amountCents ${amountCents} is more than what is left to refund: ${left} cents`;
  return null;
}

/**
 * Refunds `amountCents` now; the order stays where it is. Refused (`ActionNotApplied`, nothing
 * changed) when the provider says no (a dispute, say). When the provider does not answer, the
 * part's outcome is unknown: it stays in doubt and the order's next refund completes it under
 * the same key first (the provider replays it if it was done), so the total is always right.
 */
export async function refundPart(order: OrderRun, amountCents: number): Promise<void> {
  order.partialRefundUnderWay = true;
  try {
    await completePartInDoubt(order);
    order.partialRefunds += 1;
    order.partInDoubt = { part: order.partialRefunds, amountCents };
    const r = await askProvider(order);
    if (r.outcome === 'refused') {
      order.partInDoubt = undefined;
      throw ApplicationFailure.nonRetryable(`refund was not carried out: ${r.reason}`, 'ActionNotApplied');
    }
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw ApplicationFailure.nonRetryable(
      `refund of ${amountCents} cents not confirmed: the payment provider did not answer; the order's next refund completes the unanswered one first`,
      'ActionNotApplied',
    );
  } finally {
    order.partialRefundUnderWay = false;
  }
}

/** A partial refund whose answer never came is completed (or found done) before any other refund. */
export async function completePartInDoubt(order: OrderRun): Promise<void> {
  if (!order.partInDoubt) return;
  const r = await askProvider(order);
  // A definite no: that part was never made, nothing to count.
  if (r.outcome === 'refused') order.partInDoubt = undefined;
}

/** Asks for the part in doubt (its own key: asking again is safe); counts it once done. */
async function askProvider(order: OrderRun) {
  const { part, amountCents } = order.partInDoubt!;
  const { dropId, orderId } = order.input;
  const r = await refundPartOfPayment({ dropId, orderId, paymentIntentId: order.paymentIntentId, amountCents, part, refundedBeforeCents: order.refundedCents });
  if (r.outcome === 'refunded') {
    order.refundedCents += amountCents;
    order.partInDoubt = undefined;
  }
  return r;
}
