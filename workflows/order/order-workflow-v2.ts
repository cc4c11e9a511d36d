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
  isOpenDisputeStatus,
  orderStatusQuery,
  paymentDisputedSignal,
  resolveRefusal,
  paymentFailedSignal,
  paymentSucceededSignal,
  pickupCompletedSignal,
  resolveOrderUpdate,
  type OrderWorkflowInput,
  type OrderWorkflowState,
  type PaymentDisputed,
  type PaymentFailed,
  type PaymentSucceeded,
  type PickupCompleted,
  type ResolveRequest,
} from '../definitions';
import { presets } from '../options';

const store = proxyActivities<Activities>(presets.database);
const provider = proxyActivities<Activities>(presets.provider);

const SUPPORT_SLA_MINUTES = 60;
/** Support answers a dispute within a day (the card network decides without us otherwise). */
const DISPUTE_SLA_MINUTES = 24 * 60;
/** A payment the bank is still deciding is looked at again this often if no webhook wakes us. */
const PROCESSING_RECHECK_MS = 15 * 60 * 1000;
/**
 * Every payment state the provider can report is handled (README, "The payment state machine"):
 * a decline inside the window is not final, a `processing` payment is waited for, a disputed
 * charge is never refunded by us, a released hold is asked for again, a free order skips payment.
 * Behind patch 'payment-states', decided once at the workflow's start.
 */

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
  // Decided once, before the first command: orders started before the patch keep the old flow.
  const paymentStates = patched('payment-states');
  let dispute: PaymentDisputed | undefined;
  let disputeSeq = 0;
  /** Set while a refund waits on an undecided dispute (the provider said so). */
  let refundBlockedBy: { disputeId: string | null; status: string } | undefined;
  /** Why a refund step ended without our refund: `dispute_lost` or closed by support. */
  let refundEndedBy: string | undefined;
  const disputeOpen = () => refundBlockedBy !== undefined || (dispute !== undefined && isOpenDisputeStatus(dispute.status));

  // ---- message handlers ----

  setHandler(orderStatusQuery, () => ({ state }));
  // A decided dispute (won, lost) is never reopened by a late copy of an earlier event.
  setHandler(paymentDisputedSignal, (d) => {
    if (dispute && !isOpenDisputeStatus(dispute.status) && isOpenDisputeStatus(d.status)) return;
    dispute = d;
    disputeSeq += 1;
  });
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
        if (request.action === 'close_without_refund' && refundBlockedBy === undefined) {
          throw ApplicationFailure.nonRetryable('close_without_refund only closes an order whose refund a dispute blocks', 'InvalidAction');
        }
        if (request.action === 'refund' && paymentStates && disputeOpen()) {
          const status = refundBlockedBy?.status ?? dispute?.status;
          throw ApplicationFailure.nonRetryable(
            `the payment is disputed (${status}): no refund until the dispute is decided; close_without_refund ends the order without one`,
            'PaymentDisputed',
          );
        }
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
  let lastDecline: PaymentFailed | undefined;
  /** True once the entrant's money is with us, so a failure must end in a refund. */
  let moneyTaken = false;
  const refund = async () => {
    if (!paymentStates) return void (await provider.refundPayment({ dropId, orderId, paymentIntentId, amountCents: input.amountCents }));
    await refundUnlessDisputed();
  };
  /** The final reason of a refunded order, unless a dispute decided where its money went. */
  const refundedReason = (reason: string) => refundEndedBy ?? reason;
  /** A dispute that is not decided in our favour: the money is not ours to turn into store credit. */
  const creditBlockedByDispute = () => dispute !== undefined && dispute.status !== 'won' && dispute.status !== 'warning_closed';

  try {
    // ---- payment: a pay window, or the hold placed at entry ----
    const paid =
      paymentStates && input.amountCents === 0
        ? await noPaymentNeeded()
        : input.paymentMode === 'authorize_at_entry'
          ? await captureHoldFromEntry()
          : await payWindow();
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
      return await finish('refunded', refundedReason(`refunded_by_support:${supportRequest.actor}`), { claimCode: null });
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
        // A free order has no money to turn into credit, and a disputed payment is not ours to
        // turn into credit: the unit goes back as under `refund` (a disputed refund waits).
        if (paymentStates && (input.amountCents === 0 || creditBlockedByDispute())) {
          await compensate();
          return await finish('refunded', refundedReason('pickup_expired'), { claimCode: null });
        }
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
        return await finish('refunded', refundedReason('pickup_expired'), { claimCode: null });
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
    return await finish('refunded', refundedReason(`refunded_by_support:${actor}`), { claimCode: null });
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
        // As in the older branch above: no money (a free order) or disputed money is not turned
        // into credit; the unit goes back as under `refund` (a disputed refund waits).
        if (paymentStates && (input.amountCents === 0 || creditBlockedByDispute())) {
          await compensate();
          return await finish('refunded', refundedReason('pickup_expired'), { claimCode: null });
        }
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
        return await finish('refunded', refundedReason('pickup_expired'), { claimCode: null });
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
        const { outcome } = paymentStates ? await cancelOrAwaitBank() : await provider.cancelPaymentIntent({ dropId, orderId, paymentIntentId });
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
    /** The last declined attempt: the window's end decides, the entrant may try another card. */
    lastDecline = undefined;
    while (!confirmed && !declined) {
      const remaining = payDeadline - Date.now();
      if (remaining <= 0 || !(await condition(() => payment !== undefined || decline !== undefined, remaining))) break;
      if (payment !== undefined) {
        // Believe the provider, not the message: confirm before moving on.
        confirmed = payment.paymentIntentId === paymentIntentId && (await provider.confirmPayment({ dropId, orderId, paymentIntentId })).paid;
        if (!confirmed) payment = undefined;
      } else if (paymentStates) {
        // Not final: the intent stays usable (as Stripe's does), another card may follow.
        if (decline!.paymentIntentId === paymentIntentId) lastDecline = decline;
        decline = undefined;
      } else {
        declined = decline!.paymentIntentId === paymentIntentId;
        if (!declined) decline = undefined;
      }
    }
    if (!confirmed && paymentStates) {
      // The window is over: close the intent, unless the bank is still deciding an attempt made
      // inside the window; then that attempt decides (paid, or declined).
      const { outcome, waited } = await cancelOrAwaitBank();
      if (outcome === 'already_paid' && waited) confirmed = (await provider.confirmPayment({ dropId, orderId, paymentIntentId })).paid;
    }
    if (!confirmed) {
      await compensate();
      // Paid after the window closed: refunded (by the void step), and the unit still moves on.
      if (paidLate) return await releaseToWaitlist('refunded', 'paid_after_window');
      if (paymentStates) {
        return lastDecline
          ? await releaseToWaitlist('declined', `payment_declined:${lastDecline.code}`)
          : await releaseToWaitlist('unpaid', 'payment_window_lapsed');
      }
      return declined ? await releaseToWaitlist('declined', `payment_declined:${decline!.code}`) : await releaseToWaitlist('unpaid', 'payment_window_lapsed');
    }
    moneyTaken = true;
    undos.pop();
    undos.push({ step: 'refund payment', run: refund });
    await moveTo('paid');
    return 'paid';
  }

  /**
   * Cancels the intent at the window's end. A payment the bank is still deciding (`processing`)
   * cannot be canceled: it is waited for, woken by its webhook or a look every 15 minutes.
   */
  async function cancelOrAwaitBank(): Promise<{ outcome: 'canceled' | 'already_paid'; waited: boolean }> {
    let waited = false;
    for (;;) {
      const { outcome } = await provider.cancelPaymentIntent({ dropId, orderId, paymentIntentId });
      if (outcome !== 'processing') return { outcome, waited };
      waited = true;
      await condition(() => payment !== undefined || decline !== undefined, PROCESSING_RECHECK_MS);
      if (decline?.paymentIntentId === paymentIntentId) lastDecline = decline;
      payment = undefined;
      decline = undefined;
    }
  }

  /**
   * Refunds, unless the charge is disputed: an undecided dispute blocks the refund (the order
   * waits in needs_support for the bank's decision or for support's close_without_refund); a
   * lost one returned the money already (a chargeback, posted once); a won one refunds.
   */
  async function refundUnlessDisputed(): Promise<void> {
    let escalated = false;
    for (;;) {
      const r = await provider.refundPayment({ dropId, orderId, paymentIntentId, amountCents: input.amountCents });
      if (r.outcome !== 'disputed') {
        if (r.outcome === 'charged_back') refundEndedBy = 'dispute_lost';
        refundBlockedBy = undefined;
        if (escalated) await store.resolveOrderExceptions({ orderId, resolution: refundEndedBy ?? 'refunded after the dispute was decided' });
        return;
      }
      refundBlockedBy = { disputeId: r.disputeId, status: r.disputeStatus };
      if (!escalated) {
        escalated = true;
        // The exception first: an order seen in needs_support always has its reason written.
        await store.openOrderException({
          dropId,
          orderId,
          kind: 'refund_blocked_by_dispute',
          detail: `refund of ${input.amountCents} on ${paymentIntentId} blocked by dispute ${r.disputeId ?? '(unknown id)'} (${r.disputeStatus}); it runs if the dispute is won, ends the order if lost; close_without_refund ends it now`,
          slaMinutes: DISPUTE_SLA_MINUTES,
        });
        await moveTo('needs_support');
        // Answer the request that led here (it now waits with support).
        supportRequest = undefined;
      }
      const seen = disputeSeq;
      await condition(() => disputeSeq !== seen || supportRequest?.action === 'close_without_refund');
      if (supportRequest?.action === 'close_without_refund') {
        refundEndedBy = `closed_without_refund:${supportRequest.actor}`;
        refundBlockedBy = undefined;
        await store.resolveOrderExceptions({ orderId, resolution: refundEndedBy });
        return;
      }
    }
  }

  /** A free order (priceCents 0): nothing to pay, no intent, no capture, the ledger untouched. */
  async function noPaymentNeeded(): Promise<'paid'> {
    await moveTo('paid');
    return 'paid';
  }

  /** authorize_at_entry: capture the winner's hold; without one the unit goes down the waitlist. */
  async function captureHoldFromEntry(): Promise<'paid' | OrderOutcome> {
    const held = await provider.captureAuthorizedPayment({ dropId, orderId, entryId: input.entryId });
    // The hold was released before capture (a card hold lasts 7 days): ask the entrant again.
    if (paymentStates && (held.outcome === 'hold_canceled' || held.outcome === 'capture_failed')) return payWindow();
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
        return await finish(moneyTaken ? 'refunded' : 'unpaid', refundedReason(`compensated_after_failure: ${cause}`));
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
