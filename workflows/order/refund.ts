import { condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { presets } from '../options';
import type { OrderRun } from './order-run';
import { completePartInDoubt } from './partial-refund';

const { refundPayment } = proxyActivities<Activities>(presets.provider);
const { openOrderException, resolveOrderExceptions } = proxyActivities<Activities>(presets.database);

/** Support answers a dispute within a day (the card network decides without us otherwise). */
const DISPUTE_SLA_MINUTES = 24 * 60;

/**
 * The undo of a taken payment: gives back what support's partial refunds left (the saga's
 * `refund payment` step). A partial refund at the provider right now finishes first.
 */
export async function refund(order: OrderRun): Promise<void> {
  if (order.partialRefundUnderWay) await condition(() => !order.partialRefundUnderWay);
  if (order.partInDoubt) await completePartInDoubt(order);
  const { dropId, orderId } = order.input;
  if (!order.paymentStates) return void (await refundPayment({ dropId, orderId, paymentIntentId: order.paymentIntentId, ...remaining(order) }));
  await refundUnlessDisputed(order);
}

/** The refund's amount: what is left; and, after partial refunds, what they returned (for the order row's total). */
const remaining = (order: OrderRun) => ({
  amountCents: order.refundableCents(),
  ...(order.refundedCents > 0 && { refundedBeforeCents: order.refundedCents }),
});

/**
 * Refunds, unless the charge is disputed: an undecided dispute blocks the refund (the order
 * waits in needs_support for the bank's decision or for support's close_without_refund); a
 * lost one returned the money already (a chargeback, posted once); a won one refunds.
 */
async function refundUnlessDisputed(order: OrderRun): Promise<void> {
  const { dropId, orderId } = order.input;
  const { amountCents } = remaining(order);
  let escalated = false;
  for (;;) {
    const r = await refundPayment({ dropId, orderId, paymentIntentId: order.paymentIntentId, ...remaining(order) });
    if (r.outcome !== 'disputed') {
      if (r.outcome === 'charged_back') order.refundEndedBy = 'dispute_lost';
      order.refundBlockedBy = undefined;
      if (escalated) await resolveOrderExceptions({ orderId, resolution: order.refundEndedBy ?? 'refunded after the dispute was decided' });
      return;
    }
    order.refundBlockedBy = { disputeId: r.disputeId, status: r.disputeStatus };
    if (!escalated) {
      escalated = true;
      // The exception first: an order seen in needs_support always has its reason written.
      await openOrderException({
        dropId,
        orderId,
        kind: 'refund_blocked_by_dispute',
        detail: `refund of ${amountCents} on ${order.paymentIntentId} blocked by dispute ${r.disputeId ?? '(unknown id)'} (${r.disputeStatus}); it runs if the dispute is won, ends the order if lost; close_without_refund ends it now`,
        slaMinutes: DISPUTE_SLA_MINUTES,
      });
      await order.moveTo('needs_support');
      // Answer the request that led here (it now waits with support).
      order.supportRequest = undefined;
    }
    const seen = order.disputeSeq;
    await condition(() => order.disputeSeq !== seen || order.supportRequest?.action === 'close_without_refund');
    if (order.supportRequest?.action === 'close_without_refund') {
      order.refundEndedBy = `closed_without_refund:${order.supportRequest.actor}`;
      order.refundBlockedBy = undefined;
      await resolveOrderExceptions({ orderId, resolution: order.refundEndedBy });
      return;
    }
  }
}
