import { sql } from 'kysely';
import { issueClaimCode } from '../../src/domain/claim-code';
import { signWebhook } from '../../src/integrations/webhook-signature';
import { PROVIDER_RETRY_WINDOW_SECONDS } from '../../src/services/provider-events/webhook-placement';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { checkOrderInvariants } from '../helpers/invariants';
import { dropDriver } from '../helpers/drops';

/**
 * Issue 13, B1 and its kind: a provider event that arrives before our own write, or after the
 * order moved past the step it reports, is placed by the ids in its metadata and applied, or
 * answered non-2xx so the provider delivers it again (for a day from its creation), or turned
 * into an exception for support: never acknowledged and dropped.
 */
describe('provider events out of time', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const d = dropDriver(() => stack);
  const now = () => Math.floor(Date.now() / 1000);
  const send = (provider: 'payments' | 'carriers' | 'lockers', event: Record<string, unknown>) => {
    const body = JSON.stringify(event);
    return stack.api.call('POST', `/v1/webhooks/${provider}`, {
      rawBody: body,
      headers: { 'x-drops-signature': signWebhook(stack.secrets.webhookSecrets[provider], body, now()) },
    });
  };
  const seen = async (eventId: string) =>
    Number((await sql<{ n: string }>`SELECT count(*) AS n FROM webhook_events WHERE event_id = ${eventId}`.execute(stack.db)).rows[0]!.n);
  const exceptionsOf = (orderId: string, kind: string) =>
    stack.db.selectFrom('exceptions').selectAll().where('order_id', '=', orderId).where('kind', '=', kind).execute();

  it('B1: tracking that overtakes our write of the label id is retried by the carrier and lands: trackingStatus ends delivered', async () => {
    const dropId = 'late-label';
    // "west" has no node: the order ships.
    const [r] = await d.dropWith(dropId, { regions: ['west'], policy: 'refund', pickupSeconds: 20 });
    const awaiting = await d.orderIn(dropId, r!, ['awaiting_payment']);
    stack.simulator.setFaults('carrier:swiftship', { timeoutRate: 1 });
    await d.pay(awaiting);
    await eventually('the label bought at swiftship', async () =>
      [...stack.simulator.carriers.get('swiftship')!.labels.values()].some((l) => l.orderId === awaiting.orderId) ? true : undefined,
    );
    const failedBefore = stack.simulator.webhookSender.failedAttempts;
    // The case: the carrier's answers stay lost until its tracking has overtaken our write and
    // been refused at least once; then they come through again.
    await eventually('an early tracking delivery refused', async () => (stack.simulator.webhookSender.failedAttempts > failedBefore ? true : undefined));
    stack.simulator.setFaults('carrier:swiftship', { timeoutRate: 0 });
    const shipped = await d.orderIn(dropId, r!, ['shipped', 'refunded'], 90_000);
    expect(shipped).toMatchObject({ state: 'shipped', carrier: 'swiftship' });
    const delivered = await eventually(
      'tracking delivered',
      async () => ((await d.status(dropId, r!)).order.trackingStatus === 'delivered' ? true : undefined),
      90_000,
    );
    expect(delivered).toBe(true);
    // The early deliveries were refused (not acknowledged) and retried.
    expect(stack.simulator.webhookSender.failedAttempts).toBeGreaterThan(failedBefore);
    const tracking = await stack.db.selectFrom('events').select('data').where('order_id', '=', shipped.orderId).where('kind', '=', 'order.tracking').execute();
    expect(tracking.length).toBeGreaterThanOrEqual(1);
    expect(await exceptionsOf(shipped.orderId, 'unplaced_provider_event')).toEqual([]);
  });

  it('an event we cannot place yet is answered 409 and not stored as seen; past the retry window it becomes one exception', async () => {
    const order = await stack.db.selectFrom('orders').selectAll().where('drop_id', '=', 'late-label').executeTakeFirstOrThrow();
    const event = (id: string, created: number) => ({
      id,
      type: 'tracking.in_transit',
      created,
      data: { carrier: 'parcelnow', label_id: 'lbl_unknown', metadata: { order_id: 'ord_not_written_yet', drop_id: 'late-label' }, status: 'in_transit' },
    });
    for (const [provider, ev] of [
      ['carriers', event('evt_early_tracking', now())],
      [
        'lockers',
        {
          id: 'evt_early_pickup',
          type: 'pickup.completed',
          created: now(),
          data: { reservation_id: 'rsv_unknown', node_id: 'north-locker', metadata: { order_id: 'ord_not_written_yet', drop_id: 'late-label' } },
        },
      ],
      [
        'payments',
        {
          id: 'evt_early_hold',
          type: 'payment_intent.amount_capturable_updated',
          created: now(),
          data: { object: { id: 'pi_unknown', metadata: { order_id: 'ord_not_written_yet', drop_id: 'late-label' } } },
        },
      ],
      [
        'payments',
        {
          id: 'evt_early_paid',
          type: 'payment_intent.succeeded',
          created: now(),
          data: { object: { id: 'pi_unknown', metadata: { order_id: 'ord_not_written_yet', drop_id: 'late-label' } } },
        },
      ],
    ] as const) {
      const res = await send(provider, ev);
      expect({ provider, status: res.status, code: res.body.error?.code }).toEqual({ provider, status: 409, code: 'event_not_ready' });
      expect(await seen(ev.id)).toBe(0);
    }
    // The same event, still unplaceable a day after it was created: support is told, once.
    const old = event('evt_old_tracking', now() - PROVIDER_RETRY_WINDOW_SECONDS - 60);
    const filed = await send('carriers', old);
    expect(filed.status).toBe(200);
    expect(filed.body.outcome).toBe('exception');
    expect((await send('carriers', old)).body.outcome).toBe('duplicate');
    const rows = await stack.db.selectFrom('exceptions').selectAll().where('dedupe_key', '=', 'webhook:carriers:evt_old_tracking').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'unplaced_provider_event', drop_id: 'late-label', status: 'open' });
    expect(rows[0]!.detail).toContain('tracking.in_transit');
    // An event for a label that is not ours at all (no order in its metadata) is acknowledged.
    const foreign = await send('carriers', {
      id: 'evt_foreign',
      type: 'tracking.delivered',
      created: now(),
      data: { label_id: 'lbl_foreign', status: 'delivered' },
    });
    expect(foreign.body.outcome).toBe('ignored');
    // A stray label of a settled order on the move: support is told (the sweep's own exception).
    const stray = await send('carriers', {
      id: 'evt_stray_moving',
      type: 'tracking.in_transit',
      created: now(),
      data: { carrier: 'parcelnow', label_id: 'lbl_stray', metadata: { order_id: order.order_id, drop_id: 'late-label' }, status: 'in_transit' },
    });
    expect(stray.body.outcome).toBe('exception');
    expect((await exceptionsOf(order.order_id, 'stray_label')).map((e) => e.dedupe_key)).toEqual(['stray-label:parcelnow:lbl_stray']);
  });

  it('a pickup reported after the order settled otherwise becomes an exception, not an acknowledged no-op', async () => {
    const order = await stack.db.selectFrom('orders').selectAll().where('drop_id', '=', 'late-label').executeTakeFirstOrThrow();
    expect(order.state).toBe('shipped');
    const claimCode = issueClaimCode(stack.secrets.claimSecret, { orderId: order.order_id, nodeId: 'north-locker', expiresAt: Date.now() + 60_000 });
    const res = await send('lockers', {
      id: 'evt_pickup_after_ship',
      type: 'pickup.completed',
      created: now(),
      data: { reservation_id: 'rsv_late', node_id: 'north-locker', claim_code: claimCode, metadata: { order_id: order.order_id, drop_id: 'late-label' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('exception');
    const [exception] = await exceptionsOf(order.order_id, 'picked_up_after_settlement');
    expect(exception!.detail).toContain('after the order ended shipped');
    expect(exception!.detail).not.toContain(claimCode);
  });

  it('the drop with the late label settles with every invariant holding', async () => {
    await eventually(
      'late-label to complete',
      async () => ((await stack.api.call('GET', '/v1/drops/late-label', { as: 'ops' })).body.phase === 'completed' ? true : undefined),
      90_000,
    );
    const problems = await checkOrderInvariants(stack, 'late-label');
    expect(problems).toEqual([]);
  });
});
