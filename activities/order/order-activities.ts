import { Context, heartbeat } from '@temporalio/activity';
import { WorkflowIdConflictPolicy, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { findDrop, restockNode } from '../../src/db/repositories/drops';
import { listWinners } from '../../src/db/repositories/draws';
import { recordEvent } from '../../src/db/repositories/events';
import { openException, resolveExceptionsForOrder } from '../../src/db/repositories/exceptions';
import { advanceOrder, countUnsettledOrders, findOrder, insertOrders, listOpenOrders } from '../../src/db/repositories/orders';
import type { OrderState } from '../../src/db/schema';
import { isFinalOrderState } from '../../src/domain/order/order-states';
import type { ReasonCode } from '../../src/domain/staff/staff';
import { promoteNext } from '../../src/db/repositories/promotions';
import { enqueueNotifications, enqueueOrderStateMessages } from '../../src/db/repositories/notifications';
import { pause, pollUntilDeadline } from '../../src/lib/poll';
import {
  ORDER_STATE,
  ORDER_WORKFLOW_TYPE,
  DROP_ID,
  dropCancelledUpdate,
  orderIdFor,
  orderWorkflowId,
  type MissedPickupPolicy,
  type OrderWorkflowInput,
  type PaymentMode,
} from '../../workflows/definitions';
import type { ActivityDeps } from '../deps';
import type { ExceptionKind } from '../../src/domain/support/exception-kinds';

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

  /** Promotes the next waitlisted entrant in place of `replacesOrderId` and starts its order; null: nobody (waitlist out, or the drop cancelled). */
  async function promoteAndStart(dropId: string, replacesOrderId: string): Promise<string | null> {
    const drop = await findDrop(db, dropId);
    if (!drop) throw new Error(`drop ${dropId} not found`);
    const promotion = await promoteNext(db, dropId, replacesOrderId, { amount_cents: drop.price_cents, currency: drop.currency });
    if (!promotion.entryId || !promotion.orderId || !promotion.region) return null;
    const spec = drop.spec as OrderTerms;
    await startOrder({
      orderId: promotion.orderId,
      dropId,
      entryId: promotion.entryId,
      region: promotion.region,
      amountCents: drop.price_cents,
      currency: drop.currency,
      paymentSeconds: spec.windows.paymentSeconds,
      pickupSeconds: spec.windows.pickupSeconds,
      missedPickupPolicy: spec.policies.missedPickup,
      promotedFromOrderId: replacesOrderId,
      paymentMode: spec.payment?.mode ?? 'pay_after_win',
    });
    return promotion.entryId;
  }

  /** Sends one order `dropCancelled` and waits until it is accepted; false when it was not (gone, or refused). */
  async function tellOrderDropCancelled(dropId: string, entryId: string, request: { staffId: string; reasonCode: ReasonCode }): Promise<boolean> {
    const handle = temporal.workflow.getHandle(orderWorkflowId(dropId, entryId));
    try {
      const update = await handle.startUpdate(dropCancelledUpdate, { args: [request], updateId: 'drop-cancelled', waitForStage: WorkflowUpdateStage.ACCEPTED });
      // A validator's refusal comes back at once as the outcome; an accepted Update runs on.
      const refused = await Promise.race([
        update.result().then(
          () => false,
          (e) => e instanceof WorkflowUpdateFailedError,
        ),
        pause(1000).then(() => false),
      ]);
      return !refused;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) return false;
      throw err;
    }
  }

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
        // The winners' order rows and their win messages commit together (a retry adds neither twice).
        await db.transaction().execute(async (trx) => {
          await insertOrders(
            trx,
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
          await enqueueNotifications(
            trx,
            winners.map((w) => ({
              kind: 'won' as const,
              dropId: input.dropId,
              entryId: w.entry_id,
              orderId: orderIdFor(w.entry_id),
              data: { position: w.position, round: w.round },
            })),
          );
        });
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
     * workflow, which is a no-op if it runs). A cancelled drop promotes nobody.
     */
    async promoteNextEntrant(input: { dropId: string; replacesOrderId: string }) {
      return { promotedEntryId: await promoteAndStart(input.dropId, input.replacesOrderId) };
    },

    /**
     * Ops restocked a node: its stock grows by `units` (once per restockId), and when the draw has
     * run (`promote`), that many next waitlisted entrants are promoted in draw order, each as a
     * promotion replacing `restock:<restockId>:<i>` (so a retry promotes nobody twice).
     */
    async restockNode(input: { dropId: string; restockId: string; nodeId: string; units: number; promote: boolean }) {
      await restockNode(db, input);
      await recordEvent(db, { dropId: input.dropId, kind: 'drop.restocked', data: { nodeId: input.nodeId, units: input.units, restockId: input.restockId } });
      const promotedEntryIds: string[] = [];
      if (input.promote) {
        // One at a time, in draw order: each takes the next entrant after the one before.
        for (let i = 0; i < input.units; i++) {
          const entryId = await promoteAndStart(input.dropId, `restock:${input.restockId}:${i}`);
          if (entryId === null) break;
          promotedEntryIds.push(entryId);
          heartbeat({ promoted: i + 1 });
        }
      }
      return { nodeId: input.nodeId, units: input.units, promotedEntryIds };
    },

    /**
     * Ops cancelled the drop after the draw: every order not yet final is sent `dropCancelled`
     * (accepted, not awaited: the drop then waits for every order to be final, as it always does).
     * An order whose workflow has finished, or that refuses, is done when its row is final; the
     * others (a promoted order's workflow not started yet, a refusal of a state on its way to
     * final) fail this attempt and the activity's retry sends again. The Update id is fixed, so
     * an order that already accepted it is not told twice.
     */
    async cancelOpenOrders(input: { dropId: string; staffId: string; reasonCode: ReasonCode }) {
      const pending: string[] = [];
      let after = '';
      for (;;) {
        const page = await listOpenOrders(db, input.dropId, after, 100);
        if (page.length === 0) break;
        await Promise.all(
          page.map(async (o) => {
            const told = await tellOrderDropCancelled(input.dropId, o.entry_id, { staffId: input.staffId, reasonCode: input.reasonCode });
            if (!told && !isFinalOrderState((await findOrder(db, o.order_id))?.state ?? '')) pending.push(o.order_id);
          }),
        );
        after = page[page.length - 1]!.order_id;
        heartbeat({ after });
      }
      if (pending.length > 0) throw new Error(`${pending.length} orders did not take the cancellation yet (e.g. ${pending[0]}); trying again`);
      return { told: true };
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
      // The state, its telemetry event and its message (the outbox) commit together.
      await db.transaction().execute(async (trx) => {
        const changed = await advanceOrder(trx, input.orderId, input.seq, input.state, {
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
          await recordEvent(trx, {
            dropId: input.dropId,
            orderId: input.orderId,
            kind: 'order.state',
            data: { state: input.state, ...(p.finalReason ? { reason: p.finalReason } : {}) },
          });
          await enqueueOrderStateMessages(trx, input.orderId, input.seq, input.state);
        }
      });
    },

    async openOrderException(input: { dropId: string; orderId: string; kind: ExceptionKind; detail: string; slaMinutes: number }) {
      await openException(db, input);
    },

    async resolveOrderExceptions(input: { orderId: string; resolution: string }) {
      await resolveExceptionsForOrder(db, input.orderId, input.resolution);
    },
  };
}
