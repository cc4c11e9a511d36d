import { WorkflowNotFoundError } from '@temporalio/client';
import { verifyWebhook } from '../../integrations/webhook-signature';
import { invalid } from '../../domain/errors';
import { findTextProblem } from '../../domain/storable-text';
import { verifyClaimCode } from '../../domain/claim-code';
import { isFinalOrderState } from '../../domain/order/order-states';
import { advanceAuthorization, findAuthorizationByIntent } from '../../db/repositories/authorizations';
import { recordEvent } from '../../db/repositories/events';
import { isWebhookEventHandled, markWebhookEventHandled } from '../../db/repositories/webhook-events';
import { openException, resolveExceptionByKey } from '../../db/repositories/exceptions';
import { advanceTracking, findOrder, findOrderByLabel, findOrderByPaymentIntent, findOrderByReservation } from '../../db/repositories/orders';
import { metadataOf, notPlacedYet } from './webhook-placement';
import {
  orderWorkflowId,
  paymentDisputedSignal,
  paymentFailedSignal,
  paymentSucceededSignal,
  pickupCompletedSignal,
  type PaymentDisputed,
} from '../../../workflows/definitions';
import { postChargeback } from '../payment/payment-ledger';
import { exceptionKeys } from '../../domain/idempotency-keys';
import type { ServiceDeps } from '../deps';

export type WebhookProvider = 'payments' | 'carriers' | 'lockers';
export const WEBHOOK_PROVIDERS: readonly WebhookProvider[] = ['payments', 'carriers', 'lockers'];

interface ProviderEvent {
  id: string;
  type: string;
  created?: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from over the wire, read field by field
  data: Record<string, any>;
}

/**
 * `delivered`: applied; `ignored`: nothing to do (not ours, or already applied: a copy or a late
 * earlier step); `rejected`: refused (a bad claim code) and support told; `exception`: it
 * reports something the order can no longer take, so support was told. An event we cannot place
 * yet is not an outcome: it is answered 409 so the provider delivers it again.
 */
type Outcome = 'delivered' | 'duplicate' | 'ignored' | 'rejected' | 'exception';

/** How long support has to answer a dispute before the card network decides without us. */
const DISPUTE_SLA_MINUTES = 24 * 60;
const CLAIM_SLA_MINUTES = 60;
/** Locker clocks and ours may differ a little; a pickup this close to the deadline counts. */
const CLAIM_CLOCK_SKEW_MS = 30_000;

/**
 * A signed provider callback. Checked (signature over the exact bytes, timestamp neither stale
 * nor future-dated), deduplicated by event id, and carried into the order workflow as a signal
 * or into the read model. Answered 2xx only once it is handled, so the provider retries anything
 * we did not take. Events arrive in any order; each handler only ever moves state forward.
 */
export async function handleWebhook(
  deps: ServiceDeps,
  provider: WebhookProvider,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<{ outcome: Outcome }> {
  const check = verifyWebhook(signature, rawBody, deps.secrets.webhookSecrets[provider], Math.floor(Date.now() / 1000));
  if (!check.ok) throw invalid('invalid_signature', `webhook signature ${check.reason}`);
  let event: ProviderEvent;
  try {
    event = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw invalid('invalid_json', 'the body is not valid JSON');
  }
  // A NUL or lone surrogate (in the event id too) would fail every retry in Postgres: refuse it once, with its path.
  const problem = findTextProblem(event);
  if (problem) throw invalid('invalid_request', 'the event holds text that cannot be stored', [problem]);
  if (typeof event?.id !== 'string' || typeof event.type !== 'string' || typeof event.data !== 'object' || event.data === null) {
    throw invalid('invalid_event', 'an event needs id, type and data');
  }
  if (await isWebhookEventHandled(deps.db, provider, event.id)) return { outcome: 'duplicate' };

  const outcome = await deliver(deps, provider, event);
  await markWebhookEventHandled(deps.db, provider, event.id);
  return { outcome };
}

async function deliver(deps: ServiceDeps, provider: WebhookProvider, event: ProviderEvent): Promise<Outcome> {
  try {
    if (provider === 'payments') return await paymentEvent(deps, event);
    if (provider === 'lockers') return await lockerEvent(deps, event);
    return await carrierEvent(deps, event);
  } catch (err) {
    // The order already settled: nothing left to tell it.
    if (err instanceof WorkflowNotFoundError) return 'ignored';
    throw err;
  }
}

async function paymentEvent(deps: ServiceDeps, event: ProviderEvent): Promise<Outcome> {
  const object = event.data.object ?? {};
  switch (event.type) {
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed': {
      const intentId = String(object.id ?? '');
      // The event can overtake our own write of the intent id: fall back to the order id we
      // put in the intent's metadata. The workflow still checks the intent id is its own.
      const order = (await findOrderByPaymentIntent(deps.db, intentId)) ?? (await orderNamedIn(deps, object.metadata?.order_id));
      if (!order) {
        // Not ours (no order id in its metadata), or an order we have not written yet.
        const named = metadataOf(object);
        if (!named.orderId) return 'ignored';
        return notPlacedYet(deps, 'payments', event, `intent ${intentId} names order ${named.orderId}, which does not exist`, named);
      }
      const handle = deps.temporal.workflow.getHandle(orderWorkflowId(order.drop_id, order.entry_id));
      if (event.type === 'payment_intent.succeeded') {
        await handle.signal(paymentSucceededSignal, { paymentIntentId: intentId, eventId: event.id });
      } else {
        const code = String(object.last_payment_error?.code ?? 'declined');
        await handle.signal(paymentFailedSignal, { paymentIntentId: intentId, eventId: event.id, code });
      }
      return 'delivered';
    }
    case 'payment_intent.amount_capturable_updated': {
      // authorize_at_entry: the entrant's hold is in place (a late copy changes nothing).
      const intentId = String(object.id ?? '');
      if (await advanceAuthorization(deps.db, intentId, 'authorized')) return 'delivered';
      if (await findAuthorizationByIntent(deps.db, intentId)) return 'ignored';
      // The hold's event overtook our own write of the intent id.
      const named = metadataOf(object);
      if (!named.orderId) return 'ignored';
      return notPlacedYet(deps, 'payments', event, `hold ${intentId} for order ${named.orderId} is not recorded yet`, named);
    }
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed': {
      const order = await findOrderByPaymentIntent(deps.db, String(object.payment_intent ?? ''));
      if (!order) return 'ignored';
      const disputeKey = exceptionKeys.dispute(String(object.id));
      if (event.type === 'charge.dispute.updated') {
        // under_review and the like: the order hears of it below; nothing for support to add.
      } else if (event.type === 'charge.dispute.created') {
        // A dispute blocks refunds and needs evidence from a person: support owns it.
        await openException(deps.db, {
          dropId: order.drop_id,
          orderId: order.order_id,
          kind: 'payment_disputed',
          detail: `dispute ${String(object.id)} over ${Number(object.amount)} ${order.currency} on ${order.payment_intent_id}`,
          slaMinutes: DISPUTE_SLA_MINUTES,
          dedupeKey: disputeKey,
        });
      } else {
        await resolveExceptionByKey(deps.db, disputeKey, `dispute ${String(object.status)}`);
        // Lost: the bank gave the money back to the cardholder. Posted here too (once per order,
        // the same key the order uses), since the order may have finished long ago.
        if (object.status === 'lost') await postChargeback(deps.db, { dropId: order.drop_id, orderId: order.order_id, amountCents: order.amount_cents });
      }
      await recordEvent(deps.db, {
        dropId: order.drop_id,
        orderId: order.order_id,
        kind: event.type,
        data: { disputeId: String(object.id), status: String(object.status) },
      });
      await tellOrderOfDispute(deps, order, {
        paymentIntentId: String(object.payment_intent),
        disputeId: String(object.id),
        status: String(object.status),
        eventId: event.id,
      });
      return 'delivered';
    }
    default:
      // payment_intent.canceled, charge.refunded…: our own calls caused them; nothing to do.
      return 'ignored';
  }
}

/** The order learns of its dispute (a refund must wait for it); a finished order has nothing to learn. */
async function tellOrderOfDispute(deps: ServiceDeps, order: { drop_id: string; entry_id: string }, dispute: PaymentDisputed) {
  try {
    await deps.temporal.workflow.getHandle(orderWorkflowId(order.drop_id, order.entry_id)).signal(paymentDisputedSignal, dispute);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

async function lockerEvent(deps: ServiceDeps, event: ProviderEvent): Promise<Outcome> {
  if (event.type !== 'pickup.completed') return 'ignored'; // expiry: we enforce the window ourselves
  const reservationId = String(event.data.reservation_id ?? '');
  const named = metadataOf(event.data);
  const order = (await findOrderByReservation(deps.db, reservationId)) ?? (await orderNamedIn(deps, named.orderId));
  if (!order) {
    if (!named.orderId) return 'ignored';
    return notPlacedYet(deps, 'lockers', event, `reservation ${reservationId} names order ${named.orderId}, which does not exist`, named);
  }
  // The code that opened the door must be one we signed, for this order and node, in time.
  const pickedUpAt = (Number(event.created) || Math.floor(Date.now() / 1000)) * 1000;
  const claim = verifyClaimCode(deps.secrets.claimSecret, String(event.data.claim_code ?? ''), pickedUpAt - CLAIM_CLOCK_SKEW_MS);
  const problem = !claim.ok
    ? `claim code ${claim.reason}`
    : claim.claims.orderId !== order.order_id || claim.claims.nodeId !== String(event.data.node_id ?? '')
      ? 'claim code is for another order or node'
      : claim.claims.version < order.claim_code_version
        ? 'claim code that support replaced with a newer one'
        : null;
  if (problem) {
    await openException(deps.db, {
      dropId: order.drop_id,
      orderId: order.order_id,
      kind: 'claim_code_rejected',
      detail: `locker ${String(event.data.node_id)} reported a pickup with a ${problem}`,
      slaMinutes: CLAIM_SLA_MINUTES,
      dedupeKey: exceptionKeys.lockerEvent(event.id),
    });
    return 'rejected';
  }
  // The order may not have written its reservation id yet: the workflow keeps the signal and
  // matches it once it has (a pickup for another reservation never counts).
  if (order.state === 'picked_up') return 'ignored';
  if (isFinalOrderState(order.state)) return pickupAfterSettlement(deps, event, order);
  try {
    await deps.temporal.workflow
      .getHandle(orderWorkflowId(order.drop_id, order.entry_id))
      .signal(pickupCompletedSignal, { reservationId, nodeId: String(event.data.node_id ?? ''), eventId: event.id });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return pickupAfterSettlement(deps, event, (await findOrder(deps.db, order.order_id)) ?? order);
  }
  return 'delivered';
}

/**
 * The locker says the unit left after the order ended otherwise (refunded, credited, reshipped):
 * the unit is gone while the order says it is not. Support settles it (recover the unit or the
 * money, correct the node's stock); nothing is changed automatically.
 */
async function pickupAfterSettlement(deps: ServiceDeps, event: ProviderEvent, order: { order_id: string; drop_id: string; state: string }) {
  if (order.state === 'picked_up') return 'ignored';
  await openException(deps.db, {
    dropId: order.drop_id,
    orderId: order.order_id,
    kind: 'picked_up_after_settlement',
    detail: `locker ${String(event.data.node_id)} reports reservation ${String(event.data.reservation_id)} opened (event ${event.id}) after the order ended ${order.state}`,
    slaMinutes: CLAIM_SLA_MINUTES,
    dedupeKey: exceptionKeys.lockerEvent(event.id),
  });
  return 'exception' as const;
}

async function orderNamedIn(deps: ServiceDeps, orderId: unknown) {
  return typeof orderId === 'string' && orderId ? findOrder(deps.db, orderId) : undefined;
}

const TRACKING_STEPS = { 'tracking.in_transit': 'in_transit', 'tracking.delivered': 'delivered' } as const;

const STRAY_LABEL_SLA_MINUTES = 24 * 60;

async function carrierEvent(deps: ServiceDeps, event: ProviderEvent): Promise<Outcome> {
  const step = TRACKING_STEPS[event.type as keyof typeof TRACKING_STEPS];
  if (!step) return 'ignored';
  const labelId = String(event.data.label_id ?? '');
  const order = labelId ? await advanceTracking(deps.db, labelId, step) : undefined;
  if (order) {
    await recordEvent(deps.db, { dropId: order.drop_id, orderId: order.order_id, kind: 'order.tracking', data: { status: step } });
    return 'delivered';
  }
  // Our label, already at this step or later: a copy or a late earlier step.
  if (labelId && (await findOrderByLabel(deps.db, labelId))) return 'ignored';
  const named = metadataOf(event.data);
  if (!named.orderId) return 'ignored';
  const owner = await findOrder(deps.db, named.orderId);
  if (!owner) return notPlacedYet(deps, 'carriers', event, `label ${labelId} names order ${named.orderId}, which does not exist`, named);
  // The label was bought but our write of its id has not happened yet (its answer timed out,
  // or the order is still shipping): ask the carrier to deliver it again.
  if (!owner.label_id && !isFinalOrderState(owner.state)) {
    return notPlacedYet(deps, 'carriers', event, `order ${owner.order_id} (${owner.state}) has not recorded label ${labelId} yet`, {
      orderId: owner.order_id,
      dropId: owner.drop_id,
    });
  }
  // A label that is not the order's own is moving: a purchase that landed after we gave up on
  // it. The same exception the drop's stray-label sweep opens (one per label).
  const carrier = String(event.data.carrier ?? 'unknown');
  await openException(deps.db, {
    dropId: owner.drop_id,
    orderId: owner.order_id,
    kind: 'stray_label',
    detail: `${carrier} label ${labelId} is ${step} but order ${owner.order_id} (${owner.state}) uses ${owner.label_id ?? 'no label'}; claim its refund or recover the parcel`,
    slaMinutes: STRAY_LABEL_SLA_MINUTES,
    dedupeKey: exceptionKeys.strayLabel(carrier, labelId),
  });
  return 'exception';
}
