import type { DropsApiClient } from './api-client';
import { demoDriver, type Receipt } from './drop-driver';

/**
 * Two small drops whose winners take the order saga's other branches, driven through public
 * HTTP and the simulators' controls (`/_sim/...`). Used by `drops record-histories`.
 *
 * - `branches` (pay after win, missed pickup `reship`; region `west` has no node):
 *   shipped (west), reshipped (missed pickup), declined (card declined at the pay page, no other
 *   card tried: final at the pay window's end), and
 *   needs_support: support asks for a refund while the payment provider is down, the
 *   compensation fails, the order waits for support; once the provider is back (and, when
 *   `holdSupportUntil` is given, once it says so) support's next refund finishes it `refunded`.
 *   While that order waits, the drop keeps waiting for its orders to settle, which is where a
 *   drop continues as new.
 * - `holds` (authorize_at_entry, missed pickup `credit`): both holds captured; one winner picks
 *   up (hold captured), the other misses the pickup (credited).
 */
export type OrderBranch = 'shipped' | 'reshipped' | 'declined' | 'needs_support' | 'hold_captured' | 'credited';

export interface OrderBranchesResult {
  /** The drop that waited on a needs_support order (and continued as new when the server suggested it). */
  branchesDropId: string;
  holdsDropId: string;
  byBranch: Record<OrderBranch, { dropId: string; entryId: string; finalState: string }>;
}

export async function runOrderBranches(o: {
  api: DropsApiClient;
  providerUrl: string;
  dropIdPrefix: string;
  /** Resolved once the needs_support order may be finished (e.g. once the drop continued as new). */
  holdSupportUntil?: (branchesDropId: string) => Promise<void>;
  deadlineMs?: number;
}): Promise<OrderBranchesResult> {
  const { api } = o;
  const { until, post, faults, phase, launch, register, close, orderIn, pickUp, final } = demoDriver({
    api,
    providerUrl: o.providerUrl,
    deadline: Date.now() + (o.deadlineMs ?? 600_000),
  });

  // ---- holds: authorize_at_entry, credit policy ----
  const holdsDropId = `${o.dropIdPrefix}-holds`;
  await launch(holdsDropId, {
    units: 2,
    priceCents: 2000,
    nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 2 }],
    windows: { registrationSeconds: 120, paymentSeconds: 20, pickupSeconds: 6, postMortemDelaySeconds: 1 },
    policies: { missedPickup: 'credit' },
    payment: { mode: 'authorize_at_entry' },
  });
  const holders = await register(holdsDropId, ['north', 'north']);
  for (const r of holders) {
    const path = `/v1/drops/${holdsDropId}/entries/${r.entryId}/authorization`;
    const hold = await api.call('POST', path, { headers: { 'x-receipt-secret': r.receiptSecret } });
    if (hold.status !== 200 || !hold.body.payLink) throw new Error(`authorization answered ${hold.status}: ${JSON.stringify(hold.body)}`);
    const page = await post(hold.body.payLink);
    if (page.status !== 200) throw new Error(`hold page answered ${page.status}`);
    await until('the hold', async () =>
      (await api.call('POST', path, { headers: { 'x-receipt-secret': r.receiptSecret } })).body.status === 'authorized' ? true : undefined,
    );
  }
  await close(holdsDropId);
  const [holdPickedUp, holdCredited] = holders as [Receipt, Receipt];
  await pickUp(await orderIn(holdsDropId, holdPickedUp, 'awaiting_pickup'));
  await orderIn(holdsDropId, holdCredited, 'credited');
  await until(`${holdsDropId} completed`, async () => ((await phase(holdsDropId)) === 'completed' ? true : undefined));

  // ---- branches: pay after win, reship policy ----
  const branchesDropId = `${o.dropIdPrefix}-branches`;
  await launch(branchesDropId, {
    units: 4,
    priceCents: 1500,
    nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 4 }],
    // The pickup window outlasts the pay window by a wide margin: the support order must still be
    // awaiting pickup once the declined order is final, and a decline is only final at the pay
    // window's end (patch payment-states), so support's refund cannot start before that.
    windows: { registrationSeconds: 120, paymentSeconds: 30, pickupSeconds: 90, postMortemDelaySeconds: 1 },
    policies: { missedPickup: 'reship' },
  });
  const [shipped, reshipped, declined, support] = (await register(branchesDropId, ['west', 'north', 'north', 'north'])) as [Receipt, Receipt, Receipt, Receipt];
  await close(branchesDropId);
  const payLink = async (r: Receipt) => (await orderIn(branchesDropId, r, 'awaiting_payment')).payLink as string;
  const declinedAt = await post(await payLink(declined), { outcome: 'decline' });
  if (declinedAt.status !== 402) throw new Error(`a declined card answered ${declinedAt.status}`);
  for (const r of [shipped, reshipped, support]) {
    const paid = await post(await payLink(r));
    if (paid.status !== 200) throw new Error(`checkout answered ${paid.status}`);
  }
  const waiting = await orderIn(branchesDropId, support, 'awaiting_pickup');
  // The others are past every payment call before the provider goes down: the declined order
  // cancels its intent at the pay window's end (its decline alone is not final).
  await orderIn(branchesDropId, declined, 'declined');
  await orderIn(branchesDropId, shipped, 'shipped');
  await orderIn(branchesDropId, reshipped, 'awaiting_pickup', 'shipped');
  await faults({ provider: 'payments', down: true });
  try {
    // Answered only once the order has reached needs_support (the refund's retries run out first).
    const asked = api.call('POST', `/v1/orders/${waiting.orderId}/resolve`, {
      as: 'support',
      body: { action: 'refund', reasonCode: 'entrant_request', reason: 'asked at the counter' },
    });
    await orderIn(branchesDropId, support, 'needs_support');
    await asked;
  } finally {
    await faults({ provider: 'payments', down: false });
  }
  await o.holdSupportUntil?.(branchesDropId);
  const resolved = await api.call('POST', `/v1/orders/${waiting.orderId}/resolve`, {
    as: 'support',
    body: { action: 'refund', reasonCode: 'provider_failure', reason: 'provider back' },
  });
  if (resolved.status !== 200 || resolved.body.state !== 'refunded') throw new Error(`resolve answered ${resolved.status}: ${JSON.stringify(resolved.body)}`);
  await orderIn(branchesDropId, shipped, 'shipped');
  await orderIn(branchesDropId, reshipped, 'shipped');
  await orderIn(branchesDropId, declined, 'declined');
  await until(`${branchesDropId} completed`, async () => ((await phase(branchesDropId)) === 'completed' ? true : undefined));

  return {
    branchesDropId,
    holdsDropId,
    byBranch: {
      shipped: await final(branchesDropId, shipped),
      reshipped: await final(branchesDropId, reshipped),
      declined: await final(branchesDropId, declined),
      needs_support: await final(branchesDropId, support),
      hold_captured: await final(holdsDropId, holdPickedUp),
      credited: await final(holdsDropId, holdCredited),
    },
  };
}
