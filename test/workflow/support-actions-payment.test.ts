import { SimulatedPaymentAdapter } from '../../src/integrations/simulator-adapters';
import { isFinalOrderState } from '../../src/domain/order/order-states';
import { reconcileDrop } from '../../src/services/payment/reconcile';
import { dropCancelledUpdate, orderWorkflowId } from '../../workflows/definitions';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { dropDriver, type Receipt } from '../helpers/drops';

/**
 * Issue 14 item 3, the payment side of support's resolve actions: cancel_order (the unit to the
 * next entrant in draw order), the drop's cancellation (nobody promoted, exactly once),
 * retry_payment, partial refunds (a full one later returns only the rest; reconcile stays
 * clean), retry_compensation and close_without_refund in needs_support. Each in an allowed
 * state (effect in the database and the payment simulator, an audit row) and a forbidden one.
 */
describe("support's payment-side actions", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const d = dropDriver(() => stack);

  /** A one-unit drop with `entrants` entrants in the north; the winner and the others (draw order). */
  async function drawn(dropId: string, entrants: number, windows: Record<string, number> = {}) {
    await d.launch(dropId, { windows: { pickupSeconds: 120, ...windows }, body: { policies: { missedPickup: 'refund' } } });
    const receipts: Receipt[] = [];
    for (let i = 0; i < entrants; i++) {
      const r = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `${dropId}-${i}@example.org`, region: 'north' } });
      expect(r.status).toBe(201);
      receipts.push(r.body);
    }
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    return eventually('the winner', async () => {
      const seen = await Promise.all(receipts.map(async (r) => ({ r, s: await d.status(dropId, r) })));
      const winner = seen.find((x) => x.s.order);
      if (!winner || seen.some((x) => x.s.status === 'registered')) return undefined;
      // The others in draw order: the waitlist's order of promotion.
      const others = seen.filter((x) => x !== winner).sort((a, b) => (a.s.drawPosition ?? 1e9) - (b.s.drawPosition ?? 1e9));
      return { winner: winner.r, others: others.map((x) => x.r) };
    });
  }
  const auditOf = async (orderId: string) =>
    (await stack.api.call('GET', `/v1/audit?orderId=${orderId}`, { as: 'ops' })).body.entries as Array<{ action: string; outcome: string; reasonCode: string }>;
  const reconcile = (dropId: string) => reconcileDrop({ db: stack.db, payments: new SimulatedPaymentAdapter(stack.providerUrl) }, dropId);
  /** The order row once the read model has the final state (the Update answers as the workflow reaches it, a moment before). */
  const finalRow = (orderId: string) =>
    eventually(`order ${orderId} final in the read model`, async () => {
      const row = await d.orderRow(orderId);
      return isFinalOrderState(row.state) ? row : undefined;
    });
  const checkout = (payLink: string, outcome?: string) =>
    fetch(payLink, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(outcome ? { outcome } : {}) });

  it('cancel_order while awaiting payment voids the intent, ends cancelled and promotes the next entrant in draw order', async () => {
    const dropId = 'sap-cancel-pay';
    const { winner, others } = await drawn(dropId, 3);
    const order = await d.orderIn(dropId, winner, ['awaiting_payment']);
    const pi = (await d.orderRow(order.orderId)).payment_intent_id!;

    const refused = await d.resolve(order.orderId, 'retry_payment');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('invalid_action');
    expect(refused.body.error.message).toContain('needs a declined attempt');

    const res = await d.resolve(order.orderId, 'cancel_order');
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('cancelled');
    const row = await finalRow(order.orderId);
    expect(row).toMatchObject({ state: 'cancelled', final_reason: expect.stringMatching(/^cancelled_by_support:/) });
    expect(stack.simulator.payments.intents.get(pi)!.status).toBe('canceled');
    // The first of the waitlist (draw order) has the unit; the next one does not.
    expect((await d.orderIn(dropId, others[0]!, ['awaiting_payment'])).state).toBe('awaiting_payment');
    expect((await d.status(dropId, others[1]!)).order ?? null).toBeNull();
    expect(await auditOf(order.orderId)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'cancel_order', outcome: 'ok' }),
        expect.objectContaining({ action: 'retry_payment', outcome: 'refused' }),
      ]),
    );
    // Final: every action is order_final now.
    const late = await d.resolve(order.orderId, 'cancel_order');
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('order_final');
  });

  it('cancel_order while awaiting pickup releases the compartment and the unit, refunds once, and promotes the next entrant', async () => {
    const dropId = 'sap-cancel-pickup';
    const { winner, others } = await drawn(dropId, 2);
    await d.pay(await d.orderIn(dropId, winner, ['awaiting_payment']));
    const waiting = await d.orderIn(dropId, winner, ['awaiting_pickup']);
    expect(await d.nodeStock(dropId)).toBe(0);

    const res = await d.resolve(waiting.orderId, 'cancel_order');
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('cancelled');
    const row = await finalRow(waiting.orderId);
    expect(row).toMatchObject({ state: 'cancelled', stock_held: false, refunded_cents: 1500 });
    expect(d.refundsOf(row.payment_intent_id!).map((x) => x.amount)).toEqual([1500]);
    const rsv = [...stack.simulator.lockers.reservations.values()].find((x) => x.orderId === waiting.orderId)!;
    expect(rsv.status).not.toBe('reserved');
    const promoted = await d.orderIn(dropId, others[0]!, ['awaiting_payment']);
    expect((await d.orderRow(promoted.orderId)).promoted_from_order_id).toBe(waiting.orderId);
    expect(await d.nodeStock(dropId)).toBe(1);
    expect(await auditOf(waiting.orderId)).toEqual([expect.objectContaining({ action: 'cancel_order', outcome: 'ok', reasonCode: 'entrant_request' })]);
    // The order's actions are the drop's too.
    const byDrop = (await stack.api.call('GET', `/v1/audit?dropId=${dropId}&action=cancel_order`, { as: 'ops' })).body.entries;
    expect(byDrop).toEqual([expect.objectContaining({ target: { dropId, orderId: waiting.orderId, exceptionId: null } })]);
  });

  it('cancel_order racing a pickup the API has not heard of: 409 with the reason, the order is picked up, nothing refunded, nobody promoted', async () => {
    const dropId = 'sap-cancel-race';
    const { winner, others } = await drawn(dropId, 2);
    await d.pay(await d.orderIn(dropId, winner, ['awaiting_payment']));
    const waiting = await d.orderIn(dropId, winner, ['awaiting_pickup']);
    const target = stack.simulator.lockers.webhookTarget;
    stack.simulator.lockers.webhookTarget = undefined;
    try {
      expect(stack.simulator.lockers.open(waiting.nodeId, waiting.claimCode).status).toBe(200);
      const res = await d.resolve(waiting.orderId, 'cancel_order');
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('invalid_action');
      expect(res.body.error.message).toContain('the entrant opened the compartment before the cancellation began');
    } finally {
      stack.simulator.lockers.webhookTarget = target;
    }
    const row = await finalRow(waiting.orderId);
    expect(row.state).toBe('picked_up');
    expect(d.refundsOf(row.payment_intent_id!)).toHaveLength(0);
    expect((await d.status(dropId, others[0]!)).order ?? null).toBeNull();
  });

  it('retry_payment after a decline: the old intent voided, a fresh pay link and window; the new link pays the order', async () => {
    const dropId = 'sap-retry';
    const { winner } = await drawn(dropId, 1, { paymentSeconds: 60 });
    const order = await d.orderIn(dropId, winner, ['awaiting_payment']);
    const before = await d.orderRow(order.orderId);
    expect((await checkout(order.payLink, 'decline')).status).toBe(402);
    // The decline reaches the order (its webhook), then support gives a new window of 300 s.
    const res = await eventually('retry_payment accepted', async () => {
      const r = await d.resolve(order.orderId, 'retry_payment', { seconds: 300 });
      return r.status === 409 && String(r.body.error.message).includes('needs a declined attempt') ? undefined : r;
    });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('awaiting_payment');
    const after = await d.orderRow(order.orderId);
    expect(after.payment_intent_id).not.toBe(before.payment_intent_id);
    expect(after.pay_link).not.toBe(before.pay_link);
    expect(new Date(after.pay_deadline!).getTime()).toBeGreaterThan(new Date(before.pay_deadline!).getTime() + 200_000);
    expect(stack.simulator.payments.intents.get(before.payment_intent_id!)!.status).toBe('canceled');
    const fresh = await d.status(dropId, winner);
    expect(fresh.order.payLink).toBe(after.pay_link);
    await d.pay(fresh.order);
    await d.orderIn(dropId, winner, ['awaiting_pickup']);
    // No decline on the new link: refused with the reason, and the action is not allowed in awaiting_pickup.
    const forbidden = await d.resolve(order.orderId, 'retry_payment');
    expect(forbidden.status).toBe(409);
    expect(forbidden.body.error.code).toBe('invalid_action');
    expect(await auditOf(order.orderId)).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'retry_payment', outcome: 'ok' })]));
  });

  it('a partial refund keeps the order awaiting pickup; more than is left is 409 with the amount; a full refund returns the rest; reconcile is clean', async () => {
    const dropId = 'sap-partial';
    const { winner } = await drawn(dropId, 1);
    await d.pay(await d.orderIn(dropId, winner, ['awaiting_payment']));
    const waiting = await d.orderIn(dropId, winner, ['awaiting_pickup']);
    const pi = (await d.orderRow(waiting.orderId)).payment_intent_id!;

    const part = await d.resolve(waiting.orderId, 'refund', { amountCents: 500 });
    expect(part.status).toBe(200);
    expect(part.body.state).toBe('awaiting_pickup');
    expect(await d.orderRow(waiting.orderId)).toMatchObject({ state: 'awaiting_pickup', refunded_cents: 500 });
    expect(d.refundsOf(pi).map((x) => x.amount)).toEqual([500]);
    expect((await d.status(dropId, winner)).order).toMatchObject({ state: 'awaiting_pickup', refundedCents: 500 });

    const tooMuch = await d.resolve(waiting.orderId, 'refund', { amountCents: 1200 });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error).toMatchObject({ code: 'invalid_action', details: { remainingCents: 1000 } });
    expect(d.refundsOf(pi)).toHaveLength(1);

    const second = await d.resolve(waiting.orderId, 'refund', { amountCents: 250 });
    expect(second.status).toBe(200);
    const full = await d.resolve(waiting.orderId, 'refund');
    expect(full.status).toBe(200);
    expect(full.body.state).toBe('refunded');
    expect(d.refundsOf(pi).map((x) => x.amount)).toEqual([500, 250, 750]);
    expect(await finalRow(waiting.orderId)).toMatchObject({ state: 'refunded', refunded_cents: 1500 });
    const report = await reconcile(dropId);
    expect(report.mismatches).toEqual([]);
    expect(report.ledger.refundedCents).toBe(1500);
    const audit = await auditOf(waiting.orderId);
    expect(audit.filter((a) => a.action === 'refund').map((a) => a.outcome)).toEqual(expect.arrayContaining(['ok', 'ok', 'ok', 'refused']));
  });

  it('a partly refunded order that is picked up keeps the rest; reconcile is clean', async () => {
    const dropId = 'sap-partial-kept';
    const { winner } = await drawn(dropId, 1);
    await d.pay(await d.orderIn(dropId, winner, ['awaiting_payment']));
    const waiting = await d.orderIn(dropId, winner, ['awaiting_pickup']);
    expect((await d.resolve(waiting.orderId, 'refund', { amountCents: 300 })).status).toBe(200);
    expect(stack.simulator.lockers.open(waiting.nodeId, waiting.claimCode).status).toBe(200);
    await d.orderIn(dropId, winner, ['picked_up']);
    expect((await reconcile(dropId)).mismatches).toEqual([]);
  });

  it('dropCancelled twice at once: one compensation, one refund, nobody promoted; both answered cancelled; support is then refused', async () => {
    const dropId = 'sap-drop-cancel';
    const { winner, others } = await drawn(dropId, 2);
    await d.pay(await d.orderIn(dropId, winner, ['awaiting_payment']));
    const waiting = await d.orderIn(dropId, winner, ['awaiting_pickup']);
    const row = await d.orderRow(waiting.orderId);
    const handle = stack.client.workflow.getHandle(orderWorkflowId(dropId, row.entry_id));
    const staffId = (await stack.db.selectFrom('staff').select('staff_id').where('role', '=', 'ops').executeTakeFirstOrThrow()).staff_id;
    const cancel = () => handle.executeUpdate(dropCancelledUpdate, { args: [{ staffId, reasonCode: 'ops_decision' }] });
    const answers = await Promise.all([cancel(), cancel()]);
    expect(answers).toEqual([{ state: 'cancelled' }, { state: 'cancelled' }]);
    expect(await finalRow(waiting.orderId)).toMatchObject({ state: 'cancelled', final_reason: `drop_cancelled:${staffId}`, stock_held: false });
    expect(d.refundsOf(row.payment_intent_id!).map((x) => x.amount)).toEqual([1500]);
    expect(await d.nodeStock(dropId)).toBe(1);
    expect((await d.status(dropId, others[0]!)).order ?? null).toBeNull();
    // The workflow has finished: a late copy finds no run, and support's action is order_final.
    expect(await cancel().catch((e: unknown) => e)).toBeInstanceOf(Error);
    expect((await d.resolve(waiting.orderId, 'refund')).body.error.code).toBe('order_final');
  });

  it('dropCancelled while awaiting payment voids the intent and promotes nobody', async () => {
    const dropId = 'sap-drop-cancel-pay';
    const { winner, others } = await drawn(dropId, 2);
    const order = await d.orderIn(dropId, winner, ['awaiting_payment']);
    const row = await d.orderRow(order.orderId);
    const handle = stack.client.workflow.getHandle(orderWorkflowId(dropId, row.entry_id));
    const staffId = (await stack.db.selectFrom('staff').select('staff_id').where('role', '=', 'ops').executeTakeFirstOrThrow()).staff_id;
    expect(await handle.executeUpdate(dropCancelledUpdate, { args: [{ staffId, reasonCode: 'ops_decision' }] })).toEqual({ state: 'cancelled' });
    expect(stack.simulator.payments.intents.get(row.payment_intent_id!)!.status).toBe('canceled');
    expect((await d.status(dropId, others[0]!)).order ?? null).toBeNull();
  });

  it('needs_support: retry_compensation that fails again is a 409; close_without_refund on the failed refund ends it refunded; forbidden elsewhere', async () => {
    const dropId = 'sap-needs-support';
    const { winner } = await drawn(dropId, 1);
    await d.pay(await d.orderIn(dropId, winner, ['awaiting_payment']));
    const waiting = await d.orderIn(dropId, winner, ['awaiting_pickup']);
    const forbidden = await d.resolve(waiting.orderId, 'retry_compensation');
    expect(forbidden.status).toBe(409);
    expect(forbidden.body.error).toMatchObject({ code: 'invalid_action', details: { allowed: expect.arrayContaining(['cancel_order']) } });
    const closeTooEarly = await d.resolve(waiting.orderId, 'close_without_refund');
    expect(closeTooEarly.status).toBe(409);

    const row = await d.orderRow(waiting.orderId);
    // The provider no longer knows the payment: every refund is a definite no.
    const intent = stack.simulator.payments.intents.get(row.payment_intent_id!)!;
    stack.simulator.payments.intents.delete(row.payment_intent_id!);
    expect((await d.resolve(waiting.orderId, 'refund')).status).toBe(409);
    expect((await d.orderRow(waiting.orderId)).state).toBe('needs_support');

    const again = await d.resolve(waiting.orderId, 'retry_compensation');
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('retry_compensation was not carried out');
    const cancel = await d.resolve(waiting.orderId, 'cancel_order');
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('invalid_action');

    const closed = await d.resolve(waiting.orderId, 'close_without_refund');
    expect(closed.status).toBe(200);
    expect(closed.body.state).toBe('refunded');
    const final = await finalRow(waiting.orderId);
    expect(final.final_reason).toMatch(/^closed_without_refund:/);
    stack.simulator.payments.intents.set(intent.id, intent);
    expect(d.refundsOf(intent.id)).toEqual([]);
    const exceptions = await stack.db.selectFrom('exceptions').select(['kind', 'status']).where('order_id', '=', waiting.orderId).execute();
    expect(exceptions).toEqual([expect.objectContaining({ kind: 'compensation_failed', status: 'resolved' })]);
    const audit = await auditOf(waiting.orderId);
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'retry_compensation', outcome: 'refused' }),
        expect.objectContaining({ action: 'close_without_refund', outcome: 'ok' }),
      ]),
    );
  });
});
