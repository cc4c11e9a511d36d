import { WorkflowNotFoundError } from '@temporalio/client';
import { ApiError } from '../../api/errors';
import { verifyWebhook } from '../integrations/webhook-signature';
import { findOrderByPaymentIntent, findOrderByReservation } from '../db/repositories/orders';
import { orderWorkflowId, paymentSucceededSignal, pickupCompletedSignal } from '../../workflows/definitions';
import type { ServiceDeps } from './deps';

export type WebhookProvider = 'payments' | 'lockers';

interface ProviderEvent {
  id: string;
  type: string;
  data: Record<string, any>;
}

/**
 * A signed provider callback. Checked (signature, age), deduplicated by event id, and carried
 * into the order workflow as a signal. Answered 2xx only once the signal is accepted, so the
 * provider retries anything we did not take.
 */
export async function handleWebhook(
  deps: ServiceDeps,
  provider: WebhookProvider,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<{ outcome: 'delivered' | 'duplicate' | 'ignored' }> {
  const check = verifyWebhook(signature, rawBody, deps.secrets.webhookSecrets[provider], Math.floor(Date.now() / 1000));
  if (!check.ok) throw new ApiError(400, 'invalid_signature', `webhook signature ${check.reason}`);
  let event: ProviderEvent;
  try {
    event = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
  }
  if (typeof event?.id !== 'string' || typeof event.type !== 'string' || typeof event.data !== 'object') {
    throw new ApiError(400, 'invalid_event', 'an event needs id, type and data');
  }
  const seen = await deps.db
    .selectFrom('webhook_events')
    .select('event_id')
    .where('provider', '=', provider)
    .where('event_id', '=', event.id)
    .executeTakeFirst();
  if (seen) return { outcome: 'duplicate' };

  const outcome = await deliver(deps, provider, event);
  await deps.db
    .insertInto('webhook_events')
    .values({ provider, event_id: event.id })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .execute();
  return { outcome };
}

async function deliver(deps: ServiceDeps, provider: WebhookProvider, event: ProviderEvent): Promise<'delivered' | 'ignored'> {
  try {
    if (provider === 'payments' && event.type === 'payment_intent.succeeded') {
      const intentId = String(event.data.object?.id ?? '');
      const order = await findOrderByPaymentIntent(deps.db, intentId);
      if (!order) return 'ignored';
      await deps.temporal.workflow
        .getHandle(orderWorkflowId(order.drop_id, order.entry_id))
        .signal(paymentSucceededSignal, { paymentIntentId: intentId, eventId: event.id });
      return 'delivered';
    }
    if (provider === 'lockers' && event.type === 'pickup.completed') {
      const reservationId = String(event.data.reservation_id ?? '');
      const order = await findOrderByReservation(deps.db, reservationId);
      if (!order) return 'ignored';
      await deps.temporal.workflow
        .getHandle(orderWorkflowId(order.drop_id, order.entry_id))
        .signal(pickupCompletedSignal, { reservationId, nodeId: String(event.data.node_id ?? ''), eventId: event.id });
      return 'delivered';
    }
    return 'ignored';
  } catch (err) {
    // The order already settled: nothing left to tell it.
    if (err instanceof WorkflowNotFoundError) return 'ignored';
    throw err;
  }
}
