import { condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { presets } from '../options';
import type { OrderOutcome, OrderRun } from './order-run';
import { refund } from './refund';
import { windowSeconds } from './drop-windows';
import { cancelIfAsked } from './cancel';
import { attemptOf, retryPaymentIfAsked } from './retry-payment';

const { createPaymentIntent, confirmPayment, cancelPaymentIntent, captureAuthorizedPayment } = proxyActivities<Activities>(presets.provider);

/** A payment the bank is still deciding is looked at again this often if no webhook wakes us. */
const PROCESSING_RECHECK_MS = 15 * 60 * 1000;

/**
 * The payment phase: `'paid'` once the money is ours (its refund registered with the saga), else
 * the order's final outcome (the unit went down the waitlist).
 */
export function takePayment(order: OrderRun): Promise<'paid' | OrderOutcome> {
  const { input } = order;
  if (order.paymentStates && input.amountCents === 0) return noPaymentNeeded(order);
  return input.paymentMode === 'authorize_at_entry' ? captureHoldFromEntry(order) : payWindow(order);
}

/** A free order (priceCents 0): nothing to pay, no intent, no capture, the ledger untouched. */
async function noPaymentNeeded(order: OrderRun): Promise<'paid'> {
  await order.moveTo('paid');
  return 'paid';
}

/** authorize_at_entry: capture the winner's hold; without one the unit goes down the waitlist. */
async function captureHoldFromEntry(order: OrderRun): Promise<'paid' | OrderOutcome> {
  const { dropId, orderId, entryId } = order.input;
  const held = await captureAuthorizedPayment({ dropId, orderId, entryId });
  // The hold was released before capture (a card hold lasts 7 days): ask the entrant again.
  if (order.paymentStates && (held.outcome === 'hold_canceled' || held.outcome === 'capture_failed')) return payWindow(order);
  if (held.outcome === 'not_authorized') return order.releaseToWaitlist('unpaid', 'not_authorized_at_entry');
  if (held.outcome === 'capture_failed') return order.releaseToWaitlist('declined', 'authorization_capture_failed');
  order.paymentIntentId = held.paymentIntentId!;
  order.moneyTaken = true;
  order.saga.add('refund payment', () => refund(order));
  await order.moveTo('paid', { paymentIntentId: order.paymentIntentId });
  return 'paid';
}

/**
 * pay_after_win: a pay link and a pay window; a decline or a lapse releases the unit. Support
 * may give a declined entrant a fresh pay link and window (retry_payment) or cancel the order
 * (cancel_order; also the drop's cancellation): the window's wait wakes on either.
 */
async function payWindow(order: OrderRun): Promise<'paid' | OrderOutcome> {
  const { input } = order;
  const { dropId, orderId } = input;
  // The current attempt's intent (support's retry_payment makes a new one under a key of its own).
  const newIntent = () => createPaymentIntent({ dropId, orderId, amountCents: input.amountCents, currency: input.currency, ...attemptOf(order) });
  let paidLate = false;
  // Registered before the intent exists: an intent made by a request whose answer never came
  // back is still voided (asking again with the same key returns that intent).
  order.saga.add('void payment', async () => {
    if (!order.paymentIntentId) order.paymentIntentId = (await newIntent()).paymentIntentId;
    const { paymentIntentId } = order;
    const { outcome } = order.paymentStates
      ? await cancelOrAwaitBank(order)
      : await cancelPaymentIntent({ dropId, orderId, paymentIntentId, ...attemptOf(order) });
    // Paid in the last moment: we took money we will not use, so give it back.
    if (outcome === 'already_paid') {
      await confirmPayment({ dropId, orderId, paymentIntentId });
      order.moneyTaken = true;
      await refund(order);
      paidLate = true;
    }
  });
  const intent = await newIntent();
  order.paymentIntentId = intent.paymentIntentId;
  let payDeadline = Date.now() + (await windowSeconds(input, 'paymentSeconds')) * 1000;
  await order.moveTo('awaiting_payment', { paymentIntentId: order.paymentIntentId, payDeadline });
  // Support's request, or the drop's cancellation: the only other wake-ups of the window.
  const askedBySupport = () => order.supportRequest !== undefined || order.dropCancel !== undefined;

  let confirmed = false;
  let declined = false;
  order.lastDecline = undefined;
  while (!confirmed && !declined) {
    const remaining = payDeadline - Date.now();
    if (remaining <= 0 || !(await condition(() => order.payment !== undefined || order.decline !== undefined || askedBySupport(), remaining))) break;
    const { paymentIntentId } = order;
    if (order.payment !== undefined) {
      // Believe the provider, not the message: confirm before moving on.
      confirmed = order.payment.paymentIntentId === paymentIntentId && (await confirmPayment({ dropId, orderId, paymentIntentId })).paid;
      if (!confirmed) order.payment = undefined;
    } else if (order.decline === undefined) {
      // Cancelled: the undos run below. A retry: a fresh intent, pay link and window.
      if (order.dropCancel || order.supportRequest?.action === 'cancel_order') break;
      payDeadline = (await retryPaymentIfAsked(order)) ?? payDeadline;
    } else if (order.paymentStates) {
      // Not final: the intent stays usable (as Stripe's does), another card may follow.
      if (order.decline!.paymentIntentId === paymentIntentId) order.lastDecline = order.decline;
      order.decline = undefined;
    } else {
      declined = order.decline!.paymentIntentId === paymentIntentId;
      if (!declined) order.decline = undefined;
    }
  }
  if (!confirmed) {
    const cancelled = await cancelIfAsked(order);
    if (cancelled) return cancelled;
  }
  if (!confirmed && order.paymentStates) {
    // The window is over: close the intent, unless the bank is still deciding an attempt made
    // inside the window; then that attempt decides (paid, or declined).
    const { outcome, waited } = await cancelOrAwaitBank(order);
    if (outcome === 'already_paid' && waited) confirmed = (await confirmPayment({ dropId, orderId, paymentIntentId: order.paymentIntentId })).paid;
  }
  if (!confirmed) {
    await order.saga.compensate();
    // Paid after the window closed: refunded (by the void step), and the unit still moves on.
    if (paidLate) return await order.releaseToWaitlist('refunded', 'paid_after_window');
    if (order.paymentStates) {
      return order.lastDecline
        ? await order.releaseToWaitlist('declined', `payment_declined:${order.lastDecline.code}`)
        : await order.releaseToWaitlist('unpaid', 'payment_window_lapsed');
    }
    return declined
      ? await order.releaseToWaitlist('declined', `payment_declined:${order.decline!.code}`)
      : await order.releaseToWaitlist('unpaid', 'payment_window_lapsed');
  }
  order.moneyTaken = true;
  // A retry_payment that raced the payment: nothing to retry.
  if (order.supportRequest?.action === 'retry_payment') order.answerSupportRequest('the entrant paid before the retry began; nothing was changed');
  // The void step's purpose is over: from here a failure gives the money back.
  order.saga.forgetLatest();
  order.saga.add('refund payment', () => refund(order));
  await order.moveTo('paid');
  return 'paid';
}

/**
 * Cancels the intent at the window's end. A payment the bank is still deciding (`processing`)
 * cannot be canceled: it is waited for, woken by its webhook or a look every 15 minutes.
 */
async function cancelOrAwaitBank(order: OrderRun): Promise<{ outcome: 'canceled' | 'already_paid'; waited: boolean }> {
  const { dropId, orderId } = order.input;
  const { paymentIntentId } = order;
  let waited = false;
  for (;;) {
    const { outcome } = await cancelPaymentIntent({ dropId, orderId, paymentIntentId, ...attemptOf(order) });
    if (outcome !== 'processing') return { outcome, waited };
    waited = true;
    await condition(() => order.payment !== undefined || order.decline !== undefined, PROCESSING_RECHECK_MS);
    if (order.decline?.paymentIntentId === paymentIntentId) order.lastDecline = order.decline;
    order.payment = undefined;
    order.decline = undefined;
  }
}
