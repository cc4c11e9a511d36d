import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import type { ActivityDeps } from '../../activities/deps';
import { createFulfillmentActivities } from '../../activities/fulfillment/fulfillment-activities';
import { SIMULATED_CARRIERS } from '../../src/simulators/provider-simulator';
import { checkOrderInvariants } from '../helpers/invariants';
import { issueClaimCode } from '../../src/domain/claim-code';
import { SimulatedCarrierAdapter, SimulatedPaymentAdapter } from '../../src/integrations/simulator-adapters';
import { signWebhook } from '../../src/integrations/webhook-signature';
import { reconcileDrop } from '../../src/services/payment/reconcile';
import { eventually, startTestStack, type TestStack } from '../helpers/context';

/**
 * The order saga's edges on a real Temporal server, a real Postgres and the provider
 * simulators over HTTP: missed-pickup policies, carrier fallback, webhook checks, claim codes
 * and disputes.
 */
describe('the order saga', () => {
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
  const orderIn = (dropId: string, r: Receipt, ...states: string[]) =>
    eventually(`order of ${r.entryId} in ${states.join('/')}`, async () => {
      const s = await status(dropId, r);
      return s.order && states.includes(s.order.state) ? s.order : undefined;
    });

  /** Launches a drop, registers entrants (one per region given), closes it; returns receipts. */
  async function dropWith(dropId: string, o: { regions: string[]; units: number; policy: string; nodes?: unknown[]; pickupSeconds?: number }) {
    const launched = await stack.api.call('POST', '/v1/drops', {
      as: 'ops',
      body: {
        dropId,
        name: dropId,
        units: o.units,
        priceCents: 1500,
        nodes: o.nodes ?? [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: o.units }],
        windows: { registrationSeconds: 120, paymentSeconds: 20, pickupSeconds: o.pickupSeconds ?? 4, postMortemDelaySeconds: 1 },
        policies: { missedPickup: o.policy },
      },
    });
    expect(launched.status).toBe(201);
    await eventually('registration', async () =>
      (await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === 'registration' ? true : undefined,
    );
    const receipts: Receipt[] = [];
    for (const [i, region] of o.regions.entries()) {
      const r = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `${dropId}-${i}@example.test`, region } });
      expect(r.status).toBe(201);
      receipts.push(r.body);
    }
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    return receipts;
  }
  const pay = async (order: { payLink: string }) => expect((await fetch(order.payLink, { method: 'POST' })).status).toBe(200);
  const liveLabels = (orderId: string) =>
    [...stack.simulator.carriers.values()].flatMap((c) => [...c.labels.values()]).filter((l) => l.orderId === orderId && !l.voided);

  it('reship policy: a missed pickup frees the compartment and ships the unit, with exactly one label', async () => {
    const [r] = await dropWith('saga-reship', { regions: ['north'], units: 1, policy: 'reship' });
    await pay(await orderIn('saga-reship', r!, 'awaiting_payment'));
    const final = await orderIn('saga-reship', r!, 'shipped', 'refunded', 'credited');
    expect(final.state).toBe('shipped');
    expect(liveLabels(final.orderId)).toHaveLength(1);
    const reservation = [...stack.simulator.lockers.reservations.values()].find((x) => x.orderId === final.orderId)!;
    expect(reservation.status).toBe('released');
    const row = await stack.db.selectFrom('orders').selectAll().where('order_id', '=', final.orderId).executeTakeFirstOrThrow();
    expect(row.final_reason).toBe('reshipped_after_missed_pickup');
    // The unit left by carrier: the node's stock stays taken and the money stays captured.
    const node = await stack.db.selectFrom('nodes').selectAll().where('drop_id', '=', 'saga-reship').executeTakeFirstOrThrow();
    expect(node.stock_remaining).toBe(0);
    expect(stack.simulator.payments.refunds.filter((x) => x.paymentIntent === row.payment_intent_id)).toHaveLength(0);
  });

  it('credit policy: a missed pickup returns the unit and turns the payment into store credit with an offer, once', async () => {
    const [r] = await dropWith('saga-credit', { regions: ['north'], units: 1, policy: 'credit' });
    await pay(await orderIn('saga-credit', r!, 'awaiting_payment'));
    const final = await orderIn('saga-credit', r!, 'shipped', 'refunded', 'credited');
    expect(final).toMatchObject({ state: 'credited', creditCents: 1500 });
    expect(final.offerCode).toMatch(/^offer_/);
    const postings = await stack.db.selectFrom('ledger_postings').selectAll().where('order_id', '=', final.orderId).orderBy('posting_id').execute();
    expect(postings.map((p) => p.kind)).toEqual(['payment_captured', 'store_credit_issued']);
    const node = await stack.db.selectFrom('nodes').selectAll().where('drop_id', '=', 'saga-credit').executeTakeFirstOrThrow();
    expect(node.stock_remaining).toBe(1);
  });

  it('falls back to the second carrier while the first is down, and buys one label only', async () => {
    stack.simulator.setFaults('carrier:swiftship', { down: true });
    try {
      // "west" has no node: the order ships.
      const [r] = await dropWith('saga-fallback', { regions: ['west'], units: 1, policy: 'refund' });
      await pay(await orderIn('saga-fallback', r!, 'awaiting_payment'));
      const final = await orderIn('saga-fallback', r!, 'shipped', 'refunded');
      expect(final).toMatchObject({ state: 'shipped', carrier: 'parcelnow' });
      expect(liveLabels(final.orderId)).toHaveLength(1);
      // Tracking events arrive by signed webhook and only move forward.
      const delivered = await orderIn('saga-fallback', r!, 'shipped');
      await eventually('tracking delivered', async () => ((await status('saga-fallback', r!)).order.trackingStatus === 'delivered' ? true : undefined));
      expect(delivered.carrier).toBe('parcelnow');
    } finally {
      stack.simulator.setFaults('carrier:swiftship', { down: false });
    }
  });

  it("sweeps a drop's stray labels: voids what can be voided, hands the rest to support, keeps the order's own", async () => {
    // The drop's own sweep has run (it ends before the post-mortem); these strays come after it.
    await eventually('saga-fallback to complete', async () =>
      (await stack.api.call('GET', '/v1/drops/saga-fallback', { as: 'ops' })).body.phase === 'completed' ? true : undefined,
    );
    const order = await stack.db.selectFrom('orders').selectAll().where('drop_id', '=', 'saga-fallback').executeTakeFirstOrThrow();
    expect(order.state).toBe('shipped');
    // Two late purchases for the same order landing at the carrier it used: one already moving.
    const buy = () =>
      fetch(`${stack.providerUrl}/carriers/parcelnow/labels`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ order_id: order.order_id, from_node: 'north-locker', to_region: 'west' }),
      }).then((r) => r.json() as Promise<{ labelId: string }>);
    const moving = await buy();
    const parcelnow = stack.simulator.carriers.get('parcelnow')!;
    await eventually('the stray to move', async () => (parcelnow.labels.get(moving.labelId)!.tracking !== 'label_created' ? true : undefined));
    const idle = await buy();

    const env = new MockActivityEnvironment();
    const activities = createFulfillmentActivities({
      db: stack.db,
      carriers: SIMULATED_CARRIERS.map((c) => new SimulatedCarrierAdapter(stack.providerUrl, c)),
    } as unknown as ActivityDeps);
    const swept = await env.run(activities.voidStrayLabels, { dropId: 'saga-fallback' });
    expect(swept).toEqual({ voided: 1, flagged: 1 });
    expect(parcelnow.labels.get(idle.labelId)!.voided).toBe(true);
    expect(parcelnow.labels.get(moving.labelId)!.voided).toBe(false);
    expect(parcelnow.labels.get(order.label_id!)!.voided).toBe(false);
    const exception = await stack.db
      .selectFrom('exceptions')
      .selectAll()
      .where('order_id', '=', order.order_id)
      .where('kind', '=', 'stray_label')
      .executeTakeFirstOrThrow();
    expect(exception.dedupe_key).toBe(`stray-label:parcelnow:${moving.labelId}`);
    expect(await checkOrderInvariants(stack, 'saga-fallback')).toEqual([]);
  });

  it('authorize_at_entry: holds at registration, captured for winners, voided for everyone else once the drop settles', async () => {
    const dropId = 'saga-authorize';
    const launched = await stack.api.call('POST', '/v1/drops', {
      as: 'ops',
      body: {
        dropId,
        name: dropId,
        units: 2,
        priceCents: 2000,
        nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 2 }],
        windows: { registrationSeconds: 120, paymentSeconds: 20, pickupSeconds: 3, postMortemDelaySeconds: 0 },
        payment: { mode: 'authorize_at_entry' },
      },
    });
    expect(launched.status).toBe(201);
    await eventually('registration', async () =>
      (await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === 'registration' ? true : undefined,
    );
    const receipts: Receipt[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `auth-${i}@example.test`, region: 'north' } });
      receipts.push(r.body);
    }
    const authorize = (r: Receipt, secret = r.receiptSecret) =>
      stack.api.call('POST', `/v1/drops/${dropId}/entries/${r.entryId}/authorization`, { headers: { 'x-receipt-secret': secret } });
    expect((await authorize(receipts[0]!, 'not-the-secret')).status).toBe(404);
    // Three entrants authorise at the provider's page; the fourth opens a hold but never confirms it.
    for (const r of receipts) {
      const first = await authorize(r);
      expect(first.status).toBe(200);
      const again = await authorize(r);
      expect(again.body.status).toBe(first.body.status);
      if (r !== receipts[3]) expect((await fetch(first.body.payLink, { method: 'POST' })).status).toBe(200);
    }
    const holds = () => stack.db.selectFrom('entry_authorizations').selectAll().where('drop_id', '=', dropId).execute();
    expect(await holds()).toHaveLength(4);
    await eventually('three holds in place', async () => ((await holds()).filter((h) => h.status === 'authorized').length === 3 ? true : undefined));

    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    expect((await authorize(receipts[0]!)).body.error.code).toBe('registration_closed');
    await eventually(
      'the drop to complete',
      async () => ((await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === 'completed' ? true : undefined),
      120_000,
    );

    // Two units: two holds captured (an unauthorised winner's unit went down the waitlist).
    const orders = await stack.db.selectFrom('orders').selectAll().where('drop_id', '=', dropId).execute();
    const paidOrders = orders.filter((o) => o.state !== 'unpaid' && o.state !== 'declined');
    expect(paidOrders).toHaveLength(2);
    for (const o of orders.filter((x) => x.state === 'unpaid')) expect(o.final_reason).toBe('not_authorized_at_entry');
    const final = await holds();
    expect(final.filter((h) => h.status === 'captured')).toHaveLength(2);
    expect(final.filter((h) => h.status === 'voided')).toHaveLength(2);
    for (const h of final) {
      const intent = stack.simulator.payments.intents.get(h.payment_intent_id)!;
      expect(intent.status).toBe(h.status === 'captured' ? 'succeeded' : 'canceled');
    }
    const reconciled = await reconcileDrop({ db: stack.db, payments: new SimulatedPaymentAdapter(stack.providerUrl) }, dropId);
    expect(reconciled.mismatches).toEqual([]);
    expect(reconciled).toMatchObject({ reconciled: true, heldAuthorizations: 0 });

    // A drop that takes payment after the draw has no holds to place.
    const [other] = await dropWith('saga-no-holds', { regions: ['north'], units: 1, policy: 'refund' });
    const wrongMode = await stack.api.call('POST', `/v1/drops/saga-no-holds/entries/${other!.entryId}/authorization`, {
      headers: { 'x-receipt-secret': other!.receiptSecret },
    });
    expect(wrongMode.status).toBe(409);
    expect(wrongMode.body.error.code).toBe('wrong_payment_mode');
  });

  describe('webhooks', () => {
    const send = (provider: string, body: string, signature: string) =>
      stack.api.call('POST', `/v1/webhooks/${provider}`, { rawBody: body, headers: { 'x-drops-signature': signature } });
    const now = () => Math.floor(Date.now() / 1000);
    const countEvents = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM webhook_events`.execute(stack.db)).rows[0]!.n);

    it('rejects forged, stale, future-dated and re-serialised deliveries, changing nothing', async () => {
      const secret = stack.secrets.webhookSecrets.payments;
      const body = JSON.stringify({ id: 'evt_checks', type: 'payment_intent.succeeded', data: { object: { id: 'pi_none' } } });
      const before = await countEvents();
      const cases: Array<[string, string, string]> = [
        ['forged', body, signWebhook('whsec_not_the_real_secret', body, now())],
        // A minute past the 5-minute tolerance either way: a request crossing a second boundary cannot flake.
        ['stale', body, signWebhook(secret, body, now() - 360)],
        ['future', body, signWebhook(secret, body, now() + 360)],
        // Same JSON, different bytes: the signature covers the bytes.
        ['mismatch', JSON.stringify(JSON.parse(body), null, 1), signWebhook(secret, body, now())],
      ];
      for (const [reason, sent, signature] of cases) {
        const res = await send('payments', sent, signature);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'invalid_signature', message: expect.stringContaining(reason === 'forged' ? 'mismatch' : reason) });
      }
      expect(await countEvents()).toBe(before);
    });

    it('takes a duplicate once, and a late earlier tracking step changes nothing', async () => {
      const order = await stack.db.selectFrom('orders').selectAll().where('drop_id', '=', 'saga-fallback').executeTakeFirstOrThrow();
      const secret = stack.secrets.webhookSecrets.carriers;
      const event = (id: string, status: string) => JSON.stringify({ id, type: `tracking.${status}`, data: { label_id: order.label_id, status } });
      const late = event('evt_late_transit', 'in_transit');
      const first = await send('carriers', late, signWebhook(secret, late, now()));
      expect(first.body.outcome).toBe('ignored');
      const again = await send('carriers', late, signWebhook(secret, late, now()));
      expect(again.body.outcome).toBe('duplicate');
      const row = await stack.db.selectFrom('orders').select('tracking_status').where('order_id', '=', order.order_id).executeTakeFirstOrThrow();
      expect(row.tracking_status).toBe('delivered');
    });
  });

  describe('claim codes and disputes', () => {
    it('opens once with our code; a used, wrong or forged code is refused and changes nothing', async () => {
      const [a, b] = await dropWith('saga-claims', { regions: ['north', 'north'], units: 2, policy: 'refund', pickupSeconds: 60 });
      for (const r of [a!, b!]) await pay(await orderIn('saga-claims', r, 'awaiting_payment'));
      const orderA = await orderIn('saga-claims', a!, 'awaiting_pickup');
      const orderB = await orderIn('saga-claims', b!, 'awaiting_pickup');
      expect(orderA.claimCode).toMatch(/^dc1\./);
      const door = (nodeId: string, code: string) =>
        fetch(`${stack.providerUrl}/lockers/${nodeId}/open`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ claim_code: code }),
        });
      // A code we never issued (signed with another key) opens nothing.
      const forged = issueClaimCode('claim_someone_elses_key_123', { orderId: orderB.orderId, nodeId: orderB.nodeId, expiresAt: Date.now() + 60_000 });
      expect((await door(orderB.nodeId, forged)).status).toBe(403);
      expect((await door('south-locker', orderA.claimCode)).status).toBe(403);
      expect((await door(orderA.nodeId, orderA.claimCode)).status).toBe(200);
      expect((await door(orderA.nodeId, orderA.claimCode)).status).toBe(403);
      expect((await orderIn('saga-claims', a!, 'picked_up')).state).toBe('picked_up');

      // A locker reporting a pickup with a code we did not sign: refused, and support is told.
      const rsvB = [...stack.simulator.lockers.reservations.values()].find((x) => x.orderId === orderB.orderId)!;
      const body = JSON.stringify({
        id: 'evt_bad_claim',
        type: 'pickup.completed',
        created: Math.floor(Date.now() / 1000),
        data: { reservation_id: rsvB.reservationId, node_id: rsvB.nodeId, order_id: orderB.orderId, claim_code: forged },
      });
      const res = await stack.api.call('POST', '/v1/webhooks/lockers', {
        rawBody: body,
        headers: { 'x-drops-signature': signWebhook(stack.secrets.webhookSecrets.lockers, body, Math.floor(Date.now() / 1000)) },
      });
      expect(res.body.outcome).toBe('rejected');
      const exception = await stack.db.selectFrom('exceptions').selectAll().where('order_id', '=', orderB.orderId).executeTakeFirstOrThrow();
      expect(exception).toMatchObject({ kind: 'claim_code_rejected', status: 'open' });
      expect((await status('saga-claims', b!)).order.state).toBe('awaiting_pickup');

      // A dispute opens one exception with a day's SLA, however often the event is delivered;
      // its close resolves it.
      const rowB = await stack.db.selectFrom('orders').select('payment_intent_id').where('order_id', '=', orderB.orderId).executeTakeFirstOrThrow();
      const dispute = stack.simulator.payments.openDispute(rowB.payment_intent_id!);
      const disputed = await eventually('dispute exception', async () =>
        stack.db.selectFrom('exceptions').selectAll().where('order_id', '=', orderB.orderId).where('kind', '=', 'payment_disputed').executeTakeFirst(),
      );
      const slaHours = (new Date(disputed.sla_deadline).getTime() - new Date(disputed.created_at).getTime()) / 3_600_000;
      expect(slaHours).toBeCloseTo(24, 1);
      stack.simulator.payments.closeDispute(dispute.id, 'won');
      await eventually('dispute resolved', async () => {
        const e = await stack.db.selectFrom('exceptions').select('status').where('exception_id', '=', disputed.exception_id).executeTakeFirstOrThrow();
        return e.status === 'resolved' ? true : undefined;
      });
      const disputeRows = await stack.db
        .selectFrom('exceptions')
        .select('exception_id')
        .where('kind', '=', 'payment_disputed')
        .where('order_id', '=', orderB.orderId)
        .execute();
      expect(disputeRows).toHaveLength(1);
    });
  });
});
