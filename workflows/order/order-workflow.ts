import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { OrderPatch } from '../../activities/order/order-activities';
import {
  FINAL_ORDER_STATES,
  ORDER_STATE,
  allowedResolveActions,
  orderStatusQuery,
  paymentSucceededSignal,
  pickupCompletedSignal,
  resolveOrderUpdate,
  type OrderWorkflowInput,
  type OrderWorkflowState,
  type PaymentSucceeded,
  type PickupCompleted,
  type ResolveRequest,
} from '../definitions';
import { presets } from '../options';

const store = proxyActivities<Activities>(presets.database);
const provider = proxyActivities<Activities>(presets.provider);

const SUPPORT_SLA_MINUTES = 60;

export interface OrderOutcome {
  orderId: string;
  state: OrderWorkflowState;
  reason: string;
}

/**
 * v1 — frozen: keeps running the orders started before orderWorkflowV2 landed, and replays
 * their histories. New orders start orderWorkflowV2; delete this once no v1 order runs.
 *
 * One winner's order: pay window → route to a node (or a carrier) → pickup window → picked up,
 * or compensated. Every step that succeeds registers its undo first; the published policy and
 * failures run the undos, newest first, exactly once.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderOutcome> {
  const { orderId, dropId } = input;
  let state: OrderWorkflowState = 'created';
  let seq = 0;
  let payment: PaymentSucceeded | undefined;
  let pickup: PickupCompleted | undefined;
  let supportRequest: ResolveRequest | undefined;

  // ---- message handlers ----

  setHandler(orderStatusQuery, () => ({ state }));
  // Providers deliver at least once: the first event wins, duplicates change nothing.
  setHandler(paymentSucceededSignal, (p) => void (payment ??= p));
  setHandler(pickupCompletedSignal, (p) => void (pickup ??= p));
  setHandler(
    resolveOrderUpdate,
    async (request) => {
      supportRequest ??= request;
      // Answer once the main flow has acted on the request.
      await condition(() => FINAL_ORDER_STATES.includes(state) || (state === 'needs_support' && supportRequest === undefined));
      return { state };
    },
    {
      validator: (request) => {
        // v1 knows no disputes: it cannot close an order without a refund.
        if (request.action === 'close_without_refund' || !allowedResolveActions(state).includes(request.action)) {
          throw ApplicationFailure.nonRetryable(`${request.action} is not allowed while the order is ${state}`, 'InvalidAction');
        }
      },
    },
  );

  // ---- saga plumbing ----

  const undos: Array<{ step: string; run: () => Promise<void> }> = [];
  const compensate = () =>
    CancellationScope.nonCancellable(async () => {
      while (undos.length > 0) {
        await undos[undos.length - 1]!.run();
        undos.pop();
      }
    });

  const moveTo = async (next: OrderWorkflowState, patch: OrderPatch = {}) => {
    state = next;
    seq += 1;
    upsertSearchAttributes([{ key: ORDER_STATE, value: next }]);
    await store.recordOrderState({ orderId, dropId, seq, state: next, patch });
  };
  const finish = async (final: OrderWorkflowState, reason: string, patch: OrderPatch = {}) => {
    await moveTo(final, { ...patch, finalReason: reason });
    await condition(allHandlersFinished);
    return { orderId, state: final, reason };
  };

  let paymentIntentId = '';
  /** True once the entrant's money is with us, so a failure must end in a refund. */
  let moneyTaken = false;
  const refund = () => provider.refundPayment({ dropId, orderId, paymentIntentId, amountCents: input.amountCents }).then(() => undefined);

  try {
    // ---- payment window ----
    const intent = await provider.createPaymentIntent({ dropId, orderId, amountCents: input.amountCents, currency: input.currency });
    paymentIntentId = intent.paymentIntentId;
    let paidLate = false;
    undos.push({
      step: 'void payment',
      run: async () => {
        const { outcome } = await provider.cancelPaymentIntent({ dropId, orderId, paymentIntentId });
        // Paid in the last moment: we took money we will not use, so give it back.
        if (outcome === 'already_paid') {
          await provider.confirmPayment({ dropId, orderId, paymentIntentId });
          moneyTaken = true;
          await refund();
          paidLate = true;
        }
      },
    });
    const payDeadline = Date.now() + input.paymentSeconds * 1000;
    await moveTo('awaiting_payment', { paymentIntentId, payLink: intent.payLink, payDeadline });

    let paid = false;
    while (!paid) {
      const remaining = payDeadline - Date.now();
      if (remaining <= 0 || !(await condition(() => payment !== undefined, remaining))) break;
      // Believe the provider, not the message: confirm before moving on.
      paid = payment!.paymentIntentId === paymentIntentId && (await provider.confirmPayment({ dropId, orderId, paymentIntentId })).paid;
      if (!paid) payment = undefined;
    }
    if (!paid) {
      await compensate();
      return paidLate ? await finish('refunded', 'paid_after_window') : await finish('unpaid', 'payment_window_lapsed');
    }
    moneyTaken = true;
    undos.pop();
    undos.push({ step: 'refund payment', run: refund });
    await moveTo('paid');

    // ---- node routing ----
    const route = await provider.routeOrder({ orderId });
    undos.push({ step: 'release stock', run: () => store.releaseOrderStock({ orderId }) });

    if (route.fulfillment === 'ship') {
      const label = await provider.shipOrder({ orderId, nodeId: route.nodeId, region: input.region });
      return await finish('shipped', 'shipped_by_carrier', {
        nodeId: route.nodeId,
        carrier: label.carrier,
        trackingNumber: label.trackingNumber,
        labelId: label.labelId,
      });
    }

    // ---- pickup window ----
    const pickupDeadline = Date.now() + input.pickupSeconds * 1000;
    const reservation = await provider.reserveCompartment({ dropId, orderId, nodeId: route.nodeId, expiresAt: pickupDeadline });
    undos.push({
      step: 'release compartment',
      run: () => provider.releaseCompartment({ nodeId: route.nodeId, reservationId: reservation.reservationId }),
    });
    await moveTo('awaiting_pickup', {
      nodeId: route.nodeId,
      claimCode: reservation.claimCode,
      compartmentReservationId: reservation.reservationId,
      pickupDeadline,
    });

    const pickedUpHere = () => pickup !== undefined && pickup.reservationId === reservation.reservationId;
    await condition(() => pickedUpHere() || supportRequest !== undefined, input.pickupSeconds * 1000);
    if (pickedUpHere() || supportRequest?.action === 'mark_picked_up') {
      // The unit left the node: its stock stays taken and the payment stays captured.
      const reason = pickedUpHere() ? 'picked_up_at_locker' : `marked_picked_up_by_support:${supportRequest!.actor}`;
      return await finish('picked_up', reason, { claimCode: null });
    }

    // Missed pickup (or support asked for a refund): the published policy is a refund.
    const reason = supportRequest?.action === 'refund' ? `refunded_by_support:${supportRequest.actor}` : 'pickup_expired';
    await compensate();
    return await finish('refunded', reason, { claimCode: null });
  } catch (err) {
    // Something a retry could not fix. Undo what we can; what we cannot goes to support.
    return await settleFailure(err);
  }

  async function settleFailure(err: unknown): Promise<OrderOutcome> {
    const cause = err instanceof Error ? err.message : String(err);
    let escalated = false;
    for (;;) {
      try {
        await compensate();
        if (escalated) await store.resolveOrderExceptions({ orderId, resolution: `compensated after support retry` });
        return await finish(moneyTaken ? 'refunded' : 'unpaid', `compensated_after_failure: ${cause}`);
      } catch (compensationError) {
        if (!escalated) {
          escalated = true;
          const step = undos[undos.length - 1]?.step ?? 'unknown step';
          await moveTo('needs_support');
          await store.openOrderException({
            dropId,
            orderId,
            kind: 'compensation_failed',
            detail: `${step} failed (${String(compensationError)}) after: ${cause}`,
            slaMinutes: SUPPORT_SLA_MINUTES,
          });
        }
        // Answer the request that asked for this try, then wait for support's next one.
        supportRequest = undefined;
        await condition(() => supportRequest !== undefined);
      }
    }
  }
}
