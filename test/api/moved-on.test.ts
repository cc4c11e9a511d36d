import { sql } from 'kysely';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { REASON } from '../helpers/drops';

/**
 * Case A1: ops and support messages to a workflow that has moved on. A real drop with one unit
 * and one entrant who never pays: the order ends unpaid, the drop completes; then every action
 * is a 409 with a stable code, never a 500 and never a 200 that changed nothing.
 */
describe('messages to a drop and an order that have finished', () => {
  let stack: TestStack;
  const dropId = 'moved-on';
  let orderId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const launched = await stack.api.call('POST', '/v1/drops', {
      as: 'ops',
      body: {
        dropId,
        name: 'Moved on',
        units: 1,
        priceCents: 1500,
        nodes: [{ nodeId: 'north-locker', region: 'north', stock: 1 }],
        windows: { registrationSeconds: 600, paymentSeconds: 2, pickupSeconds: 2, postMortemDelaySeconds: 0 },
        tiers: [
          { tier: 'public', weight: 1 },
          { tier: 'member', weight: 2, requiresPass: true },
        ],
      },
    });
    expect(launched.status).toBe(201);
    await eventually('registration open', async () => {
      const { body } = await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' });
      return body.phase === 'registration' ? true : undefined;
    });
    const entry = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: 'ana.kowal@example.org', region: 'north' } });
    expect(entry.status).toBe(201);
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    // The winner lets the pay window lapse: unpaid; nobody to promote; post-mortem; completed.
    await eventually(
      'the drop to complete',
      async () => {
        const { body } = await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' });
        return body.phase === 'completed' ? body : undefined;
      },
      150_000,
    );
    const order = await stack.db.selectFrom('orders').select(['order_id', 'state']).where('drop_id', '=', dropId).executeTakeFirstOrThrow();
    expect(order.state).toBe('unpaid');
    orderId = order.order_id;
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    ['close', undefined],
    ['pause', undefined],
    ['resume', undefined],
    ['extend', { seconds: 60 }],
  ])('answers %s on a completed drop with 409 wrong_phase ("drop is completed")', async (action, body) => {
    const res = await stack.api.call('POST', `/v1/drops/${dropId}/${action}`, { as: 'ops', body });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('wrong_phase');
    expect(res.body.error.message).toContain('drop is completed');
  });

  it('answers 409 wrong_phase when the workflow finished but the read model still shows an earlier phase', async () => {
    // The window between the workflow's last step and our read: the Update finds no workflow.
    await sql`UPDATE drops SET phase = 'registration' WHERE drop_id = ${dropId}`.execute(stack.db);
    try {
      for (const action of ['close', 'pause', 'resume', 'extend']) {
        const res = await stack.api.call('POST', `/v1/drops/${dropId}/${action}`, { as: 'ops', body: action === 'extend' ? { seconds: 60 } : undefined });
        expect({ action, status: res.status, code: res.body.error?.code }).toEqual({ action, status: 409, code: 'wrong_phase' });
      }
    } finally {
      await sql`UPDATE drops SET phase = 'completed' WHERE drop_id = ${dropId}`.execute(stack.db);
    }
  });

  it.each(['refund', 'mark_picked_up'])('answers support resolve %s on a settled order with 409 order_final', async (action) => {
    const res = await stack.api.call('POST', `/v1/orders/${orderId}/resolve`, { as: 'support', body: { action, ...REASON } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('order_final');
    const order = await stack.db.selectFrom('orders').select('state').where('order_id', '=', orderId).executeTakeFirstOrThrow();
    expect(order.state).toBe('unpaid');
  });

  it('answers 409 order_final when the order workflow finished but the read model lags', async () => {
    await sql`UPDATE orders SET state = 'awaiting_pickup' WHERE order_id = ${orderId}`.execute(stack.db);
    try {
      const res = await stack.api.call('POST', `/v1/orders/${orderId}/resolve`, { as: 'support', body: { action: 'refund', ...REASON } });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('order_final');
    } finally {
      await sql`UPDATE orders SET state = 'unpaid' WHERE order_id = ${orderId}`.execute(stack.db);
    }
  });

  it('refuses to issue passes once registration is over (409 wrong_phase), issuing nothing', async () => {
    const res = await stack.api.call('POST', `/v1/drops/${dropId}/passes`, { as: 'ops', body: { tier: 'member', count: 3 } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('wrong_phase');
    expect(res.body.tokens).toBeUndefined();
  });

  it('answers a registration on a completed drop with 409 registration_closed', async () => {
    const late = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: 'late@example.org', region: 'north' } });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('registration_closed');
  });
});
