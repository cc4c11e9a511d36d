import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { OrderPatch } from '../../activities/order/order-activities';
import {
  FINAL_ORDER_STATES,
  ORDER_STATE,
  orderStatusQuery,
  resolveRefusal,
  paymentFailedSignal,
  paymentSucceededSignal,
  pickupCompletedSignal,
  resolveOrderUpdate,
  type OrderWorkflowInput,
  type OrderWorkflowState,
  type PaymentFailed,
  type PaymentSucceeded,
  type PickupCompleted,
  type ResolveRequest,
} from '../definitions';
import { presets } from '../options';

const store = proxyActivities<Activities>(presets.database);
const provider = proxyActivities<Activities>(presets.provider);

const SUPPORT_SLA_MINUTES = 60;

/**
 * The pickup phase's explicit steps (patch 'pickup-explicit-steps'): the order enters a named state (STEPS_UNDER_WAY) before a
 * missed-pickup policy or support's refund acts, asks the locker whether the compartment was
 * opened as it releases it (a unit that left is never put back), and the resolve Update never
 * answers with a state that contradicts the action it accepted.
 */
const MISSED_PICKUP_STEP = {
  refund: 'refunding_missed_pickup',
  reship: 'reshipping_missed_pickup',
  credit: 'crediting_missed_pickup',
} as const satisfies Record<OrderWorkflowInput['missedPickupPolicy'], OrderWorkflowState>;

/** True when the order's state contradicts the support action that was accepted. */
const contradicts = (action: ResolveRequest['action'], state: OrderWorkflowState) =>
  action === 'mark_picked_up' ? state !== 'picked_up' : state === 'picked_up' || state === 'shipped' || state === 'credited';

export interface OrderOutcome {
  orderId: string;
  state: OrderWorkflowState;
  reason: string;
}

/**
 * One winner's order (the only order workflow; v1 was never deployed and is gone):
 *
 *   pay window → (declined or lapsed: the unit goes to the next waitlisted entrant)
 *   → route to a node in the region with stock, else ship by carrier (second carrier as fallback)
 *   → pickup window with a signed claim code → picked up, or the drop's missed-pickup policy
 *     (refund, reship by carrier, or store credit plus a fallback offer), exactly once.
 *
 * Every step that succeeds registers its undo first; failures run the undos, newest first;
 * what cannot be undone becomes an exception for support, with an SLA.
 */
export async function orderWorkflowV2(input: OrderWorkflowInput): Promise<OrderOutcome> {
  const { orderId, dropId } = input;
  let state: OrderWorkflowState = 'created';
  let seq = 0;
  let payment: PaymentSucceeded | undefined;
  let decline: PaymentFailed | undefined;
  let pickup: PickupCompleted | undefined;
  let supportRequest: ResolveRequest | undefined;
  /** Why the accepted support action was not carried out (the Update answers it as a refusal). */
  let supportRefusal: string | undefined;

  // ---- message handlers ----

  setHandler(orderStatusQuery, () => ({ state }));
  // Providers deliver at least once and in any order: the first event of a kind is kept, and
  // each is checked against the provider (or our own signature) before it moves the order.
  setHandler(paymentSucceededSignal, (p) => void (payment ??= p));
  setHandler(paymentFailedSignal, (p) => void (decline ??= p));
  setHandler(pickupCompletedSignal, (p) => void (pickup ??= p));
  setHandler(
    resolveOrderUpdate,
    async (request) => {
      supportRequest ??= request;
      // Answer once the main flow has acted on the request.
      await condition(() => FINAL_ORDER_STATES.includes(state) || (state === 'needs_support' && supportRequest === undefined));
      if (contradicts(request.action, state) && patched('pickup-explicit-steps')) {
        throw ApplicationFailure.nonRetryable(`${request.action} was not carried out: ${supportRefusal ?? `the order ended ${state}`}`, 'ActionNotApplied');
      }
      return { state };
    },
    {
      validator: (request) => {
        const refusal = resolveRefusal(state, request.action);
        if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'InvalidAction');
      },
    },
  );

  // ---- saga plumbing ----

  const undos: Array<{ step: string; run: () => Promise<void> }> = [];
  /** Runs the newest undo now (a policy step, not a failure); it leaves the stack once done. */
  const undoLatest = async () => {
    await undos[undos.length - 1]!.run();
    undos.pop();
  };
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
  /** The unit was not paid for in time: it goes to the next entrant on the waitlist, in draw order. */
  const releaseToWaitlist = async (final: 'unpaid' | 'declined' | 'refunded', reason: string) => {
    // Promote before finishing, so the drop never sees every order final while a unit is in flight.
    await store.promoteNextEntrant({ dropId, replacesOrderId: orderId });
    return finish(final, reason);
  };

  let paymentIntentId = '';
  /** True once the entrant's money is with us, so a failure must end in a refund. */
  let moneyTaken = false;
  const refund = () => provider.refundPayment({ dropId, orderId, paymentIntentId, amountCents: input.amountCents }).then(() => undefined);

  try {
    // ---- payment: a pay window, or the hold placed at entry ----
    const paid = input.paymentMode === 'authorize_at_entry' ? await captureHoldFromEntry() : await payWindow();
    if (paid !== 'paid') return paid;

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
      compartmentReservationId: reservation.reservationId,
      pickupDeadline,
    });

    // The API checked the claim code's signature and expiry before signalling.
    const pickedUpHere = () => pickup !== undefined && pickup.reservationId === reservation.reservationId;
    await condition(() => pickedUpHere() || supportRequest !== undefined, input.pickupSeconds * 1000);
    if (pickedUpHere() || supportRequest?.action === 'mark_picked_up') {
      // The unit left the node: its stock stays taken and the payment stays captured.
      const reason = pickedUpHere() ? 'picked_up_at_locker' : `marked_picked_up_by_support:${supportRequest!.actor}`;
      return await finish('picked_up', reason, { claimCode: null });
    }
    if (supportRequest?.action === 'refund') {
      if (patched('pickup-explicit-steps')) return await refundForSupport(route.nodeId, reservation.reservationId, supportRequest.actor);
      await compensate();
      return await finish('refunded', `refunded_by_support:${supportRequest.actor}`, { claimCode: null });
    }

    // ---- missed pickup: the drop's published policy, once ----
    if (patched('pickup-explicit-steps')) return await missedPickupPolicy(route.nodeId, reservation.reservationId, pickedUpHere);
    switch (input.missedPickupPolicy) {
      case 'reship': {
        // The unit stays taken and the money stays captured; the compartment is freed.
        await undoLatest();
        const label = await provider.shipOrder({ orderId, nodeId: route.nodeId, region: input.region });
        return await finish('shipped', 'reshipped_after_missed_pickup', {
          claimCode: null,
          carrier: label.carrier,
          trackingNumber: label.trackingNumber,
          labelId: label.labelId,
        });
      }
      case 'credit': {
        // The unit goes back to its node; the money becomes store credit with a fallback offer.
        await undoLatest();
        await undoLatest();
        await store.issueStoreCredit({ dropId, orderId, amountCents: input.amountCents });
        return await finish('credited', 'credited_after_missed_pickup', {
          claimCode: null,
          creditCents: input.amountCents,
        });
      }
      default:
        await compensate();
        return await finish('refunded', 'pickup_expired', { claimCode: null });
    }
  } catch (err) {
    // Something a retry could not fix. Undo what we can; what we cannot goes to support.
    return await settleFailure(err);
  }

  /**
   * Frees the compartment and learns from the locker whether the entrant opened it first. True:
   * the unit left the node (its stock stays taken). Either way the compartment's undo is done.
   */
  async function releaseCompartmentAndCheck(nodeId: string, reservationId: string, pickedUpHere: () => boolean): Promise<boolean> {
    const { pickedUp } = await provider.releaseCompartmentUnlessPickedUp({ nodeId, reservationId });
    undos.pop();
    return pickedUp || pickedUpHere();
  }

  /** Support asked for a refund while the order waited at the locker (Update accepted then). */
  async function refundForSupport(nodeId: string, reservationId: string, actor: string): Promise<OrderOutcome> {
    await moveTo('refunding_by_support');
    if (await releaseCompartmentAndCheck(nodeId, reservationId, () => pickup?.reservationId === reservationId)) {
      // The entrant has the unit and we have the money: nothing to refund; support is told why.
      supportRefusal = 'the entrant opened the compartment before the refund began; nothing was refunded';
      return await finish('picked_up', 'picked_up_at_locker', { claimCode: null });
    }
    await compensate();
    return await finish('refunded', `refunded_by_support:${actor}`, { claimCode: null });
  }

  /** The window lapsed: the drop's published policy, once, in its own named state. */
  async function missedPickupPolicy(nodeId: string, reservationId: string, pickedUpHere: () => boolean): Promise<OrderOutcome> {
    await moveTo(MISSED_PICKUP_STEP[input.missedPickupPolicy]);
    // A pickup whose event is late (or lost) still counts: the locker is asked as it releases.
    if (await releaseCompartmentAndCheck(nodeId, reservationId, pickedUpHere)) {
      return await finish('picked_up', 'picked_up_at_locker', { claimCode: null });
    }
    switch (input.missedPickupPolicy) {
      case 'reship': {
        // The unit stays taken and the money stays captured.
        const label = await provider.shipOrder({ orderId, nodeId, region: input.region });
        return await finish('shipped', 'reshipped_after_missed_pickup', {
          claimCode: null,
          carrier: label.carrier,
          trackingNumber: label.trackingNumber,
          labelId: label.labelId,
        });
      }
      case 'credit': {
        // The unit goes back to its node; the money becomes store credit with a fallback offer.
        await undoLatest();
        await store.issueStoreCredit({ dropId, orderId, amountCents: input.amountCents });
        return await finish('credited', 'credited_after_missed_pickup', {
          claimCode: null,
          creditCents: input.amountCents,
        });
      }
      default:
        await compensate();
        return await finish('refunded', 'pickup_expired', { claimCode: null });
    }
  }

  /** pay_after_win: a pay link and a pay window; a decline or a lapse releases the unit. */
  async function payWindow(): Promise<'paid' | OrderOutcome> {
    const newIntent = () => provider.createPaymentIntent({ dropId, orderId, amountCents: input.amountCents, currency: input.currency });
    let paidLate = false;
    // Registered before the intent exists: an intent made by a request whose answer never came
    // back is still voided (asking again with the same key returns that intent).
    undos.push({
      step: 'void payment',
      run: async () => {
        if (!paymentIntentId) paymentIntentId = (await newIntent()).paymentIntentId;
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
    const intent = await newIntent();
    paymentIntentId = intent.paymentIntentId;
    const payDeadline = Date.now() + input.paymentSeconds * 1000;
    await moveTo('awaiting_payment', { paymentIntentId, payDeadline });

    let confirmed = false;
    let declined = false;
    while (!confirmed && !declined) {
      const remaining = payDeadline - Date.now();
      if (remaining <= 0 || !(await condition(() => payment !== undefined || decline !== undefined, remaining))) break;
      if (payment !== undefined) {
        // Believe the provider, not the message: confirm before moving on.
        confirmed = payment.paymentIntentId === paymentIntentId && (await provider.confirmPayment({ dropId, orderId, paymentIntentId })).paid;
        if (!confirmed) payment = undefined;
      } else {
        declined = decline!.paymentIntentId === paymentIntentId;
        if (!declined) decline = undefined;
      }
    }
    if (!confirmed) {
      await compensate();
      // Paid after the window closed: refunded (by the void step), and the unit still moves on.
      if (paidLate) return await releaseToWaitlist('refunded', 'paid_after_window');
      return declined ? await releaseToWaitlist('declined', `payment_declined:${decline!.code}`) : await releaseToWaitlist('unpaid', 'payment_window_lapsed');
    }
    moneyTaken = true;
    undos.pop();
    undos.push({ step: 'refund payment', run: refund });
    await moveTo('paid');
    return 'paid';
  }

  /** authorize_at_entry: capture the winner's hold; without one the unit goes down the waitlist. */
  async function captureHoldFromEntry(): Promise<'paid' | OrderOutcome> {
    const held = await provider.captureAuthorizedPayment({ dropId, orderId, entryId: input.entryId });
    if (held.outcome === 'not_authorized') return releaseToWaitlist('unpaid', 'not_authorized_at_entry');
    if (held.outcome === 'capture_failed') return releaseToWaitlist('declined', 'authorization_capture_failed');
    paymentIntentId = held.paymentIntentId!;
    moneyTaken = true;
    undos.push({ step: 'refund payment', run: refund });
    await moveTo('paid', { paymentIntentId });
    return 'paid';
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
