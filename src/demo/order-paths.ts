import { DropsApiClient } from './api-client';
import { pollUntil } from '../lib/poll';

/**
 * One small drop whose four winners each take a different path through the order saga:
 * paid and picked up at the locker, never paid, paid but pickup expired (refund policy), and
 * paid then marked picked up by support. Drives only public HTTP. Used by the workflow tests
 * and by `drops record-histories`.
 */
export type OrderPath = 'picked_up' | 'never_paid' | 'pickup_expired' | 'support_marked_picked_up';
export const ORDER_PATHS: OrderPath[] = ['picked_up', 'never_paid', 'pickup_expired', 'support_marked_picked_up'];

export interface OrderPathsResult {
  dropId: string;
  byPath: Record<OrderPath, { entryId: string; orderId: string; finalState: string }>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from over the wire, read field by field
  report: any;
}

export async function runOrderPaths(o: { api: DropsApiClient; providerUrl: string; dropId: string; deadlineMs?: number }): Promise<OrderPathsResult> {
  const { api, dropId } = o;
  const deadline = Date.now() + (o.deadlineMs ?? 120_000);
  const until = <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => pollUntil(what, check, { deadline, intervalMs: 200 });
  const launch = await api.call('POST', '/v1/drops', {
    as: 'ops',
    body: {
      dropId,
      name: 'Order paths',
      units: 4,
      priceCents: 1000,
      nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 4 }],
      windows: { registrationSeconds: 60, paymentSeconds: 6, pickupSeconds: 6, postMortemDelaySeconds: 1 },
    },
  });
  if (launch.status !== 201) throw new Error(`launch answered ${launch.status}: ${JSON.stringify(launch.body)}`);
  const phase = async () => (await api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase as string;
  await until('registration', async () => ((await phase()) === 'registration' ? true : undefined));

  const receipts: Array<{ entryId: string; receiptSecret: string }> = [];
  for (let i = 0; i < 4; i++) {
    const r = await api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `path${i}@example.test`, region: 'north' } });
    if (r.status !== 201) throw new Error(`registration answered ${r.status}`);
    receipts.push(r.body);
  }
  await api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' });

  const status = async (r: { entryId: string; receiptSecret: string }) =>
    (await api.call('GET', `/v1/drops/${dropId}/entries/${r.entryId}`, { headers: { 'x-receipt-secret': r.receiptSecret } })).body;
  const orderIn = (r: (typeof receipts)[number], ...states: string[]) =>
    until(`order of ${r.entryId} in ${states.join('/')}`, async () => {
      const s = await status(r);
      return s.order && states.includes(s.order.state) ? s.order : undefined;
    });

  // Paths by draw rank so the mapping does not depend on luck.
  for (const r of receipts) await orderIn(r, 'awaiting_payment');
  const ranked = await Promise.all(receipts.map(async (r) => ({ r, rank: (await status(r)).drawRank as number })));
  ranked.sort((a, b) => a.rank - b.rank);
  const [pickedUp, neverPaid, expired, support] = ranked.map((x) => x.r) as Array<(typeof receipts)[number]>;
  if (!pickedUp || !neverPaid || !expired || !support) throw new Error('expected four winners');

  for (const r of [pickedUp, expired, support]) {
    const order = await orderIn(r, 'awaiting_payment');
    const res = await fetch(order.payLink, { method: 'POST' });
    if (!res.ok) throw new Error(`checkout answered ${res.status}`);
  }
  const ready = await orderIn(pickedUp, 'awaiting_pickup');
  const opened = await fetch(`${o.providerUrl}/lockers/${ready.nodeId}/open`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ claim_code: ready.claimCode }),
  });
  if (!opened.ok) throw new Error(`locker answered ${opened.status}`);
  const supportOrder = await orderIn(support, 'awaiting_pickup');
  const resolved = await api.call('POST', `/v1/orders/${supportOrder.orderId}/resolve`, {
    as: 'support',
    body: { action: 'mark_picked_up', note: 'handed over at the counter' },
  });
  if (resolved.status !== 200) throw new Error(`resolve answered ${resolved.status}: ${JSON.stringify(resolved.body)}`);

  await until('the post-mortem', async () => ((await phase()) === 'completed' ? true : undefined));
  const final = async (r: (typeof receipts)[number]) => {
    const s = await status(r);
    return { entryId: r.entryId, orderId: s.order.orderId as string, finalState: s.order.state as string };
  };
  const report = (await api.call('GET', `/v1/drops/${dropId}/report`)).body;
  return {
    dropId,
    byPath: {
      picked_up: await final(pickedUp),
      never_paid: await final(neverPaid),
      pickup_expired: await final(expired),
      support_marked_picked_up: await final(support),
    },
    report,
  };
}
