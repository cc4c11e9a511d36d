/**
 * Messages and shapes shared by the workflows, the activities and the API.
 * Workflow-safe: imports only @temporalio/workflow, @temporalio/common and pure domain modules.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
// Pure domain modules (no imports of their own), bundled into the workflows.
import { FINAL_ORDER_STATES, type OrderState } from '../src/domain/order/order-states';
import { MISSED_PICKUP_POLICIES, PAYMENT_MODES, type MissedPickupPolicy, type PaymentMode } from '../src/domain/drop/policies';
import type { DropWorkflowPhase } from '../src/domain/drop/phases';
import { isDisputeOpen } from '../src/domain/payment/disputes';
import type { ReasonCode } from '../src/domain/staff/staff';

// ---- ids ------------------------------------------------------------------------------------

export const dropWorkflowId = (dropId: string): string => `drop:${dropId}`;
export const orderWorkflowId = (dropId: string, entryId: string): string => `order:${dropId}:${entryId}`;
export const orderIdFor = (entryId: string): string => `ord_${entryId}`;
/** The order workflow's type (the only one; its name keeps the V2 its recorded histories carry). */
export const ORDER_WORKFLOW_TYPE = 'orderWorkflowV2';

// ---- search attributes (registered on the dev server by the project) -------------------------

export const DROP_ID = defineSearchAttributeKey('DropId', SearchAttributeType.KEYWORD);
export const DROP_PHASE = defineSearchAttributeKey('DropPhase', SearchAttributeType.KEYWORD);
export const ORDER_STATE = defineSearchAttributeKey('OrderState', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTES = ['DropId', 'DropPhase', 'OrderState'] as const;

// ---- drop -------------------------------------------------------------------------------------

export interface DropWindows {
  registrationSeconds: number;
  paymentSeconds: number;
  pickupSeconds: number;
  postMortemDelaySeconds: number;
}

/** The payment modes and missed-pickup policies: defined once, in the domain (pure, workflow-safe). */
export { MISSED_PICKUP_POLICIES, PAYMENT_MODES, type MissedPickupPolicy, type PaymentMode };

export interface DropWorkflowInput {
  dropId: string;
  windows: DropWindows;
  missedPickupPolicy: MissedPickupPolicy;
  /**
   * A scheduled launch (absent: announce at once, registration opens at announce): epoch ms of the
   * announce (commitment published) and of registration's opening (its window counts from there).
   */
  schedule?: { announceAt: number; registrationOpensAt: number };
  /** Set by continue-as-new: the phase to resume in, and what was learned before it. */
  resumeAt?: 'settling';
  winners?: number;
  /** Set by continue-as-new after ops cancelled the drop while it was settling. */
  cancelled?: StaffRequest;
}

/**
 * Who asked for an ops action and why, as the drop's history records it: the staff id and a
 * reason code only (the free-text reason and names stay in the audit log). Absent in Updates
 * recorded before the audit log.
 */
export interface StaffRequest {
  staffId: string;
  reasonCode?: ReasonCode;
}

/** The drop workflow's phases: defined once, in the domain, with the row's. */
export type { DropWorkflowPhase };

export interface DropStatus {
  phase: DropWorkflowPhase;
  registrationClosesAt: number | null;
}

export interface DropOutcome {
  dropId: string;
  winners: number;
  reportWritten: boolean;
}

/** The node restocked and who was promoted for the new units (none before the draw). */
export interface RestockOutcome {
  nodeId: string;
  units: number;
  /** Entry ids promoted from the waitlist, in draw order (fewer than `units` when it ran out). */
  promotedEntryIds: string[];
}

/** The ops controls' Updates carry who and why (StaffRequest); optional for histories recorded before they did. */
export const closeRegistrationUpdate = defineUpdate<DropStatus, [StaffRequest | undefined]>('closeRegistration');
export const pauseRegistrationUpdate = defineUpdate<DropStatus, [StaffRequest | undefined]>('pauseRegistration');
export const resumeRegistrationUpdate = defineUpdate<DropStatus, [StaffRequest | undefined]>('resumeRegistration');
export const extendRegistrationUpdate = defineUpdate<DropStatus, [{ seconds: number } & Partial<StaffRequest>]>('extendRegistration');
/**
 * Ops cancel the drop. Before the draw: registration stops, holds are voided, no draw, the report
 * says cancelled. After it: every open order is sent `dropCancelledUpdate`, nobody is promoted, the
 * drop waits for every order to be final. Refused while the draw runs and once orders all settled.
 */
export const cancelDropUpdate = defineUpdate<DropStatus, [StaffRequest & { reasonCode: ReasonCode }]>('cancelDrop');
/**
 * Ops add `units` to a node: before the draw, stock only; while settling, also that many next
 * waitlisted entrants promoted in draw order. `restockId` (fresh for each API call) makes the activity's retry add nothing twice.
 */
export const restockNodeUpdate = defineUpdate<RestockOutcome, [StaffRequest & { restockId: string; nodeId: string; units: number }]>('restockNode');
/** Ops change the pay or pickup window of orders that have not entered that phase yet (seconds). */
export const changeOrderWindowsUpdate = defineUpdate<DropStatus, [StaffRequest & { paymentSeconds?: number; pickupSeconds?: number }]>('changeOrderWindows');
export const dropStatusQuery = defineQuery<DropStatus>('dropStatus');

// ---- order ------------------------------------------------------------------------------------

export interface OrderWorkflowInput {
  orderId: string;
  dropId: string;
  entryId: string;
  region: string;
  amountCents: number;
  currency: string;
  paymentSeconds: number;
  pickupSeconds: number;
  missedPickupPolicy: MissedPickupPolicy;
  /** Set when this order took the unit of an order that lapsed or was declined. */
  promotedFromOrderId?: string;
  /** Absent on orders started before payment modes: pay_after_win. */
  paymentMode?: PaymentMode;
}

/** The order's states and its final ones: defined once, in the domain (pure, workflow-safe). */
export type OrderWorkflowState = OrderState;
export { FINAL_ORDER_STATES };

export interface PaymentSucceeded {
  paymentIntentId: string;
  eventId: string;
}

export interface PaymentFailed {
  paymentIntentId: string;
  eventId: string;
  code: string;
}

/**
 * The cardholder disputed the charge (`charge.dispute.created`), or the dispute moved on
 * (`charge.dispute.updated`, `charge.dispute.closed`). Statuses as Stripe names them.
 */
export interface PaymentDisputed {
  paymentIntentId: string;
  disputeId: string;
  status: string;
  eventId: string;
}

/** A dispute the bank has not decided yet: our refund must wait (defined once, in the domain). */
export const isOpenDisputeStatus = isDisputeOpen;

export interface PickupCompleted {
  nodeId: string;
  reservationId: string;
  eventId: string;
}

/**
 * Support's resolve actions (README, "Support actions", has each one's allowed states):
 * - `retry_payment`: a fresh pay link and pay window for an order whose payment was declined
 *   while its unit is still held (awaiting_payment with a declined attempt);
 * - `refund`: full (the order ends `refunded`, its unit released) or partial (`amountCents` ≤
 *   captured − refunded; the order goes on) while awaiting pickup; in needs_support, the name
 *   orders started before `retry_compensation` used for it (kept for their histories);
 * - `reship`: the unit leaves by carrier instead of the locker (ends `shipped`);
 * - `extend_pickup`: a new pickup deadline (`pickupSeconds` from now) and a new claim code;
 * - `reissue_claim_code`: a new claim code, same deadline; the old code stops working;
 * - `mark_picked_up`: handed over by hand: ends `picked_up`, frees the compartment, revokes the code;
 * - `cancel_order`: every step undone, money returned, the unit goes to the next waitlisted entrant;
 * - `close_without_refund`: ends an order whose refund a dispute blocks (the bank decides the money);
 * - `retry_compensation`: tries the failed undo steps of an order in needs_support again.
 */
export const RESOLVE_ACTIONS = [
  'retry_payment',
  'refund',
  'reship',
  'extend_pickup',
  'reissue_claim_code',
  'mark_picked_up',
  'cancel_order',
  'close_without_refund',
  'retry_compensation',
] as const;
export type ResolveAction = (typeof RESOLVE_ACTIONS)[number];

/**
 * Support's request, as the order's history records it: who (the staff id, also in `actor` for
 * the final reasons recorded before staff ids) and why (a reason code). The free-text reason and
 * the staff member's name stay in the audit log, out of history. `note` was sent by orders
 * started before the audit log and is never sent now.
 */
export interface ResolveRequest {
  action: ResolveAction;
  actor: string;
  staffId?: string;
  reasonCode?: ReasonCode;
  note?: string;
  /** `refund`: a partial refund of this many cents (absent: the whole remaining amount). */
  amountCents?: number;
  /** `extend_pickup`: the new pickup window, in seconds from now; `retry_payment`: the new pay window. */
  seconds?: number;
}

/**
 * Ops cancelled the drop: the order undoes every step and returns any money exactly once, ends
 * `cancelled`, and promotes nobody. Who and why, as in ResolveRequest.
 */
export interface DropCancelled {
  staffId: string;
  reasonCode: ReasonCode;
}

export interface OrderStatus {
  state: OrderWorkflowState;
}

export const paymentSucceededSignal = defineSignal<[PaymentSucceeded]>('paymentSucceeded');
export const paymentFailedSignal = defineSignal<[PaymentFailed]>('paymentFailed');
export const pickupCompletedSignal = defineSignal<[PickupCompleted]>('pickupCompleted');
export const paymentDisputedSignal = defineSignal<[PaymentDisputed]>('paymentDisputed');
export const resolveOrderUpdate = defineUpdate<OrderStatus, [ResolveRequest]>('resolveOrder');
export const dropCancelledUpdate = defineUpdate<OrderStatus, [DropCancelled]>('dropCancelled');
export const orderStatusQuery = defineQuery<OrderStatus>('orderStatus');

/**
 * The states in which the order is carrying out a step it has committed to, and what that step
 * is: entered before the step's first call, so a support action racing it is refused by name.
 */
export const STEPS_UNDER_WAY: Partial<Record<OrderWorkflowState, string>> = {
  refunding_by_support: "support's refund is under way",
  reshipping_by_support: "support's reship is under way",
  refunding_missed_pickup: 'the missed-pickup refund is under way',
  reshipping_missed_pickup: 'the missed-pickup reship is under way',
  crediting_missed_pickup: 'the missed-pickup store credit is under way',
  cancelling: "the order's cancellation is under way",
};

/** Why a support action is refused in a state (null: allowed); the validator and the API say the same. */
export function resolveRefusal(state: OrderWorkflowState, action: ResolveAction): string | null {
  if (allowedResolveActions(state).includes(action)) return null;
  const step = STEPS_UNDER_WAY[state];
  return `${action} is not allowed while the order is ${state}${step ? `: ${step}` : ''}`;
}

/**
 * Which support actions each state allows; the Update validator and the API share it (the
 * validator adds checks only the workflow can make, e.g. that a payment was declined).
 */
export function allowedResolveActions(state: OrderWorkflowState): readonly ResolveAction[] {
  switch (state) {
    case 'awaiting_payment':
      return ['retry_payment', 'cancel_order'];
    case 'awaiting_pickup':
      return ['refund', 'reship', 'extend_pickup', 'reissue_claim_code', 'mark_picked_up', 'cancel_order'];
    case 'needs_support':
      // `refund` here is retry_compensation's former name; close_without_refund only when a
      // dispute blocks the refund (the workflow's validator says).
      return ['retry_compensation', 'refund', 'close_without_refund'];
    default:
      return [];
  }
}

// ---- support: SLA escalation ----------------------------------------------------------------------

/** One escalation workflow per task queue (so stacks sharing a Temporal server each sweep their own database). */
export const slaEscalationWorkflowId = (taskQueue: string): string => `sla-escalation:${taskQueue}`;
export const SLA_ESCALATION_WORKFLOW_TYPE = 'slaEscalationWorkflow';

export interface SlaEscalationInput {
  /** Seconds between two sweeps for exceptions past their SLA deadline. */
  intervalSeconds: number;
}
