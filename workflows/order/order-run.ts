import { allHandlersFinished, condition, patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { OrderPatch } from '../../activities/order/order-activities';
import {
  FINAL_ORDER_STATES,
  ORDER_STATE,
  isOpenDisputeStatus,
  type OrderWorkflowInput,
  type OrderWorkflowState,
  type DropCancelled,
  type PaymentDisputed,
  type PaymentFailed,
  type PaymentSucceeded,
  type PickupCompleted,
  type ResolveRequest,
} from '../definitions';
import { presets } from '../options';
import { Saga } from './saga';

const { recordOrderState, promoteNextEntrant } = proxyActivities<Activities>(presets.database);

export interface OrderOutcome {
  orderId: string;
  state: OrderWorkflowState;
  reason: string;
}

/**
 * One order's state: where it is, the messages it received (the workflow's handlers write them,
 * the phases read them), what the payment phase learned, and the saga's undo stack. The phases
 * take it as their first argument, so the flow reads as one function over one object.
 */
export class OrderRun {
  state: OrderWorkflowState = 'created';
  /** The last state the order row has been written with (moveTo's write answered). */
  recordedState: OrderWorkflowState = 'created';
  /** Each recorded state's number: the database ignores a write older than the one it holds. */
  private seq = 0;
  readonly saga = new Saga();
  /**
   * Every payment state the provider can report is handled (README, "The payment state machine"):
   * a decline inside the window is not final, a `processing` payment is waited for, a disputed
   * charge is never refunded by us, a released hold is asked for again, a free order skips
   * payment. Patch 'payment-states', decided once, before the first command (in the
   * constructor): orders started before the patch keep the old flow.
   */
  readonly paymentStates: boolean;

  // ---- messages (providers deliver at least once and in any order: the first of a kind is kept) ----
  payment: PaymentSucceeded | undefined;
  decline: PaymentFailed | undefined;
  pickup: PickupCompleted | undefined;
  /** The support action accepted by the resolve Update; cleared once the order answered it. */
  supportRequest: ResolveRequest | undefined;
  /** Why the accepted support action was not carried out (the Update answers it as a refusal). */
  supportRefusal: string | undefined;
  /**
   * Requests answered while the order went on (retry_payment, extend_pickup, reissue_claim_code):
   * null if done, else why not. The Update's handler takes its answer from here.
   */
  readonly supportAnswers = new Map<ResolveRequest, string | null>();
  /** Every reservation the locker reported opened (pickup signals), however many came. */
  readonly pickedUpReservations = new Set<string>();
  dispute: PaymentDisputed | undefined;
  /** Counts dispute events, so a wait wakes on each one. */
  disputeSeq = 0;
  /** Ops cancelled the drop (the first dropCancelled Update; later ones only wait for its end). */
  dropCancel: DropCancelled | undefined;
  /** The cancellation the order is carrying out (cancel.ts); a failure's compensation ends it `cancelled` too. */
  cancelling: { reason: string; promote: boolean } | undefined;
  /** True once a compensation failed for good: the order waits in needs_support (saga.ts). */
  compensationFailed = false;

  // ---- payment ----
  paymentIntentId = '';
  /** The last declined attempt of the pay window: the window's end decides, another card may follow. */
  lastDecline: PaymentFailed | undefined;
  /** True once the entrant's money is with us, so a failure must end in a refund. */
  moneyTaken = false;
  /** Set while a refund waits on an undecided dispute (the provider said so). */
  refundBlockedBy: { disputeId: string | null; status: string } | undefined;
  /** Why a refund step ended without our refund: `dispute_lost` or closed by support. */
  refundEndedBy: string | undefined;
  /** Which of the order's payment intents is current: 1, then one more per retry_payment. */
  paymentAttempt = 1;
  /** Cents returned by support's partial refunds so far; the full refund returns the rest. */
  refundedCents = 0;
  /** Support's partial refunds so far (each has its own key). */
  partialRefunds = 0;
  /** True while a partial refund is at the provider: the full refund waits for it, to refund only what is left. */
  partialRefundUnderWay = false;
  /** A partial refund the provider did not answer: the next refund completes it first (partial-refund.ts). */
  partInDoubt: { part: number; amountCents: number } | undefined;

  // ---- pickup ----
  /**
   * Patch 'pickup-support-actions', decided as the pickup phase begins: support's pickup actions
   * in a loop (pickup.ts). False for orders whose pickup window began before it.
   */
  pickupSupportActions = false;
  /** The current pickup window's end (ms since the epoch). */
  pickupDeadline = 0;

  constructor(readonly input: OrderWorkflowInput) {
    this.paymentStates = patched('payment-states');
  }

  /** What is left of the payment to refund, in cents. */
  refundableCents(): number {
    return this.input.amountCents - this.refundedCents;
  }

  /**
   * Answers the accepted support request while the order goes on: done (null), or why not
   * (`refusal`, a 409); the next request may come.
   */
  answerSupportRequest(refusal: string | null = null): void {
    if (this.supportRequest) this.supportAnswers.set(this.supportRequest, refusal);
    this.supportRequest = undefined;
  }

  disputeOpen(): boolean {
    return this.refundBlockedBy !== undefined || (this.dispute !== undefined && isOpenDisputeStatus(this.dispute.status));
  }

  /** A dispute that is not decided in our favour: the money is not ours to turn into store credit. */
  creditBlockedByDispute(): boolean {
    return this.dispute !== undefined && this.dispute.status !== 'won' && this.dispute.status !== 'warning_closed';
  }

  /** The final reason of a refunded order, unless a dispute decided where its money went. */
  refundedReason(reason: string): string {
    return this.refundEndedBy ?? reason;
  }

  /** Records the next state (search attribute and database row, numbered). */
  async moveTo(next: OrderWorkflowState, patch: OrderPatch = {}): Promise<void> {
    const { orderId, dropId } = this.input;
    this.state = next;
    this.seq += 1;
    upsertSearchAttributes([{ key: ORDER_STATE, value: next }]);
    await recordOrderState({ orderId, dropId, seq: this.seq, state: next, patch });
    this.recordedState = next;
  }

  /**
   * Final, as far as support's Update may tell: for orders in the pickup loop (patch
   * 'pickup-support-actions') once the final state is written to the order row; before it, as
   * soon as the workflow reached it (their recorded histories answered then).
   */
  finalForSupport(): boolean {
    return FINAL_ORDER_STATES.includes(this.state) && (!this.pickupSupportActions || this.recordedState === this.state);
  }

  /** Records a final state with its reason; returns once every message handler has answered. */
  async finish(final: OrderWorkflowState, reason: string, patch: OrderPatch = {}): Promise<OrderOutcome> {
    await this.moveTo(final, { ...patch, finalReason: reason });
    await condition(allHandlersFinished);
    return { orderId: this.input.orderId, state: final, reason };
  }

  /** The unit goes to the next entrant on the waitlist, in draw order (once per order, whatever the retries). */
  async promoteNext(): Promise<void> {
    await promoteNextEntrant({ dropId: this.input.dropId, replacesOrderId: this.input.orderId });
  }

  /** The unit was not paid for in time: it goes to the next entrant on the waitlist, in draw order. */
  async releaseToWaitlist(final: 'unpaid' | 'declined' | 'refunded', reason: string): Promise<OrderOutcome> {
    // Promote before finishing, so the drop never sees every order final while a unit is in flight.
    // A cancelled drop promotes nobody.
    if (this.dropCancel) return this.finish(final, reason);
    await this.promoteNext();
    return this.finish(final, reason);
  }
}
