import { Worker } from '@temporalio/worker';
import { sql } from 'kysely';
import { REASON } from '../helpers/drops';
import { WORKFLOWS_PATH } from '../../src/worker/worker';
import { orderWorkflowId } from '../../workflows/definitions';
import { SimulatedPaymentAdapter } from '../../src/integrations/simulator-adapters';
import { reconcileDrop } from '../../src/services/payment/reconcile';
import { eventually, startTestStack, type TestStack } from '../helpers/context';

/**
 * Issue 13, "Payment states the saga does not expect" (cases C1–C5), on a real Temporal server,
 * a real Postgres and the payment simulator over HTTP: a decline inside the pay window, a
 * disputed charge, a hold released before capture, a payment still processing at the window's
 * end, a free drop.
 */
describe('payment states', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  type Receipt = { entryId: string; receiptSecret: string };
  const status = async (dropId: string, r: Receipt) =>
    (await stack.api.call('GET', `/v1/drops/${dropId}/entries/${r.entryId}`, { headers: { 'x-receipt-secret': r.receiptSecret } })).body;
  const orderIn = (dropId: string, r: Receipt, states: string[], timeoutMs = 60_000) =>
    eventually(
      `order of ${r.entryId} in ${states.join('/')}`,
      async () => {
        const s = await status(dropId, r);
        return s.order && states.includes(s.order.state) ? s.order : undefined;
      },
      timeoutMs,
    );
  const orderRow = (orderId: string) => stack.db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
  const checkout = (payLink: string, outcome?: string) =>
    fetch(payLink, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(outcome ? { outcome } : {}) });
  const dropPhase = async (dropId: string) => (await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase;
  const completed = (dropId: string) => eventually(`${dropId} completed`, async () => ((await dropPhase(dropId)) === 'completed' ? true : undefined), 120_000);
  const reconcile = (dropId: string) => reconcileDrop({ db: stack.db, payments: new SimulatedPaymentAdapter(stack.providerUrl) }, dropId);

  const launchBody = (
    dropId: string,
    o: Partial<{ units: number; priceCents: number; paymentSeconds: number; pickupSeconds: number; registrationSeconds: number; mode: string; policy: string }>,
  ) => ({
    dropId,
    name: dropId,
    units: o.units ?? 1,
    priceCents: o.priceCents ?? 1500,
    nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: o.units ?? 1 }],
    windows: {
      registrationSeconds: o.registrationSeconds ?? 120,
      paymentSeconds: o.paymentSeconds ?? 20,
      pickupSeconds: o.pickupSeconds ?? 30,
      postMortemDelaySeconds: 1,
    },
    policies: { missedPickup: o.policy ?? 'refund' },
    payment: { mode: o.mode ?? 'pay_after_win' },
  });
  async function launch(dropId: string, o: Parameters<typeof launchBody>[1]) {
    const launched = await stack.api.call('POST', '/v1/drops', { as: 'ops', body: launchBody(dropId, o) });
    expect(launched.status).toBe(201);
    await eventually('registration', async () => ((await dropPhase(dropId)) === 'registration' ? true : undefined));
  }
  async function register(dropId: string, entrants: number): Promise<Receipt[]> {
    const receipts: Receipt[] = [];
    for (let i = 0; i < entrants; i++) {
      const r = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `${dropId}-${i}@example.test`, region: 'north' } });
      expect(r.status).toBe(201);
      receipts.push(r.body);
    }
    return receipts;
  }
  const close = async (dropId: string) => expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
  /** With more entrants than units: the winner (has an order) and the one left waiting. */
  const winnerOf = (dropId: string, receipts: Receipt[]) =>
    eventually('the winner', async () => {
      const withOrder: Receipt[] = [];
      for (const r of receipts) if ((await status(dropId, r)).order) withOrder.push(r);
      return withOrder.length === 1 ? { winner: withOrder[0]!, other: receipts.find((r) => r !== withOrder[0])! } : undefined;
    });
  const paymentEventsSeen = async () =>
    Number((await sql<{ n: string }>`SELECT count(*) AS n FROM webhook_events WHERE provider = 'payments'`.execute(stack.db)).rows[0]!.n);

  it('C1: a declined attempt is not final — another card inside the window pays the order, and nobody is promoted', async () => {
    const dropId = 'c1-retry';
    await launch(dropId, { paymentSeconds: 60 });
    const receipts = await register(dropId, 2);
    await close(dropId);
    const { winner, other } = await winnerOf(dropId, receipts);
    const order = await orderIn(dropId, winner, ['awaiting_payment']);
    const before = await paymentEventsSeen();
    expect((await checkout(order.payLink, 'decline')).status).toBe(402);
    // The order has heard of the decline (its webhook was delivered) before the second attempt.
    await eventually('the decline delivered', async () => ((await paymentEventsSeen()) > before ? true : undefined));
    expect((await status(dropId, winner)).order.state).toBe('awaiting_payment');
    expect((await checkout(order.payLink)).status).toBe(200);
    await orderIn(dropId, winner, ['awaiting_pickup']);
    expect((await status(dropId, other)).order ?? null).toBeNull();
    const intent = stack.simulator.payments.intents.get((await orderRow(order.orderId)).payment_intent_id!)!;
    expect(intent).toMatchObject({ status: 'succeeded', declines: 1, refunded: 0 });
  });

  it("C1: only the window's end decides a declined order; the unit moves on only then", async () => {
    const dropId = 'c1-declined';
    await launch(dropId, { paymentSeconds: 6 });
    const receipts = await register(dropId, 2);
    await close(dropId);
    const { winner, other } = await winnerOf(dropId, receipts);
    const order = await orderIn(dropId, winner, ['awaiting_payment']);
    expect((await checkout(order.payLink, 'decline')).status).toBe(402);
    const ended = await orderIn(dropId, winner, ['declined', 'unpaid', 'refunded']);
    const row = await orderRow(ended.orderId);
    expect(row).toMatchObject({ state: 'declined', final_reason: 'payment_declined:card_declined' });
    const declinedAt = await stack.db
      .selectFrom('events')
      .select('at')
      .where('order_id', '=', ended.orderId)
      .where('kind', '=', 'order.state')
      .where(sql<boolean>`data->>'state' = 'declined'`)
      .executeTakeFirstOrThrow();
    expect(new Date(declinedAt.at).getTime()).toBeGreaterThanOrEqual(new Date(row.pay_deadline!).getTime());
    expect((await orderIn(dropId, other, ['awaiting_payment'])).state).toBe('awaiting_payment');
  });

  it('C2: a disputed charge is never refunded by us; lost ends the order with the chargeback, won refunds, support can close it; the drop settles', async () => {
    const dropId = 'c2-disputes';
    await launch(dropId, { units: 3, paymentSeconds: 60, pickupSeconds: 10 });
    const [a, b, c] = await register(dropId, 3);
    await close(dropId);
    const disputes: Record<string, string> = {};
    const intents: Record<string, string> = {};
    const orders: Record<string, string> = {};
    for (const [name, r] of [
      ['a', a!],
      ['b', b!],
      ['c', c!],
    ] as const) {
      const o = await orderIn(dropId, r, ['awaiting_payment']);
      expect((await checkout(o.payLink)).status).toBe(200);
      await orderIn(dropId, r, ['awaiting_pickup']);
      orders[name] = o.orderId;
      intents[name] = (await orderRow(o.orderId)).payment_intent_id!;
      const opened = await fetch(`${stack.providerUrl}/_sim/payments/${intents[name]}/dispute`, { method: 'POST' });
      disputes[name] = ((await opened.json()) as { id: string }).id;
    }
    // The pickup windows lapse (policy refund): the units go back, the refunds wait for the bank.
    for (const r of [a!, b!, c!]) await orderIn(dropId, r, ['needs_support'], 60_000);
    const node = await stack.db.selectFrom('nodes').selectAll().where('drop_id', '=', dropId).executeTakeFirstOrThrow();
    expect(node.stock_remaining).toBe(node.stock_total);
    const refundsOf = (name: string) => stack.simulator.payments.refunds.filter((x) => x.paymentIntent === intents[name]);
    for (const name of ['a', 'b', 'c']) expect(refundsOf(name)).toEqual([]);
    const blocked = await stack.db.selectFrom('exceptions').selectAll().where('drop_id', '=', dropId).where('kind', '=', 'refund_blocked_by_dispute').execute();
    expect(blocked.map((e) => e.order_id).sort()).toEqual(Object.values(orders).sort());

    // Support: no refund while the bank decides, but the order can be closed without one.
    const refund = await stack.api.call('POST', `/v1/orders/${orders.a}/resolve`, { as: 'support', body: { action: 'refund', ...REASON } });
    expect(refund.status).toBe(409);
    expect(refund.body.error.message).toContain('disputed');
    const closed = await stack.api.call('POST', `/v1/orders/${orders.a}/resolve`, { as: 'support', body: { action: 'close_without_refund', ...REASON } });
    expect(closed.status).toBe(200);
    expect(closed.body.state).toBe('refunded');
    const finalA = await eventually('a final', async () => (await orderRow(orders.a!)).final_reason ?? undefined);
    // The reason names the staff member's id (resolve Updates carry it since the audit log).
    expect(finalA).toMatch(/^closed_without_refund:stf_[0-9a-f]+$/);

    // Lost: the bank returned the money; ours is not sent again. Won: our refund runs.
    const closeDispute = (name: string, outcome: string) =>
      fetch(`${stack.providerUrl}/_sim/disputes/${disputes[name]}/close`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: outcome }),
      });
    await closeDispute('b', 'lost');
    await closeDispute('c', 'won');
    await closeDispute('a', 'lost');
    await orderIn(dropId, b!, ['refunded']);
    await orderIn(dropId, c!, ['refunded']);
    expect((await orderRow(orders.b!)).final_reason).toBe('dispute_lost');
    expect((await orderRow(orders.c!)).final_reason).toBe('pickup_expired');
    expect(refundsOf('a')).toEqual([]);
    expect(refundsOf('b')).toEqual([]);
    expect(refundsOf('c').map((x) => x.amount)).toEqual([1500]);

    await completed(dropId);
    expect((await stack.api.call('GET', `/v1/drops/${dropId}/report`)).status).toBe(200);
    // One return of money per order: a refund (c) or a chargeback (a, b), in the ledger and at the provider.
    const returns = await stack.db
      .selectFrom('ledger_postings')
      .select(['order_id', 'kind'])
      .where('drop_id', '=', dropId)
      .where('kind', '!=', 'payment_captured')
      .execute();
    expect(returns.map((p) => `${p.order_id}:${p.kind}`).sort()).toEqual(
      [`${orders.a}:payment_charged_back`, `${orders.b}:payment_charged_back`, `${orders.c}:payment_refunded`].sort(),
    );
    await eventually('reconciled', async () => ((await reconcile(dropId)).reconciled ? true : undefined));
    const report = await reconcile(dropId);
    expect(report).toMatchObject({
      mismatches: [],
      provider: { chargedBackCents: 3000, refundedCents: 1500 },
      ledger: { chargedBackCents: 3000, refundedCents: 1500 },
    });
  });

  it('C2 (credit policy): a charge lost to a dispute is not turned into store credit; the order ends with the chargeback', async () => {
    const dropId = 'c2-credit';
    await launch(dropId, { paymentSeconds: 60, pickupSeconds: 6, policy: 'credit' });
    const [r] = await register(dropId, 1);
    await close(dropId);
    const o = await orderIn(dropId, r!, ['awaiting_payment']);
    expect((await checkout(o.payLink)).status).toBe(200);
    await orderIn(dropId, r!, ['awaiting_pickup']);
    const intent = (await orderRow(o.orderId)).payment_intent_id!;
    const dispute = stack.simulator.payments.openDispute(intent);
    stack.simulator.payments.closeDispute(dispute.id, 'lost');
    await orderIn(dropId, r!, ['refunded', 'credited', 'needs_support']);
    expect(await eventually('final reason', async () => (await orderRow(o.orderId)).final_reason ?? undefined)).toBe('dispute_lost');
    const kinds = await stack.db.selectFrom('ledger_postings').select('kind').where('order_id', '=', o.orderId).execute();
    expect(kinds.map((k) => k.kind).sort()).toEqual(['payment_captured', 'payment_charged_back']);
    expect(stack.simulator.payments.refunds.filter((x) => x.paymentIntent === intent)).toEqual([]);
  });

  it('C3: a hold that would expire before its capture is refused at launch and at extend, with the limit named', async () => {
    const refused = await stack.api.call('POST', '/v1/drops', {
      as: 'ops',
      body: launchBody('c3-ten-days', { registrationSeconds: 864_000, mode: 'authorize_at_entry' }),
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'hold_outlives_validity', message: expect.stringContaining('604800') });
    expect((await stack.api.call('GET', '/v1/drops/c3-ten-days', { as: 'ops' })).status).toBe(404);

    const dropId = 'c3-hold';
    await launch(dropId, { registrationSeconds: 120, paymentSeconds: 30, mode: 'authorize_at_entry' });
    const extended = await stack.api.call('POST', `/v1/drops/${dropId}/extend`, { as: 'ops', body: { seconds: 602_000 } });
    expect(extended.status).toBe(422);
    expect(extended.body.error.code).toBe('hold_outlives_validity');
  });

  it('C3: a hold the provider released before capture is asked for again (a pay window), not a silent unpaid', async () => {
    const dropId = 'c3-released';
    await launch(dropId, { registrationSeconds: 120, paymentSeconds: 30, mode: 'authorize_at_entry' });
    const [r] = await register(dropId, 1);
    const hold = await stack.api.call('POST', `/v1/drops/${dropId}/entries/${r!.entryId}/authorization`, { headers: { 'x-receipt-secret': r!.receiptSecret } });
    expect(hold.status).toBe(200);
    expect((await checkout(hold.body.payLink)).status).toBe(200);
    const held = await eventually('the hold in place', async () =>
      stack.db.selectFrom('entry_authorizations').selectAll().where('drop_id', '=', dropId).where('status', '=', 'authorized').executeTakeFirst(),
    );
    // The card network releases the hold before the draw (as after 7 days).
    const released = await fetch(`${stack.providerUrl}/payments/v1/payment_intents/${held.payment_intent_id}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(released.status).toBe(200);
    await close(dropId);
    // Asked again: a pay link and a pay window, as if the drop took payment after the draw.
    const order = await orderIn(dropId, r!, ['awaiting_payment', 'unpaid', 'declined']);
    expect(order.state).toBe('awaiting_payment');
    expect(order.payLink).toBeTruthy();
    expect((await checkout(order.payLink)).status).toBe(200);
    await orderIn(dropId, r!, ['awaiting_pickup']);
    const intent = stack.simulator.payments.intents.get((await orderRow(order.orderId)).payment_intent_id!)!;
    expect(intent).toMatchObject({ status: 'succeeded', amountReceived: 1500 });
  });

  it('C4: a payment still processing when the window ends is waited for — succeeded pays the order, failed declines it', async () => {
    const dropId = 'c4-processing';
    await launch(dropId, { units: 2, paymentSeconds: 5 });
    const [a, b] = await register(dropId, 2);
    await close(dropId);
    const orderA = await orderIn(dropId, a!, ['awaiting_payment']);
    const orderB = await orderIn(dropId, b!, ['awaiting_payment']);
    expect((await checkout(orderA.payLink, 'processing')).status).toBe(200);
    expect((await checkout(orderB.payLink, 'processing')).status).toBe(200);
    const deadline = new Date(orderA.payDeadline).getTime();
    // Well past the window's end both orders are still waiting for the bank, units held.
    await eventually('the window over', async () => (Date.now() > deadline + 3_000 ? true : undefined), 30_000);
    for (const r of [a!, b!]) expect((await status(dropId, r)).order.state).toBe('awaiting_payment');
    const settle = (orderId: string, outcome: string) =>
      orderRow(orderId).then((row) =>
        fetch(`${stack.providerUrl}/_sim/payments/${row.payment_intent_id}/settle`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ outcome }),
        }),
      );
    expect((await settle(orderA.orderId, 'succeeded')).status).toBe(200);
    expect((await settle(orderB.orderId, 'failed')).status).toBe(200);
    await orderIn(dropId, a!, ['awaiting_pickup']);
    await orderIn(dropId, b!, ['declined']);
    expect((await orderRow(orderA.orderId)).final_reason).toBeNull();
    expect((await orderRow(orderB.orderId)).final_reason).toBe('payment_declined:payment_method_failed');
    const intentA = (await orderRow(orderA.orderId)).payment_intent_id!;
    expect(stack.simulator.payments.intents.get(intentA)).toMatchObject({ status: 'succeeded', refunded: 0 });
  });

  it('C5: a free drop skips payment (no intent, no ledger posting) and completes', async () => {
    const dropId = 'c5-free';
    await launch(dropId, { priceCents: 0, pickupSeconds: 60 });
    const [r] = await register(dropId, 1);
    await close(dropId);
    const order = await orderIn(dropId, r!, ['awaiting_pickup', 'needs_support', 'unpaid']);
    expect(order.state).toBe('awaiting_pickup');
    const door = await fetch(`${stack.providerUrl}/lockers/${order.nodeId}/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ claim_code: order.claimCode }),
    });
    expect(door.status).toBe(200);
    await orderIn(dropId, r!, ['picked_up']);
    await completed(dropId);
    expect([...stack.simulator.payments.intents.values()].filter((i) => i.metadata.drop_id === dropId)).toEqual([]);
    expect(await stack.db.selectFrom('ledger_postings').select('posting_id').where('drop_id', '=', dropId).execute()).toEqual([]);
    expect((await reconcile(dropId)).mismatches).toEqual([]);
  });

  it('C5: a card hold on a free drop is refused at launch', async () => {
    const refused = await stack.api.call('POST', '/v1/drops', { as: 'ops', body: launchBody('c5-free-hold', { priceCents: 0, mode: 'authorize_at_entry' }) });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('nothing_to_authorize');
    expect((await stack.api.call('GET', '/v1/drops/c5-free-hold', { as: 'ops' })).status).toBe(404);
  });

  it('replays every order history these cases made (the new payment paths are deterministic)', async () => {
    const orders = await stack.db.selectFrom('orders').select(['drop_id', 'entry_id', 'state']).execute();
    expect(orders.length).toBeGreaterThanOrEqual(10);
    for (const o of orders) {
      const id = orderWorkflowId(o.drop_id, o.entry_id);
      const history = await stack.client.workflow.getHandle(id).fetchHistory();
      await expect(Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, id)).resolves.toBeUndefined();
    }
  });
});
