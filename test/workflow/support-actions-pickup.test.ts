import { signWebhook } from '../../src/integrations/webhook-signature';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { dropDriver, type Receipt } from '../helpers/drops';

/**
 * Issue 14, item 3: support's actions while an order waits at the locker (patch
 * 'pickup-support-actions'): mark_picked_up, reship, extend_pickup, reissue_claim_code and a
 * full refund, each checked in the order row, at the locker and carrier simulators, at the
 * locker's door, at our pickup webhook and in the audit log; refused in a state that does not
 * allow them, and while another support step is under way.
 */
describe("support's actions at the locker", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const d = dropDriver(() => stack);
  const supportId = () => stack.secrets.supportApiKey.split('.')[0]!;

  /** A drop of `n` units at north-locker, `n` entrants from the north, all paid: `n` orders awaiting pickup. */
  async function ordersAtLocker(dropId: string, n: number) {
    await d.launch(dropId, {
      windows: { pickupSeconds: 600 },
      body: { units: n, nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: n }] },
    });
    const receipts: Receipt[] = [];
    for (let i = 0; i < n; i += 1) {
      const r = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `${dropId}-${i}@example.org`, region: 'north' } });
      expect(r.status).toBe(201);
      receipts.push(r.body);
    }
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    for (const r of receipts) await d.pay(await d.orderIn(dropId, r, ['awaiting_payment']));
    const orders = [];
    for (const r of receipts) orders.push({ receipt: r, ...(await d.orderIn(dropId, r, ['awaiting_pickup'])) });
    return orders;
  }

  const door = (nodeId: string, code: string) =>
    fetch(`${stack.providerUrl}/lockers/${nodeId}/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ claim_code: code }),
    });
  const reservationsOf = (orderId: string) => [...stack.simulator.lockers.reservations.values()].filter((x) => x.orderId === orderId);
  const auditOf = async (orderId: string) => (await stack.api.call('GET', `/v1/audit?orderId=${encodeURIComponent(orderId)}`, { as: 'ops' })).body.entries;
  /** A locker pickup event, as the locker signs it, sent to our webhook. */
  const pickupEvent = (id: string, rsv: { reservationId: string; nodeId: string; orderId: string }, claimCode: string) => {
    const body = JSON.stringify({
      id,
      type: 'pickup.completed',
      created: Math.floor(Date.now() / 1000),
      data: { reservation_id: rsv.reservationId, node_id: rsv.nodeId, order_id: rsv.orderId, claim_code: claimCode },
    });
    return stack.api.call('POST', '/v1/webhooks/lockers', {
      rawBody: body,
      headers: { 'x-drops-signature': signWebhook(stack.secrets.webhookSecrets.lockers, body, Math.floor(Date.now() / 1000)) },
    });
  };

  it('each action while awaiting pickup does what it says, answers after it is recorded, and is audited', async () => {
    const dropId = 'pickup-actions';
    const [marked, reshipped, extended, reissued, refunded] = await ordersAtLocker(dropId, 5);

    // mark_picked_up: picked up, the compartment freed, the code no longer opens the door.
    const mark = await d.resolve(marked!.orderId, 'mark_picked_up');
    expect(mark.status).toBe(200);
    expect(mark.body.state).toBe('picked_up');
    const markedRow = await d.orderRow(marked!.orderId);
    expect(markedRow).toMatchObject({ state: 'picked_up', final_reason: `marked_picked_up_by_support:${supportId()}`, stock_held: true });
    expect(reservationsOf(marked!.orderId).map((x) => x.status)).toEqual(['released']);
    expect((await door(marked!.nodeId, marked!.claimCode)).status).toBe(403);

    // reship: the compartment freed, a label from the node, the money kept.
    const reship = await d.resolve(reshipped!.orderId, 'reship');
    expect(reship.status).toBe(200);
    expect(reship.body.state).toBe('shipped');
    const shippedRow = await d.orderRow(reshipped!.orderId);
    expect(shippedRow).toMatchObject({ state: 'shipped', final_reason: `reshipped_by_support:${supportId()}`, stock_held: true });
    const labels = [...stack.simulator.carriers.values()].flatMap((c) => [...c.labels.values()]).filter((l) => l.orderId === reshipped!.orderId);
    expect(labels.map((l) => l.labelId)).toEqual([shippedRow.label_id]);
    expect(reservationsOf(reshipped!.orderId).map((x) => x.status)).toEqual(['released']);
    expect(d.refundsOf(shippedRow.payment_intent_id!)).toHaveLength(0);
    expect((await door(reshipped!.nodeId, reshipped!.claimCode)).status).toBe(403);

    // extend_pickup: a new deadline and a new code; the old code opens nothing, at the door or our webhook.
    const before = Date.now();
    const extend = await d.resolve(extended!.orderId, 'extend_pickup', { seconds: 7200 });
    expect(extend.status).toBe(200);
    expect(extend.body.state).toBe('awaiting_pickup');
    const extendedRow = await d.orderRow(extended!.orderId);
    expect(extendedRow.claim_code_version).toBe(1);
    const deadline = new Date(extendedRow.pickup_deadline!).getTime();
    expect(deadline).toBeGreaterThanOrEqual(before + 7200_000 - 5_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 7200_000);
    const afterExtend = (await d.status(dropId, extended!.receipt)).order;
    expect(afterExtend.state).toBe('awaiting_pickup');
    expect(afterExtend.claimCode).toMatch(/^dc1\./);
    expect(afterExtend.claimCode).not.toBe(extended!.claimCode);
    const [oldRsv, newRsv] = reservationsOf(extended!.orderId);
    expect([oldRsv!.status, newRsv!.status]).toEqual(['released', 'reserved']);
    expect(newRsv!.reservationId).toBe(extendedRow.compartment_reservation_id);
    expect(Date.parse(newRsv!.expiresAt)).toBe(deadline);
    expect((await door(extended!.nodeId, extended!.claimCode)).status).toBe(403);
    const stale = await pickupEvent('evt_stale_claim_extend', oldRsv!, extended!.claimCode);
    expect(stale.body.outcome).toBe('rejected');
    const rejected = await stack.db.selectFrom('exceptions').selectAll().where('order_id', '=', extended!.orderId).executeTakeFirstOrThrow();
    expect(rejected).toMatchObject({ kind: 'claim_code_rejected' });
    expect(rejected.detail).toContain('replaced');
    expect((await d.orderRow(extended!.orderId)).state).toBe('awaiting_pickup');
    expect((await door(extended!.nodeId, afterExtend.claimCode)).status).toBe(200);
    expect((await d.orderIn(dropId, extended!.receipt, ['picked_up'])).state).toBe('picked_up');
    expect((await d.orderRow(extended!.orderId)).final_reason).toBe('picked_up_at_locker');

    // reissue_claim_code: a new code, the same deadline; the old one stops working.
    const reissue = await d.resolve(reissued!.orderId, 'reissue_claim_code');
    expect(reissue.status).toBe(200);
    expect(reissue.body.state).toBe('awaiting_pickup');
    const reissuedRow = await d.orderRow(reissued!.orderId);
    expect(reissuedRow.claim_code_version).toBe(1);
    expect(new Date(reissuedRow.pickup_deadline!).toISOString()).toBe(new Date(reissued!.pickupDeadline).toISOString());
    const afterReissue = (await d.status(dropId, reissued!.receipt)).order;
    expect(afterReissue.claimCode).not.toBe(reissued!.claimCode);
    expect(reservationsOf(reissued!.orderId).map((x) => x.status)).toEqual(['released', 'reserved']);
    expect((await door(reissued!.nodeId, reissued!.claimCode)).status).toBe(403);
    // Reissued again: version 2, and the first replacement stops working too.
    expect((await d.resolve(reissued!.orderId, 'reissue_claim_code')).status).toBe(200);
    const again = (await d.status(dropId, reissued!.receipt)).order;
    expect(new Set([reissued!.claimCode, afterReissue.claimCode, again.claimCode]).size).toBe(3);
    expect((await door(reissued!.nodeId, afterReissue.claimCode)).status).toBe(403);
    expect((await door(reissued!.nodeId, again.claimCode)).status).toBe(200);
    expect((await d.orderIn(dropId, reissued!.receipt, ['picked_up'])).state).toBe('picked_up');

    // A full refund still works inside the loop: the unit goes back, the money too.
    const refund = await d.resolve(refunded!.orderId, 'refund');
    expect(refund.status).toBe(200);
    expect(refund.body.state).toBe('refunded');
    const refundedRow = await d.orderRow(refunded!.orderId);
    expect(refundedRow).toMatchObject({ state: 'refunded', final_reason: `refunded_by_support:${supportId()}`, stock_held: false });
    expect(d.refundsOf(refundedRow.payment_intent_id!).map((x) => x.amount)).toEqual([1500]);
    expect(reservationsOf(refunded!.orderId).map((x) => x.status)).toEqual(['released']);

    // Four units left the node (two picked up at the locker, one marked, one shipped); the refunded one is back.
    expect(await d.nodeStock(dropId)).toBe(1);
    for (const [o, action] of [
      [marked, 'mark_picked_up'],
      [reshipped, 'reship'],
      [extended, 'extend_pickup'],
      [refunded, 'refund'],
    ] as const) {
      const entries = await auditOf(o!.orderId);
      expect(entries).toEqual([expect.objectContaining({ action, outcome: 'ok', actor: expect.objectContaining({ staffId: supportId() }) })]);
    }
    expect((await auditOf(reissued!.orderId)).map((e: { action: string; outcome: string }) => [e.action, e.outcome])).toEqual([
      ['reissue_claim_code', 'ok'],
      ['reissue_claim_code', 'ok'],
    ]);
  });

  it('refuses each pickup action in a state that does not allow it (409 invalid_action, nothing changed, audited as refused)', async () => {
    const dropId = 'pickup-actions-early';
    await d.launch(dropId, { windows: { paymentSeconds: 600 } });
    const r = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `${dropId}@example.org`, region: 'north' } });
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    const waiting = await d.orderIn(dropId, r.body, ['awaiting_payment']);
    for (const [action, body] of [
      ['mark_picked_up', {}],
      ['reship', {}],
      ['extend_pickup', { seconds: 3600 }],
      ['reissue_claim_code', {}],
      ['refund', {}],
    ] as const) {
      const res = await d.resolve(waiting.orderId, action, body);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('invalid_action');
      expect(res.body.error.message).toContain(`${action} is not allowed while the order is awaiting_payment`);
    }
    expect((await d.orderRow(waiting.orderId)).state).toBe('awaiting_payment');
    const entries = await auditOf(waiting.orderId);
    expect(entries.map((e: { outcome: string }) => e.outcome)).toEqual(['refused', 'refused', 'refused', 'refused', 'refused']);
  });

  it('refuses a request racing a step under way by name, and bad extend/refund requests with the reason', async () => {
    const dropId = 'pickup-actions-race';
    const [o] = await ordersAtLocker(dropId, 1);
    // extend_pickup without seconds, or beyond the locker's 7 days; a partial refund larger than what was paid.
    const noSeconds = await d.resolve(o!.orderId, 'extend_pickup');
    expect(noSeconds.status).toBe(409);
    expect(noSeconds.body.error).toMatchObject({ code: 'invalid_action', message: expect.stringContaining('extend_pickup needs seconds') });
    expect((await d.resolve(o!.orderId, 'extend_pickup', { seconds: 7 * 86_400 + 1 })).status).toBe(400);
    const tooMuch = await d.resolve(o!.orderId, 'refund', { amountCents: 100_000 });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error.code).toBe('invalid_action');
    expect((await d.orderRow(o!.orderId)).claim_code_version).toBe(0);

    for (const c of ['swiftship', 'parcelnow']) stack.simulator.setFaults(`carrier:${c}`, { latencyMs: 4000 });
    try {
      const reship = d.resolve(o!.orderId, 'reship');
      await d.orderIn(dropId, o!.receipt, ['reshipping_by_support'], 30_000);
      const raced = await d.resolve(o!.orderId, 'extend_pickup', { seconds: 3600 });
      expect(raced.status).toBe(409);
      expect(raced.body.error).toMatchObject({ code: 'invalid_action', details: { stepUnderWay: "support's reship is under way" } });
      expect(raced.body.error.message).toContain('reshipping_by_support');
      const done = await reship;
      expect(done.status).toBe(200);
      expect(done.body.state).toBe('shipped');
    } finally {
      for (const c of ['swiftship', 'parcelnow']) stack.simulator.setFaults(`carrier:${c}`, { latencyMs: 0 });
    }
    const row = await d.orderRow(o!.orderId);
    expect(row.claim_code_version).toBe(0);
    expect(row.state).toBe('shipped');
  });

  it('a reship racing a pickup the API has not heard of is refused with the reason; the order is picked up, nothing shipped', async () => {
    const dropId = 'pickup-actions-opened';
    const [o] = await ordersAtLocker(dropId, 1);
    const target = stack.simulator.lockers.webhookTarget;
    stack.simulator.lockers.webhookTarget = undefined;
    try {
      expect(stack.simulator.lockers.open(o!.nodeId, o!.claimCode).status).toBe(200);
      const res = await d.resolve(o!.orderId, 'reship');
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('invalid_action');
      expect(res.body.error.message).toContain('the entrant opened the compartment before the reship began');
    } finally {
      stack.simulator.lockers.webhookTarget = target;
    }
    const row = await eventually('the order to settle', async () => {
      const x = await d.orderRow(o!.orderId);
      return x.state === 'picked_up' || x.state === 'shipped' ? x : undefined;
    });
    expect(row).toMatchObject({ state: 'picked_up', final_reason: 'picked_up_at_locker', label_id: null });
    const entries = await auditOf(o!.orderId);
    expect(entries).toEqual([expect.objectContaining({ action: 'reship', outcome: 'refused' })]);
  });
});
