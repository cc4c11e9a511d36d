import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { presets } from '../options';
import type { OrderRun } from './order-run';

const { createPaymentIntent, cancelPaymentIntent } = proxyActivities<Activities>(presets.provider);

/** The `attempt` argument of the order's intent calls: absent for the first intent (its keys as they always were). */
export const attemptOf = (order: OrderRun): { attempt?: number } => (order.paymentAttempt > 1 ? { attempt: order.paymentAttempt } : {});

/**
 * Support's `retry_payment` while the pay window is open (the validator allowed it only after a
 * declined attempt): the current intent is voided, a fresh one made (under the order's next
 * attempt key; its pay link is written to the order row by the activity, never into history)
 * and a new pay window opens, `seconds` (else the drop's paymentSeconds) from now. The unit
 * stays the order's. The saga's `void payment` undo follows the current intent: a fresh intent
 * whose creation failed is still voided by the compensation.
 *
 * Returns the new pay deadline (ms), or undefined when nothing changed; either way the request
 * is answered. Refused when the entrant paid on the current link meanwhile (the window goes on
 * and confirms that payment) or the bank is still deciding an attempt on it.
 */
export async function retryPaymentIfAsked(order: OrderRun): Promise<number | undefined> {
  const request = order.supportRequest;
  if (!request) return undefined;
  if (request.action !== 'retry_payment' || !patched('support-actions-v2')) {
    // Not an action of the pay window (the validator keeps these out): answered, never waited on.
    order.answerSupportRequest(`${request.action} cannot be carried out while the order awaits payment`);
    return undefined;
  }
  const { dropId, orderId, amountCents, currency, paymentSeconds } = order.input;
  const voided = await cancelPaymentIntent({ dropId, orderId, paymentIntentId: order.paymentIntentId, ...attemptOf(order) });
  if (voided.outcome === 'already_paid') {
    // The payment is the provider's word, as a webhook's would be: the window confirms it.
    order.payment ??= { paymentIntentId: order.paymentIntentId, eventId: 'found-by-retry-payment' };
    order.answerSupportRequest('the entrant paid on the current pay link before the retry began; nothing was changed');
    return undefined;
  }
  if (voided.outcome === 'processing') {
    order.answerSupportRequest('the bank is still deciding an attempt on the current pay link; retry once it is declined');
    return undefined;
  }
  order.paymentAttempt += 1;
  // Cleared first: if the answer is lost, the void undo asks again under the same key.
  order.paymentIntentId = '';
  order.paymentIntentId = (await createPaymentIntent({ dropId, orderId, amountCents, currency, ...attemptOf(order) })).paymentIntentId;
  order.lastDecline = undefined;
  order.decline = undefined;
  const payDeadline = Date.now() + (request.seconds ?? paymentSeconds) * 1000;
  await order.moveTo('awaiting_payment', { paymentIntentId: order.paymentIntentId, payDeadline });
  order.answerSupportRequest();
  return payDeadline;
}
