import { eventually, type TestStack } from './context';

/** A winner's receipt: what the entrant holds. */
export type Receipt = { entryId: string; receiptSecret: string };

/** Helpers for tests that drive one small drop through the public API, as a user would. */
/** A reason code and reason, as support sends them with money-moving actions. */
export const REASON = { reasonCode: 'entrant_request', reason: 'asked at the support desk' } as const;

export function dropDriver(stack: () => TestStack) {
  const status = async (dropId: string, r: Receipt) =>
    (await stack().api.call('GET', `/v1/drops/${dropId}/entries/${r.entryId}`, { headers: { 'x-receipt-secret': r.receiptSecret } })).body;
  const orderIn = (dropId: string, r: Receipt, states: string[], timeoutMs = 60_000) =>
    eventually(
      `order of ${r.entryId} in ${states.join('/')}`,
      async () => {
        const s = await status(dropId, r);
        return s.order && states.includes(s.order.state) ? s.order : undefined;
      },
      timeoutMs,
    );

  /**
   * Launches a one-unit drop at `north-locker` (price 1500) and waits for registration to open.
   * `windows` and the rest of `body` override the defaults (windows in seconds).
   */
  async function launch(dropId: string, o: { windows?: Record<string, number>; body?: Record<string, unknown> } = {}) {
    const launched = await stack().api.call('POST', '/v1/drops', {
      as: 'ops',
      body: {
        dropId,
        name: dropId,
        units: 1,
        priceCents: 1500,
        nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 1 }],
        windows: { registrationSeconds: 600, paymentSeconds: 60, pickupSeconds: 60, postMortemDelaySeconds: 1, ...o.windows },
        ...o.body,
      },
    });
    expect(launched.status).toBe(201);
    await eventually('registration', async () =>
      (await stack().api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === 'registration' ? true : undefined,
    );
  }

  /** Launches a one-unit drop at `north-locker` (price 1500), registers one entrant per region, closes it. */
  async function dropWith(dropId: string, o: { regions: string[]; policy: string; pickupSeconds: number }) {
    await launch(dropId, { windows: { pickupSeconds: o.pickupSeconds }, body: { policies: { missedPickup: o.policy } } });
    const receipts: Receipt[] = [];
    for (const [i, region] of o.regions.entries()) {
      const r = await stack().api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `${dropId}-${i}@example.org`, region } });
      expect(r.status).toBe(201);
      receipts.push(r.body);
    }
    expect((await stack().api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    return receipts;
  }
  const pay = async (order: { payLink: string }) => expect((await fetch(order.payLink, { method: 'POST' })).status).toBe(200);
  const orderRow = (orderId: string) => stack().db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
  const nodeStock = async (dropId: string) =>
    (await stack().db.selectFrom('nodes').select('stock_remaining').where('drop_id', '=', dropId).executeTakeFirstOrThrow()).stock_remaining;
  const refundsOf = (paymentIntentId: string) => stack().simulator.payments.refunds.filter((x) => x.paymentIntent === paymentIntentId);
  /** Support's resolve, with the reason every money-moving action needs. */
  const resolve = (orderId: string, action: string, body: Record<string, unknown> = {}) =>
    stack().api.call('POST', `/v1/orders/${orderId}/resolve`, { as: 'support', body: { action, ...REASON, ...body } });
  return { status, orderIn, launch, dropWith, pay, orderRow, nodeStock, refundsOf, resolve };
}
