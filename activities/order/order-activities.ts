import { Context, heartbeat } from '@temporalio/activity';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { findDrop } from '../../src/db/repositories/drops';
import { listWinners } from '../../src/db/repositories/draws';
import { recordEvent } from '../../src/db/repositories/events';
import { openException, resolveExceptionsForOrder } from '../../src/db/repositories/exceptions';
import { advanceOrder, countUnsettledOrders, insertOrders } from '../../src/db/repositories/orders';
import type { OrderState } from '../../src/db/schema';
import { promoteNext } from '../../src/db/repositories/promotions';
import { pause, pollUntilDeadline } from '../../src/lib/poll';
import {
  ORDER_STATE,
  ORDER_WORKFLOW_TYPE,
  DROP_ID,
  orderIdFor,
  orderWorkflowId,
  type MissedPickupPolicy,
  type OrderWorkflowInput,
  type PaymentMode,
} from '../../workflows/definitions';
import type { ActivityDeps } from '../deps';

/** The parts of a drop's launch request its orders follow. */
interface OrderTerms {
  windows: { paymentSeconds: number; pickupSeconds: number };
  policies: { missedPickup: MissedPickupPolicy };
  payment?: { mode: PaymentMode };
}

/**
 * Fields an order step may set beside its state; camelCase on the wire, columns in the DB.
 * No bearer secret belongs here (it would enter workflow history): the pay link is written by
 * createPaymentIntent, and the claim code and offer code are derived by the API on read.
 */
export interface OrderPatch {
  paymentIntentId?: string;
  payDeadline?: number;
  nodeId?: string;
  carrier?: string;
  trackingNumber?: string;
  labelId?: string;
  /** Only null: clears a claim code stored by orders recorded before codes were derived on read. */
  claimCode?: null;
  compartmentReservationId?: string;
  pickupDeadline?: number;
  /** The claim code version of `compartmentReservationId` (set when support replaced the code). */
  claimCodeVersion?: number;
  finalReason?: string;
  creditCents?: number;
}

const START_BATCH = 200;

export function createOrderActivities({ db, temporal, taskQueue, pollIntervalMs = 500, settleWaitCapSeconds = Infinity }: ActivityDeps) {
  /** Starts one order workflow; starting an existing one is a no-op (USE_EXISTING). */
  const startOrder = (args: OrderWorkflowInput) =>
    temporal.workflow.start(ORDER_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: orderWorkflowId(args.dropId, args.entryId),
      args: [args],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [
        { key: DROP_ID, value: args.dropId },
        { key: ORDER_STATE, value: 'created' },
      ],
    });

  return {
    /**
     * Creates an order row and starts one order workflow per winner, in batches, with
     * deterministic ids: a retry (or a crash mid-way) resumes from the heartbeat and re-starting
     * an existing workflow is a no-op (USE_EXISTING).
     */
    async startOrderWorkflows(input: { dropId: string; paymentSeconds: number; pickupSeconds: number; missedPickupPolicy: MissedPickupPolicy }) {
      const drop = await findDrop(db, input.dropId);
      if (!drop) throw new Error(`drop ${input.dropId} not found`);
      const paymentMode = (drop.spec as OrderTerms).payment?.mode ?? 'pay_after_win';
      const resumedFrom = Context.current().info.heartbeatDetails as { lastRank: number } | undefined;
      let lastRank = resumedFrom?.lastRank ?? -1;
      let started = 0;
      for (;;) {
        const winners = await listWinners(db, input.dropId, lastRank, START_BATCH);
        if (winners.length === 0) break;
        await insertOrders(
          db,
          winners.map((w) => ({
            order_id: orderIdFor(w.entry_id),
            drop_id: input.dropId,
            entry_id: w.entry_id,
            state: 'created',
            state_seq: 0,
            amount_cents: drop.price_cents,
            currency: drop.currency,
            region: w.region,
          })),
        );
        await Promise.all(
          winners.map((w) =>
            startOrder({
              orderId: orderIdFor(w.entry_id),
              dropId: input.dropId,
              entryId: w.entry_id,
              region: w.region,
              amountCents: drop.price_cents,
              currency: drop.currency,
              paymentSeconds: input.paymentSeconds,
              pickupSeconds: input.pickupSeconds,
              missedPickupPolicy: input.missedPickupPolicy,
              paymentMode,
            }),
          ),
        );
        started += winners.length;
        lastRank = winners[winners.length - 1]!.position;
        heartbeat({ lastRank });
      }
      return { started };
    },

    /**
     * A lapsed or declined order's unit goes to the next waitlisted entrant, in draw order,
     * exactly once per lapsed order (a retry finds the promotion it made and only re-starts the
     * workflow, which is a no-op if it runs).
     */
    async promoteNextEntrant(input: { dropId: string; replacesOrderId: string }) {
      const drop = await findDrop(db, input.dropId);
      if (!drop) throw new Error(`drop ${input.dropId} not found`);
      const promotion = await promoteNext(db, input.dropId, input.replacesOrderId, {
        amount_cents: drop.price_cents,
        currency: drop.currency,
      });
      if (!promotion.entryId || !promotion.orderId || !promotion.region) return { promotedEntryId: null };
      const spec = drop.spec as OrderTerms;
      await startOrder({
        orderId: promotion.orderId,
        dropId: input.dropId,
        entryId: promotion.entryId,
        region: promotion.region,
        amountCents: drop.price_cents,
        currency: drop.currency,
        paymentSeconds: spec.windows.paymentSeconds,
        pickupSeconds: spec.windows.pickupSeconds,
        missedPickupPolicy: spec.policies.missedPickup,
        promotedFromOrderId: input.replacesOrderId,
        paymentMode: spec.payment?.mode ?? 'pay_after_win',
      });
      return { promotedEntryId: promotion.entryId };
    },

    /**
     * Waits (polling Postgres, heartbeating) until every order of the drop is final or the
     * wait runs out; the workflow loops, so its history grows by one activity per wait.
     */
    async awaitOrdersSettled(input: { dropId: string; maxWaitSeconds: number }) {
      const cancelled = Context.current().cancelled;
      let unsettled = 0;
      const outcome = await pollUntilDeadline(
        async () => {
          unsettled = await countUnsettledOrders(db, input.dropId);
          if (unsettled === 0) return true;
          heartbeat({ unsettled });
          return false;
        },
        {
          timeoutMs: Math.min(input.maxWaitSeconds, settleWaitCapSeconds) * 1000,
          intervalMs: pollIntervalMs,
          // A cancelled activity stops pausing at once (the next heartbeat reports the cancellation).
          pause: (ms) => Promise.race([pause(ms), cancelled]),
        },
      );
      return { settled: outcome.done, unsettled };
    },

    async recordOrderState(input: { orderId: string; dropId: string; seq: number; state: OrderState; patch?: OrderPatch }) {
      const p = input.patch ?? {};
      const changed = await advanceOrder(db, input.orderId, input.seq, input.state, {
        ...(p.paymentIntentId !== undefined && { payment_intent_id: p.paymentIntentId }),
        ...(p.payDeadline !== undefined && { pay_deadline: new Date(p.payDeadline) }),
        ...(p.nodeId !== undefined && { node_id: p.nodeId }),
        ...(p.carrier !== undefined && { carrier: p.carrier }),
        ...(p.trackingNumber !== undefined && { tracking_number: p.trackingNumber }),
        ...(p.labelId !== undefined && { label_id: p.labelId }),
        ...(p.claimCode !== undefined && { claim_code: p.claimCode }),
        ...(p.compartmentReservationId !== undefined && { compartment_reservation_id: p.compartmentReservationId }),
        ...(p.pickupDeadline !== undefined && { pickup_deadline: new Date(p.pickupDeadline) }),
        ...(p.claimCodeVersion !== undefined && { claim_code_version: p.claimCodeVersion }),
        ...(p.finalReason !== undefined && { final_reason: p.finalReason }),
        ...(p.creditCents !== undefined && { credit_cents: p.creditCents }),
      });
      if (changed) {
        await recordEvent(db, {
          dropId: input.dropId,
          orderId: input.orderId,
          kind: 'order.state',
          data: { state: input.state, ...(p.finalReason ? { reason: p.finalReason } : {}) },
        });
      }
    },

    async openOrderException(input: { dropId: string; orderId: string; kind: string; detail: string; slaMinutes: number }) {
      await openException(db, input);
    },

    async resolveOrderExceptions(input: { orderId: string; resolution: string }) {
      await resolveExceptionsForOrder(db, input.orderId, input.resolution);
    },
  };
}
