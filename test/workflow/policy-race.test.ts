import { WorkflowUpdateFailedError } from '@temporalio/client';
import { orderWorkflowId, resolveOrderUpdate } from '../../workflows/definitions';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { dropDriver } from '../helpers/drops';

/**
 * Issue 13, A2 and "a unit that left a node": a support action racing a missed-pickup policy
 * step is refused by name (the order enters the step's state before it acts), and a compartment
 * the entrant opened is never released back into stock, whatever our webhooks said.
 */
describe('the pickup phase under races', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const d = dropDriver(() => stack);

  it('A2 refund: mark_picked_up while the missed-pickup refund is under way is a 409 naming it; the refund completes once', async () => {
    const dropId = 'race-refund';
    const [r] = await d.dropWith(dropId, { regions: ['north'], policy: 'refund', pickupSeconds: 5 });
    await d.pay(await d.orderIn(dropId, r!, ['awaiting_payment']));
    const waiting = await d.orderIn(dropId, r!, ['awaiting_pickup']);
    stack.simulator.setFaults('payments', { latencyMs: 5000 });
    try {
      const stepping = await d.orderIn(dropId, r!, ['refunding_missed_pickup'], 30_000);
      const refused = await d.resolve(stepping.orderId, 'mark_picked_up');
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'invalid_action', details: { stepUnderWay: 'the missed-pickup refund is under way' } });
      expect(refused.body.error.message).toContain('refunding_missed_pickup');
      // The workflow's own validator says the same to a caller that skips the API's check.
      const row = await d.orderRow(waiting.orderId);
      const handle = stack.client.workflow.getHandle(orderWorkflowId(dropId, row.entry_id));
      const direct = await handle.executeUpdate(resolveOrderUpdate, { args: [{ action: 'mark_picked_up', actor: 'support' }] }).catch((e: unknown) => e);
      // Still under way (5 s latency on the refund), or already refunded: refused either way.
      expect(direct).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((direct as WorkflowUpdateFailedError).cause?.message)).toMatch(
        /mark_picked_up is not allowed while the order is (refunding_missed_pickup|refunded)/,
      );
    } finally {
      stack.simulator.setFaults('payments', { latencyMs: 0 });
    }
    const final = await d.orderIn(dropId, r!, ['refunded', 'picked_up'], 60_000);
    expect(final.state).toBe('refunded');
    const row = await d.orderRow(final.orderId);
    expect(row.final_reason).toBe('pickup_expired');
    expect(d.refundsOf(row.payment_intent_id!).map((x) => x.amount)).toEqual([1500]);
    expect(await d.nodeStock(dropId)).toBe(1);
  });

  it('A2 reship: refund while the missed-pickup reship is under way is a 409 naming it; the order ships and nothing is refunded', async () => {
    const dropId = 'race-reship';
    const [r] = await d.dropWith(dropId, { regions: ['north'], policy: 'reship', pickupSeconds: 5 });
    await d.pay(await d.orderIn(dropId, r!, ['awaiting_payment']));
    await d.orderIn(dropId, r!, ['awaiting_pickup']);
    for (const c of ['swiftship', 'parcelnow']) stack.simulator.setFaults(`carrier:${c}`, { latencyMs: 5000 });
    try {
      const stepping = await d.orderIn(dropId, r!, ['reshipping_missed_pickup'], 30_000);
      const refused = await d.resolve(stepping.orderId, 'refund');
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'invalid_action', details: { stepUnderWay: 'the missed-pickup reship is under way' } });
      expect(refused.body.error.message).toContain('reshipping_missed_pickup');
    } finally {
      for (const c of ['swiftship', 'parcelnow']) stack.simulator.setFaults(`carrier:${c}`, { latencyMs: 0 });
    }
    const final = await d.orderIn(dropId, r!, ['shipped', 'refunded'], 60_000);
    expect(final.state).toBe('shipped');
    const row = await d.orderRow(final.orderId);
    expect(d.refundsOf(row.payment_intent_id!)).toHaveLength(0);
    expect(await d.nodeStock(dropId)).toBe(0);
  });

  it('a compartment opened before the deadline whose pickup event never came: picked up, not refunded, its unit not put back', async () => {
    const dropId = 'race-late-pickup';
    const [r] = await d.dropWith(dropId, { regions: ['north'], policy: 'refund', pickupSeconds: 6 });
    await d.pay(await d.orderIn(dropId, r!, ['awaiting_payment']));
    const waiting = await d.orderIn(dropId, r!, ['awaiting_pickup']);
    // The locker's event is lost (it sends none): only the locker itself knows the door opened.
    const target = stack.simulator.lockers.webhookTarget;
    stack.simulator.lockers.webhookTarget = undefined;
    try {
      const opened = stack.simulator.lockers.open(waiting.nodeId, waiting.claimCode);
      expect(opened.status).toBe(200);
      const final = await d.orderIn(dropId, r!, ['picked_up', 'refunded'], 60_000);
      expect(final.state).toBe('picked_up');
    } finally {
      stack.simulator.lockers.webhookTarget = target;
    }
    const row = await d.orderRow(waiting.orderId);
    expect(row.final_reason).toBe('picked_up_at_locker');
    expect(row.stock_held).toBe(true);
    expect(d.refundsOf(row.payment_intent_id!)).toHaveLength(0);
    expect(await d.nodeStock(dropId)).toBe(0);
  });

  it("support's refund racing a pickup the API has not heard of: refused with 409 and the reason, the order is picked up, nothing refunded", async () => {
    const dropId = 'race-refund-pickup';
    const [r] = await d.dropWith(dropId, { regions: ['north'], policy: 'refund', pickupSeconds: 60 });
    await d.pay(await d.orderIn(dropId, r!, ['awaiting_payment']));
    const waiting = await d.orderIn(dropId, r!, ['awaiting_pickup']);
    const target = stack.simulator.lockers.webhookTarget;
    stack.simulator.lockers.webhookTarget = undefined;
    try {
      expect(stack.simulator.lockers.open(waiting.nodeId, waiting.claimCode).status).toBe(200);
      const res = await d.resolve(waiting.orderId, 'refund');
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('invalid_action');
      expect(res.body.error.message).toContain('the entrant opened the compartment before the refund began');
    } finally {
      stack.simulator.lockers.webhookTarget = target;
    }
    const row = await eventually('the order to settle', async () => {
      const o = await d.orderRow(waiting.orderId);
      return o.state === 'picked_up' || o.state === 'refunded' ? o : undefined;
    });
    expect(row.state).toBe('picked_up');
    expect(d.refundsOf(row.payment_intent_id!)).toHaveLength(0);
    expect(await d.nodeStock(dropId)).toBe(0);
  });
});
