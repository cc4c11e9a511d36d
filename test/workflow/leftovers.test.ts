import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { dropDriver, type Receipt } from '../helpers/drops';

/**
 * The drop's sweep of provider leftovers (holds not captured, stray labels) once every order is
 * final: a provider that no longer knows one hold must not fail the drop workflow. The hold goes
 * to support as an exception and the drop completes and writes its post-mortem.
 */
describe('provider leftovers the provider refuses to settle', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const d = dropDriver(() => stack);

  it('a hold the provider no longer knows becomes a hold_void_failed exception; the drop still completes', async () => {
    const dropId = 'leftover-unknown-hold';
    await d.launch(dropId, {
      windows: { registrationSeconds: 120, paymentSeconds: 20, pickupSeconds: 3, postMortemDelaySeconds: 0 },
      body: { payment: { mode: 'authorize_at_entry' } },
    });
    const receipts: Receipt[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `leftover-${i}@example.test`, region: 'north' } });
      expect(r.status).toBe(201);
      receipts.push(r.body);
    }
    for (const r of receipts) {
      const hold = await stack.api.call('POST', `/v1/drops/${dropId}/entries/${r.entryId}/authorization`, { headers: { 'x-receipt-secret': r.receiptSecret } });
      expect(hold.status).toBe(200);
      expect((await fetch(hold.body.payLink, { method: 'POST' })).status).toBe(200);
    }
    const holds = () => stack.db.selectFrom('entry_authorizations').selectAll().where('drop_id', '=', dropId).execute();
    await eventually('three holds in place', async () => ((await holds()).filter((h) => h.status === 'authorized').length === 3 ? true : undefined));

    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    // Once the winner's order exists, the provider "forgets" every loser's hold (as after a
    // provider-side data loss): the sweep's retrieve answers 404, a definite no.
    const order = await eventually('the winner order', async () =>
      stack.db.selectFrom('orders').select('entry_id').where('drop_id', '=', dropId).executeTakeFirst(),
    );
    const forgotten = (await holds()).filter((h) => h.entry_id !== order.entry_id).map((h) => h.payment_intent_id);
    expect(forgotten).toHaveLength(2);
    for (const pi of forgotten) stack.simulator.payments.intents.delete(pi);

    await eventually(
      'the drop to complete',
      async () => ((await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === 'completed' ? true : undefined),
      120_000,
    );
    const exceptions = await stack.db.selectFrom('exceptions').selectAll().where('drop_id', '=', dropId).where('kind', '=', 'hold_void_failed').execute();
    expect(exceptions.map((e) => e.dedupe_key).sort()).toEqual(forgotten.map((pi) => `hold-void:${pi}`).sort());
    expect((await stack.api.call('GET', `/v1/drops/${dropId}/report`)).status).toBe(200);
    // The forgotten holds stay open in our records, so reconcile keeps naming them.
    expect((await holds()).filter((h) => forgotten.includes(h.payment_intent_id)).map((h) => h.status)).toEqual(['authorized', 'authorized']);
  });
});
