import type { DropsApiClient } from './api-client';
import { demoDriver, type Receipt } from './drop-driver';
import { orderWorkflowId } from '../../workflows/definitions';

/**
 * Support's resolve actions, one order down each, driven through public HTTP and the simulators'
 * controls (`/_sim/...`). Used by `drops record-histories`.
 *
 * - `support` drop (pay after win, seven winners at one locker, nobody waitlisted):
 *   `retry_payment` (card declined at the pay page, support opens a fresh pay window, the entrant
 *   pays on the new link and picks up), `partial_refund` (a part refunded while awaiting pickup,
 *   then picked up), `reship` (ships by carrier instead), `extend_pickup` (new deadline and claim
 *   code, picked up with the new code), `reissue_claim_code` (new code, picked up with it),
 *   `cancel_order` (paid, awaiting pickup: cancelled, money returned) and `cancel_unpaid_order`
 *   (cancelled while awaiting payment).
 * - `compensation` drop (one winner): support's refund while the payment provider is down fails its
 *   undo, the order waits in needs_support; with the provider back, `retry_compensation` ends it.
 *
 * Each order's state is read from the entrant's status page, and each action is asked again while
 * the workflow answers 409 (e.g. before the decline's webhook reached it), so small differences in
 * when an action becomes allowed do not fail the run.
 */
export type SupportBranch =
  'retry_payment' | 'partial_refund' | 'reship' | 'extend_pickup' | 'reissue_claim_code' | 'cancel_order' | 'cancel_unpaid_order' | 'retry_compensation';

export interface SupportOrder {
  dropId: string;
  entryId: string;
  orderId: string;
  workflowId: string;
  finalState: string;
}

export interface SupportActionsResult {
  supportDropId: string;
  compensationDropId: string;
  byBranch: Record<SupportBranch, SupportOrder>;
}

const PRICE_CENTS = 1500;

export async function runSupportActions(o: {
  api: DropsApiClient;
  providerUrl: string;
  dropIdPrefix: string;
  deadlineMs?: number;
}): Promise<SupportActionsResult> {
  const d = demoDriver({ api: o.api, providerUrl: o.providerUrl, deadline: Date.now() + (o.deadlineMs ?? 600_000) });
  const done = async (dropId: string, r: Receipt): Promise<SupportOrder> => {
    const f = await d.final(dropId, r);
    return { ...f, workflowId: orderWorkflowId(dropId, r.entryId) };
  };
  /** Waits for the pickup window and opens the locker with the code the status page shows now. */
  const pickUpNow = async (dropId: string, r: Receipt) => d.pickUp(await d.orderIn(dropId, r, 'awaiting_pickup'));

  // ---- support: one winner per action ----
  const supportDropId = `${o.dropIdPrefix}-support`;
  await d.launch(supportDropId, {
    units: 7,
    priceCents: PRICE_CENTS,
    nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 7 }],
    // Windows long enough for every action to be asked for inside them, one after another.
    windows: { registrationSeconds: 120, paymentSeconds: 60, pickupSeconds: 180, postMortemDelaySeconds: 1 },
    policies: { missedPickup: 'refund' },
  });
  const receipts = await d.register(supportDropId, Array(7).fill('north') as string[]);
  const [retried, partial, reshipped, extended, reissued, cancelled, cancelledUnpaid] = receipts as [
    Receipt,
    Receipt,
    Receipt,
    Receipt,
    Receipt,
    Receipt,
    Receipt,
  ];
  await d.close(supportDropId);

  // retry_payment: declined first; the unit stays the order's while support opens a fresh pay window.
  const declinedOrder = await d.orderIn(supportDropId, retried, 'awaiting_payment');
  await d.checkout(declinedOrder.payLink as string, 'decline');
  await d.resolve(declinedOrder.orderId as string, 'retry_payment', { reasonCode: 'payment_problem', reason: 'card declined, entrant has another' });
  await d.checkout(await d.orderFieldChanged(supportDropId, retried, 'payLink', declinedOrder.payLink as string));

  // cancel_order before payment.
  const unpaid = await d.orderIn(supportDropId, cancelledUnpaid, 'awaiting_payment');
  await d.resolve(unpaid.orderId as string, 'cancel_order');

  for (const r of [partial, reshipped, extended, reissued, cancelled]) await d.pay(supportDropId, r);

  // refund with amountCents: a part back, the order goes on to its pickup.
  const partialOrder = await d.orderIn(supportDropId, partial, 'awaiting_pickup');
  await d.resolve(partialOrder.orderId as string, 'refund', { amountCents: PRICE_CENTS / 3 });
  await pickUpNow(supportDropId, partial);

  const reshipOrder = await d.orderIn(supportDropId, reshipped, 'awaiting_pickup');
  await d.resolve(reshipOrder.orderId as string, 'reship', { reasonCode: 'fulfillment_problem', reason: 'entrant cannot reach the locker' });

  // extend_pickup and reissue_claim_code: the old claim code is replaced; the new one opens the locker.
  for (const [r, action, extra] of [
    [extended, 'extend_pickup', { seconds: 120 }],
    [reissued, 'reissue_claim_code', {}],
  ] as const) {
    const before = await d.orderIn(supportDropId, r, 'awaiting_pickup');
    await d.resolve(before.orderId as string, action, extra);
    const claimCode = await d.orderFieldChanged(supportDropId, r, 'claimCode', before.claimCode as string);
    await d.pickUp({ nodeId: before.nodeId as string, claimCode });
  }

  const cancelOrder = await d.orderIn(supportDropId, cancelled, 'awaiting_pickup');
  await d.resolve(cancelOrder.orderId as string, 'cancel_order');

  await pickUpNow(supportDropId, retried);
  await d.orderIn(supportDropId, retried, 'picked_up');
  await d.orderIn(supportDropId, partial, 'picked_up');
  await d.orderIn(supportDropId, reshipped, 'shipped');
  await d.orderIn(supportDropId, extended, 'picked_up');
  await d.orderIn(supportDropId, reissued, 'picked_up');
  await d.orderIn(supportDropId, cancelled, 'cancelled');
  await d.orderIn(supportDropId, cancelledUnpaid, 'cancelled');
  await d.phaseIn(supportDropId, 'completed');

  // ---- compensation: needs_support, then retry_compensation ----
  // Runs alone: the provider's outage would fail every other drop's payment calls too.
  const compensationDropId = `${o.dropIdPrefix}-compensation`;
  await d.launch(compensationDropId, {
    units: 1,
    priceCents: PRICE_CENTS,
    nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 1 }],
    // The pickup window outlasts the refund's retries while the provider is down.
    windows: { registrationSeconds: 120, paymentSeconds: 60, pickupSeconds: 300, postMortemDelaySeconds: 1 },
    policies: { missedPickup: 'refund' },
  });
  const [stuck] = (await d.register(compensationDropId, ['north'])) as [Receipt];
  await d.close(compensationDropId);
  await d.pay(compensationDropId, stuck);
  const waiting = await d.orderIn(compensationDropId, stuck, 'awaiting_pickup');
  await d.faults({ provider: 'payments', down: true });
  try {
    // Answered only once the order has reached needs_support (the refund's retries run out first).
    const asked = d.resolveOnce(waiting.orderId as string, { action: 'refund', reasonCode: 'entrant_request', reason: 'asked at the counter' });
    await d.orderIn(compensationDropId, stuck, 'needs_support');
    await asked;
  } finally {
    await d.faults({ provider: 'payments', down: false });
  }
  await d.resolve(waiting.orderId as string, 'retry_compensation', { reasonCode: 'provider_failure', reason: 'provider back' });
  await d.orderIn(compensationDropId, stuck, 'refunded');
  await d.phaseIn(compensationDropId, 'completed');

  return {
    supportDropId,
    compensationDropId,
    byBranch: {
      retry_payment: await done(supportDropId, retried),
      partial_refund: await done(supportDropId, partial),
      reship: await done(supportDropId, reshipped),
      extend_pickup: await done(supportDropId, extended),
      reissue_claim_code: await done(supportDropId, reissued),
      cancel_order: await done(supportDropId, cancelled),
      cancel_unpaid_order: await done(supportDropId, cancelledUnpaid),
      retry_compensation: await done(compensationDropId, stuck),
    },
  };
}
