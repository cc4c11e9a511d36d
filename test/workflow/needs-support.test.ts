import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { dropDriver } from '../helpers/drops';

/**
 * An order whose compensation fails waits in needs_support. A support refund that cannot be
 * carried out is refused with the reason (409), never answered 200 as if it had been done; an
 * undo whose object the provider no longer has (a compartment, an intent) is done, not stuck.
 */
describe('needs_support: what support is told', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const d = dropDriver(() => stack);

  it('a support refund the provider cannot carry out is a 409 saying so, each time; the order waits for support with an exception', async () => {
    const dropId = 'ns-refund';
    const [r] = await d.dropWith(dropId, { regions: ['north'], policy: 'refund', pickupSeconds: 120 });
    await d.pay(await d.orderIn(dropId, r!, ['awaiting_payment']));
    const waiting = await d.orderIn(dropId, r!, ['awaiting_pickup']);
    const row = await d.orderRow(waiting.orderId);
    // The provider no longer knows the payment: the refund is a definite no (404), every time.
    stack.simulator.payments.intents.delete(row.payment_intent_id!);

    const first = await d.resolve(waiting.orderId, 'refund');
    expect(first.status).toBe(409);
    expect(first.body.error.code).toBe('invalid_action');
    expect(first.body.error.message).toContain('refund was not carried out');
    expect((await d.orderRow(waiting.orderId)).state).toBe('needs_support');
    const again = await d.resolve(waiting.orderId, 'refund');
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('refund was not carried out');

    const exceptions = await stack.db.selectFrom('exceptions').select(['kind', 'status']).where('order_id', '=', waiting.orderId).execute();
    expect(exceptions).toEqual([expect.objectContaining({ kind: 'compensation_failed' })]);
    expect(d.refundsOf(row.payment_intent_id!)).toEqual([]);
  });

  it('a pay window that ends on an intent the provider no longer knows voids nothing and ends unpaid, telling support', async () => {
    const dropId = 'ns-lost-intent';
    await d.launch(dropId, { windows: { paymentSeconds: 4, postMortemDelaySeconds: 0 }, body: { policies: { missedPickup: 'refund' } } });
    const r = (await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: 'lost-intent@example.org', region: 'north' } })).body;
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    const waiting = await d.orderIn(dropId, r, ['awaiting_payment']);
    const pi = (await d.orderRow(waiting.orderId)).payment_intent_id!;
    stack.simulator.payments.intents.delete(pi);

    const final = await d.orderIn(dropId, r, ['unpaid', 'needs_support'], 60_000);
    expect(final.state).toBe('unpaid');
    const exceptions = await stack.db.selectFrom('exceptions').select(['kind', 'dedupe_key']).where('order_id', '=', waiting.orderId).execute();
    expect(exceptions).toEqual([{ kind: 'payment_record_missing', dedupe_key: `payment-record-missing:${pi}` }]);
    await eventually(
      'the drop to complete',
      async () => ((await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === 'completed' ? true : undefined),
      60_000,
    );
  });
});
