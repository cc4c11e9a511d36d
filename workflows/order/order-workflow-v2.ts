import { ApplicationFailure, condition, patched, setHandler } from '@temporalio/workflow';
import {
  isOpenDisputeStatus,
  orderStatusQuery,
  paymentDisputedSignal,
  paymentFailedSignal,
  paymentSucceededSignal,
  pickupCompletedSignal,
  resolveOrderUpdate,
  resolveRefusal,
  type OrderWorkflowInput,
  type OrderWorkflowState,
  type ResolveRequest,
} from '../definitions';
import { OrderRun, type OrderOutcome } from './order-run';
import { takePayment } from './payment';
import { pickupPhase } from './pickup';
import { pickupRequestRefusal } from './pickup-support';
import { routeToNode, shipByCarrier } from './routing';
import { settleFailure } from './saga';

export type { OrderOutcome } from './order-run';

/**
 * One winner's order (the only order workflow; v1 was never deployed and is gone):
 *
 *   payment (payment.ts): pay window, or the hold placed at entry (a decline or a lapse: the unit
 *     goes to the next waitlisted entrant)
 *   → routing (routing.ts): a node in the region with stock, else ship by carrier
 *   → pickup (pickup.ts): a window with a signed claim code → picked up, or the drop's
 *     missed-pickup policy (refund, reship by carrier, or store credit), exactly once.
 *
 * Every step that succeeds registers its undo beside it; failures run the undos, newest first
 * (saga.ts); what cannot be undone becomes an exception for support, with an SLA. This file is
 * the message layer: the handlers write into the order's state (order-run.ts), the phases read it.
 */
export async function orderWorkflowV2(input: OrderWorkflowInput): Promise<OrderOutcome> {
  // Decides patch 'payment-states' before any handler can run and before the first command.
  const order = new OrderRun(input);
  handleMessages(order);
  try {
    const paid = await takePayment(order);
    if (paid !== 'paid') return paid;
    const route = await routeToNode(order);
    if (route.fulfillment === 'ship') return await shipByCarrier(order, route.nodeId, 'shipped_by_carrier', { nodeId: route.nodeId });
    return await pickupPhase(order, route.nodeId);
  } catch (err) {
    // Something a retry could not fix. Undo what we can; what we cannot goes to support.
    return await settleFailure(order, err);
  }
}

/**
 * True when the order's state contradicts the support action that was accepted. extend_pickup
 * and reissue_claim_code are answered while the order waits (supportAnswers): an order that
 * stopped instead did not carry them out.
 */
function contradicts(action: ResolveRequest['action'], state: OrderWorkflowState): boolean {
  switch (action) {
    case 'mark_picked_up':
      return state !== 'picked_up';
    case 'reship':
      return state !== 'shipped';
    case 'extend_pickup':
    case 'reissue_claim_code':
      return true;
    default:
      return state === 'picked_up' || state === 'shipped' || state === 'credited';
  }
}

/** The query, the provider's and the locker's signals, and support's resolve Update. */
function handleMessages(order: OrderRun): void {
  setHandler(orderStatusQuery, () => ({ state: order.state }));
  // A decided dispute (won, lost) is never reopened by a late copy of an earlier event.
  setHandler(paymentDisputedSignal, (d) => {
    if (order.dispute && !isOpenDisputeStatus(order.dispute.status) && isOpenDisputeStatus(d.status)) return;
    order.dispute = d;
    order.disputeSeq += 1;
  });
  // Providers deliver at least once and in any order: the first event of a kind is kept, and
  // each is checked against the provider (or our own signature) before it moves the order.
  setHandler(paymentSucceededSignal, (p) => void (order.payment ??= p));
  setHandler(paymentFailedSignal, (p) => void (order.decline ??= p));
  setHandler(pickupCompletedSignal, (p) => {
    order.pickup ??= p;
    order.pickedUpReservations.add(p.reservationId);
  });
  setHandler(
    resolveOrderUpdate,
    async (request) => {
      order.supportRequest ??= request;
      // Answer once the main flow has acted on the request.
      await condition(
        () => order.finalForSupport() || (order.state === 'needs_support' && order.supportRequest === undefined) || order.supportAnswers.has(request),
      );
      if (order.supportAnswers.has(request)) {
        const refusal = order.supportAnswers.get(request);
        order.supportAnswers.delete(request);
        if (refusal) throw ApplicationFailure.nonRetryable(`${request.action} was not carried out: ${refusal}`, 'ActionNotApplied');
        return { state: order.state };
      }
      // A refund whose compensation failed (again) leaves the order waiting for support: say
      // so, rather than answer as if the refund had been done.
      if (request.action === 'refund' && order.state === 'needs_support' && patched('refund-outcome-told')) {
        throw ApplicationFailure.nonRetryable(
          "refund was not carried out: the compensation failed (see the order's compensation_failed exception); the order still waits for support",
          'ActionNotApplied',
        );
      }
      if (contradicts(request.action, order.state) && patched('pickup-explicit-steps')) {
        throw ApplicationFailure.nonRetryable(
          `${request.action} was not carried out: ${order.supportRefusal ?? `the order ended ${order.state}`}`,
          'ActionNotApplied',
        );
      }
      return { state: order.state };
    },
    {
      validator: (request) => {
        const refusal = resolveRefusal(order.state, request.action);
        if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'InvalidAction');
        const atLocker = pickupRequestRefusal(order, request);
        if (atLocker) throw ApplicationFailure.nonRetryable(atLocker, 'InvalidAction');
        if (request.action === 'close_without_refund' && order.refundBlockedBy === undefined) {
          throw ApplicationFailure.nonRetryable('close_without_refund only closes an order whose refund a dispute blocks', 'InvalidAction');
        }
        if (request.action === 'refund' && order.paymentStates && order.disputeOpen()) {
          const status = order.refundBlockedBy?.status ?? order.dispute?.status;
          throw ApplicationFailure.nonRetryable(
            `the payment is disputed (${status}): no refund until the dispute is decided; close_without_refund ends the order without one`,
            'PaymentDisputed',
          );
        }
      },
    },
  );
}
