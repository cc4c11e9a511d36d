import type { DropsApiClient } from './api-client';
import { demoDriver, type Receipt } from './drop-driver';
import { dropWorkflowId, orderWorkflowId } from '../../workflows/definitions';

/**
 * Ops' controls on a drop, one small drop each, driven through public HTTP and the simulators'
 * controls. Used by `drops record-histories`.
 *
 * - `cancelled_before_draw` (authorize_at_entry, one entrant's hold placed): cancelled in
 *   registration: no draw, the hold voided, the drop ends `cancelled`.
 * - `cancelled_after_draw`: cancelled while settling, one winner paid and awaiting pickup
 *   (`drop_cancelled_paid`, money returned) and one awaiting payment (`drop_cancelled_unpaid`):
 *   both orders end `cancelled`, nobody promoted, the drop ends `cancelled`.
 * - `scheduled`: launched with `announceAt` and `registrationOpensAt` a few seconds ahead; one
 *   winner pays and picks up.
 * - `paused_resumed`: registration paused and resumed (an entry either side); after the draw ops
 *   shorten the pickup window (`POST /windows`) before the winners pay, so both orders enter pickup
 *   with the new window, miss it and are refunded (`window_changed` is one of them).
 * - `restocked`: one unit, two entrants; while settling ops restock the node by one unit, which
 *   promotes the waitlisted entrant (`promoted_by_restock`); both pay and pick up.
 */
export type DropControlBranch = 'cancelled_before_draw' | 'cancelled_after_draw' | 'scheduled' | 'paused_resumed' | 'restocked';
export type DropControlOrderBranch = 'drop_cancelled_paid' | 'drop_cancelled_unpaid' | 'window_changed' | 'promoted_by_restock';

export interface DropControlsResult {
  byDrop: Record<DropControlBranch, { dropId: string; workflowId: string; finalPhase: string }>;
  byOrder: Record<DropControlOrderBranch, { dropId: string; entryId: string; orderId: string; workflowId: string; finalState: string }>;
}

const OPS_REASON = { reasonCode: 'ops_decision', reason: 'decided in the launch review' } as const;
const locker = (stock: number) => [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock }];

export async function runDropControls(o: { api: DropsApiClient; providerUrl: string; dropIdPrefix: string; deadlineMs?: number }): Promise<DropControlsResult> {
  const d = demoDriver({ api: o.api, providerUrl: o.providerUrl, deadline: Date.now() + (o.deadlineMs ?? 600_000) });
  const dropDone = async (dropId: string, ...phases: string[]) => ({
    dropId,
    workflowId: dropWorkflowId(dropId),
    finalPhase: await d.phaseIn(dropId, ...phases),
  });
  const orderDone = async (dropId: string, r: Receipt) => ({ ...(await d.final(dropId, r)), workflowId: orderWorkflowId(dropId, r.entryId) });

  // ---- cancelled before the draw, with a hold to void ----
  const beforeDrawId = `${o.dropIdPrefix}-cancel-early`;
  await d.launch(beforeDrawId, {
    units: 1,
    priceCents: 2000,
    nodes: locker(1),
    windows: { registrationSeconds: 300, paymentSeconds: 30, pickupSeconds: 30, postMortemDelaySeconds: 1 },
    payment: { mode: 'authorize_at_entry' },
  });
  const [holder] = (await d.register(beforeDrawId, ['north', 'north'])) as [Receipt, Receipt];
  const holdPath = `/v1/drops/${beforeDrawId}/entries/${holder.entryId}/authorization`;
  const askHold = () => o.api.call('POST', holdPath, { headers: { 'x-receipt-secret': holder.receiptSecret } });
  const hold = await askHold();
  if (hold.status !== 200 || !hold.body.payLink) throw new Error(`authorization answered ${hold.status}: ${JSON.stringify(hold.body)}`);
  await d.checkout(hold.body.payLink as string);
  await d.until('the hold', async () => ((await askHold()).body.status === 'authorized' ? true : undefined));
  await d.control(beforeDrawId, 'cancel', OPS_REASON);
  const cancelledBeforeDraw = await dropDone(beforeDrawId, 'cancelled');

  // ---- cancelled after the draw: one order paid, one awaiting payment ----
  const afterDrawId = `${o.dropIdPrefix}-cancel-late`;
  await d.launch(afterDrawId, {
    units: 2,
    priceCents: 2000,
    nodes: locker(2),
    windows: { registrationSeconds: 120, paymentSeconds: 120, pickupSeconds: 120, postMortemDelaySeconds: 1 },
  });
  const [paid, unpaid] = (await d.register(afterDrawId, ['north', 'north'])) as [Receipt, Receipt];
  await d.close(afterDrawId);
  await d.pay(afterDrawId, paid);
  await d.orderIn(afterDrawId, paid, 'awaiting_pickup');
  await d.orderIn(afterDrawId, unpaid, 'awaiting_payment');
  await d.control(afterDrawId, 'cancel', OPS_REASON);
  await d.orderIn(afterDrawId, paid, 'cancelled');
  await d.orderIn(afterDrawId, unpaid, 'cancelled');
  const cancelledAfterDraw = await dropDone(afterDrawId, 'cancelled');

  // ---- a scheduled launch ----
  const scheduledId = `${o.dropIdPrefix}-scheduled`;
  const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
  // launch() waits for registration, which opens only at registrationOpensAt.
  await d.launch(scheduledId, {
    units: 1,
    priceCents: 1000,
    nodes: locker(1),
    windows: { registrationSeconds: 60, paymentSeconds: 60, pickupSeconds: 60, postMortemDelaySeconds: 1 },
    announceAt: inSeconds(5),
    registrationOpensAt: inSeconds(10),
  });
  const [early] = (await d.register(scheduledId, ['north'])) as [Receipt];
  await d.close(scheduledId);
  await d.pay(scheduledId, early);
  await d.pickUp(await d.orderIn(scheduledId, early, 'awaiting_pickup'));
  await d.orderIn(scheduledId, early, 'picked_up');
  const scheduled = await dropDone(scheduledId, 'completed');

  // ---- paused and resumed; then the pickup window shortened ----
  const pausedId = `${o.dropIdPrefix}-paused`;
  await d.launch(pausedId, {
    units: 2,
    priceCents: 1000,
    nodes: locker(2),
    windows: { registrationSeconds: 120, paymentSeconds: 60, pickupSeconds: 600, postMortemDelaySeconds: 1 },
    policies: { missedPickup: 'refund' },
  });
  const [first] = (await d.register(pausedId, ['north'], 'a')) as [Receipt];
  await d.control(pausedId, 'pause', OPS_REASON);
  await d.phaseIn(pausedId, 'paused');
  await d.control(pausedId, 'resume', OPS_REASON);
  await d.phaseIn(pausedId, 'registration');
  const [second] = (await d.register(pausedId, ['north'], 'b')) as [Receipt];
  await d.close(pausedId);
  await d.orderIn(pausedId, first, 'awaiting_payment');
  await d.orderIn(pausedId, second, 'awaiting_payment');
  // Orders read the window as they enter pickup: neither has paid yet, so both get the new one.
  await d.control(pausedId, 'windows', { pickupSeconds: 5, ...OPS_REASON });
  for (const r of [first, second]) await d.pay(pausedId, r);
  await d.orderIn(pausedId, first, 'refunded');
  await d.orderIn(pausedId, second, 'refunded');
  const pausedResumed = await dropDone(pausedId, 'completed');

  // ---- restocked while settling: the waitlisted entrant is promoted ----
  const restockedId = `${o.dropIdPrefix}-restocked`;
  await d.launch(restockedId, {
    units: 1,
    priceCents: 1000,
    nodes: locker(1),
    windows: { registrationSeconds: 120, paymentSeconds: 120, pickupSeconds: 120, postMortemDelaySeconds: 1 },
  });
  const entrants = await d.register(restockedId, ['north', 'north']);
  await d.close(restockedId);
  await d.phaseIn(restockedId, 'settling');
  const drawn = await Promise.all(entrants.map(async (r) => ({ r, status: (await d.status(restockedId, r)).status as string })));
  const winner = drawn.find((x) => x.status === 'won')?.r;
  const waitlisted = drawn.find((x) => x.status === 'waitlisted')?.r;
  if (!winner || !waitlisted) throw new Error(`expected one winner and one waitlisted entrant: ${JSON.stringify(drawn.map((x) => x.status))}`);
  await d.pay(restockedId, winner);
  await d.control(restockedId, 'nodes/north-locker/restock', { units: 1, ...OPS_REASON });
  await d.pay(restockedId, waitlisted);
  for (const r of [winner, waitlisted]) {
    await d.pickUp(await d.orderIn(restockedId, r, 'awaiting_pickup'));
    await d.orderIn(restockedId, r, 'picked_up');
  }
  const restocked = await dropDone(restockedId, 'completed');

  return {
    byDrop: {
      cancelled_before_draw: cancelledBeforeDraw,
      cancelled_after_draw: cancelledAfterDraw,
      scheduled,
      paused_resumed: pausedResumed,
      restocked,
    },
    byOrder: {
      drop_cancelled_paid: await orderDone(afterDrawId, paid),
      drop_cancelled_unpaid: await orderDone(afterDrawId, unpaid),
      window_changed: await orderDone(pausedId, first),
      promoted_by_restock: await orderDone(restockedId, waitlisted),
    },
  };
}
