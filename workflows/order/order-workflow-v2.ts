import { ApplicationFailure, condition, patched, setHandler } from '@temporalio/workflow';
import {
  FINAL_ORDER_STATES,
  STEPS_UNDER_WAY,
  dropCancelledUpdate,
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
  type ResolveAction,
  type ResolveRequest,
} from '../definitions';
import { cancelIfAsked } from './cancel';
import { OrderRun, type OrderOutcome } from './order-run';
import { isPartialRefund, partialRefundRefusal, refundPart } from './partial-refund';
import { takePayment } from './payment';
import { pickupPhase } from './pickup';
import { pickupRequestRefusal } from './pickup-support';
import { routeToNode, shipByCarrier } from './routing';
import { REFUND_STEP, settleFailure } from './saga';

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
    // A cancellation accepted while awaiting payment (the entrant paid meanwhile: refunded), or
    // the drop's, is carried out between steps.
    const cancelledPaid = await cancelIfAsked(order);
    if (cancelledPaid) return cancelledPaid;
    const route = await routeToNode(order);
    const cancelledRouted = await cancelIfAsked(order);
    if (cancelledRouted) return cancelledRouted;
    if (route.fulfillment === 'ship') return await shipByCarrier(order, route.nodeId, 'shipped_by_carrier', { nodeId: route.nodeId });
    return await pickupPhase(order, route.nodeId);
  } catch (err) {
    // Something a retry could not fix. Undo what we can; what we cannot goes to support.
    return await settleFailure(order, err);
  }
}

/** The actions whose answers predate support-actions-v2 (`contradicts` below); the others answer `supportRefusal`. */
const FIRST_ACTIONS: readonly ResolveAction[] = ['mark_picked_up', 'refund', 'close_without_refund'];

/** A final state in which a later action was not carried out (its own reason, if the flow gave one, comes first). */
const notCarriedOut = (action: ResolveAction, state: OrderWorkflowState): string | undefined => {
  if (!FINAL_ORDER_STATES.includes(state)) return undefined;
  switch (action) {
    case 'cancel_order':
      return state === 'cancelled' ? undefined : `the order ended ${state}`;
    case 'reship':
      return state === 'shipped' ? undefined : `the order ended ${state}`;
    // Answered while the order waits (supportAnswers): an order that stopped instead did not carry them out.
    case 'retry_payment':
    case 'extend_pickup':
    case 'reissue_claim_code':
      return `the order ended ${state}`;
    default:
      return undefined;
  }
};

/** States in which the drop's cancellation waits for the flow (a step under way, or support) rather than ask for it. */
const waitsForTheFlow = (state: OrderWorkflowState) => state === 'needs_support' || STEPS_UNDER_WAY[state] !== undefined;

/** True when the order's state contradicts the support action that was accepted. */
const contradicts = (action: ResolveRequest['action'], state: OrderWorkflowState) =>
  action === 'mark_picked_up' ? state !== 'picked_up' : state === 'picked_up' || state === 'shipped' || state === 'credited';

/** The query, the provider's and the locker's signals, support's resolve Update and the drop's cancellation. */
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
      // A partial refund is carried out here; the order goes on where it is.
      if (isPartialRefund(order, request) && patched('support-actions-v2')) {
        await refundPart(order, request.amountCents);
        return { state: order.state };
      }
      if (order.supportRequest === undefined) order.supportRefusal = undefined;
      order.supportRequest ??= request;
      const accepted = order.supportRequest!;
      // Answer once the main flow has acted on the request: it ended the order (for orders in
      // the pickup loop, once the final state is written to the row: finalForSupport), or
      // answered and cleared the request (order.answerSupportRequest; settleFailure after a failed try).
      await condition(() => order.finalForSupport() || order.supportRequest !== accepted);
      const { action } = request;
      if (order.supportAnswers.has(accepted)) {
        const answer = order.supportAnswers.get(accepted);
        order.supportAnswers.delete(accepted);
        if (answer) throw ApplicationFailure.nonRetryable(`${action} was not carried out: ${answer}`, 'ActionNotApplied');
        return { state: order.state };
      }
      // A refund (retry_compensation) whose compensation failed (again) leaves the order waiting
      // for support: say so, rather than answer as if the refund had been done.
      if ((action === 'refund' || action === 'retry_compensation') && order.state === 'needs_support' && patched('refund-outcome-told')) {
        throw ApplicationFailure.nonRetryable(
          `${action} was not carried out: the compensation failed (see the order's compensation_failed exception); the order still waits for support`,
          'ActionNotApplied',
        );
      }
      if (!FIRST_ACTIONS.includes(action)) {
        if (action === 'cancel_order' && order.state === 'needs_support') {
          throw ApplicationFailure.nonRetryable(
            "cancel_order is not finished: an undo failed (see the order's exception); the order waits for support and ends cancelled once it is resolved",
            'ActionNotApplied',
          );
        }
        const refusal = order.supportRefusal ?? notCarriedOut(action, order.state);
        if (refusal) throw ApplicationFailure.nonRetryable(`${action} was not carried out: ${refusal}`, 'ActionNotApplied');
        return { state: order.state };
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
        // After the drop's cancellation only support's needs_support actions are left: the order
        // waits for them (a failed undo, a dispute) before it can end cancelled.
        if (order.dropCancel && order.state !== 'needs_support') {
          throw ApplicationFailure.nonRetryable('the drop was cancelled: the order is being cancelled', 'InvalidAction');
        }
        const pending = order.supportRequest;
        // The same action again joins the first only when it asks the same (a different window or amount is refused).
        const sameAsPending =
          pending !== undefined && pending.action === request.action && pending.seconds === request.seconds && pending.amountCents === request.amountCents;
        if (pending && !sameAsPending) {
          throw ApplicationFailure.nonRetryable(
            `another support action is being carried out (${pending.action}); ask again once it is answered`,
            'InvalidAction',
          );
        }
        const atLocker = pickupRequestRefusal(order, request);
        if (atLocker) throw ApplicationFailure.nonRetryable(atLocker, 'InvalidAction');
        const amountRefusal = partialRefundRefusal(order, request);
        if (amountRefusal) throw ApplicationFailure.nonRetryable(amountRefusal, 'InvalidAction');
        if (request.action === 'retry_payment' && order.lastDecline === undefined) {
          throw ApplicationFailure.nonRetryable('retry_payment needs a declined attempt: no payment on the current pay link was declined', 'InvalidAction');
        }
        // A failed refund undo that support says a chargeback made unnecessary (saga.ts).
        const refundUndoFailed = order.state === 'needs_support' && order.compensationFailed && order.saga.latestStep() === REFUND_STEP;
        if (request.action === 'close_without_refund' && order.refundBlockedBy === undefined && !refundUndoFailed) {
          throw ApplicationFailure.nonRetryable(
            'close_without_refund only closes an order whose refund a dispute blocks, or whose failing undo is the refund (the money went back another way)',
            'InvalidAction',
          );
        }
        const movesMoney = request.action === 'refund' || request.action === 'retry_compensation' || request.action === 'cancel_order';
        if (movesMoney && order.paymentStates && order.disputeOpen()) {
          const status = order.refundBlockedBy?.status ?? order.dispute?.status;
          throw ApplicationFailure.nonRetryable(
            `the payment is disputed (${status}): no refund until the dispute is decided; close_without_refund ends the order without one`,
            'PaymentDisputed',
          );
        }
      },
    },
  );
  // The drop was cancelled: undo everything, return any money once, promote nobody, end
  // `cancelled` (cancel.ts). The first Update asks for it (handed to the phase's wait as a
  // cancel_order once no other support action is being carried out; between steps the flow
  // sees it itself); a step under way finishes first, and a final state it reaches stays. Every
  // copy answers the state once the order is final, or in needs_support: an order waiting for
  // support stays with support and ends `cancelled` once support resolves it.
  const settled = () => FINAL_ORDER_STATES.includes(order.state) || order.state === 'needs_support';
  setHandler(
    dropCancelledUpdate,
    async (cancel) => {
      if (!order.dropCancel) {
        order.dropCancel = cancel;
        await condition(() => settled() || order.supportRequest === undefined);
        if (!settled() && !waitsForTheFlow(order.state)) {
          order.supportRefusal = undefined;
          order.supportRequest = { action: 'cancel_order', actor: cancel.staffId, staffId: cancel.staffId, reasonCode: cancel.reasonCode };
        }
      }
      await condition(settled);
      return { state: order.state };
    },
    {
      validator: (_cancel) => {
        if (FINAL_ORDER_STATES.includes(order.state)) throw ApplicationFailure.nonRetryable(`the order is already settled (${order.state})`, 'InvalidAction');
      },
    },
  );
}
