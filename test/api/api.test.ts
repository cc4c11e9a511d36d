import { signWebhook } from '../../src/integrations/webhook-signature';
import { eventually, startTestStack, type TestStack } from '../helpers/context';

const drop = (dropId: string, overrides: Record<string, unknown> = {}) => ({
  dropId,
  name: 'API test drop',
  units: 2,
  priceCents: 500,
  nodes: [{ nodeId: 'north-1', region: 'north', stock: 2 }],
  windows: { registrationSeconds: 120, paymentSeconds: 30, pickupSeconds: 30, postMortemDelaySeconds: 1 },
  ...overrides,
});

describe('the HTTP API against real Postgres and Temporal', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
    const launched = await stack.api.call('POST', '/v1/drops', { as: 'ops', body: drop('api-drop') });
    expect(launched.status).toBe(201);
    await eventually('api-drop to open registration', async () =>
      (await stack.api.call('GET', '/v1/drops/api-drop', { as: 'ops' })).body.phase === 'registration' ? true : undefined,
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const countDrops = async () =>
    Number(
      (
        await stack.db
          .selectFrom('drops')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  describe('roles', () => {
    it('needs a bearer key for ops routes (401) and the right role (403)', async () => {
      expect((await stack.api.call('POST', '/v1/drops', { body: drop('no-key') })).status).toBe(401);
      const wrongRole = await stack.api.call('POST', '/v1/drops', { as: 'support', body: drop('wrong-role') });
      expect(wrongRole.status).toBe(403);
      expect(wrongRole.body.error.code).toBe('forbidden');
    });
  });

  describe('launching a drop', () => {
    it('is idempotent on the drop id and refuses a different request with that id', async () => {
      const again = await stack.api.call('POST', '/v1/drops', { as: 'ops', body: drop('api-drop') });
      expect(again.status).toBe(200);
      expect(again.body.dropId).toBe('api-drop');
      const different = await stack.api.call('POST', '/v1/drops', { as: 'ops', body: drop('api-drop', { units: 1 }) });
      expect(different.status).toBe(409);
      expect(different.body.error.code).toBe('drop_exists');
    });

    it.each([
      ['an unknown field', drop('bad-1', { surprise: true })],
      ['units above the stock', drop('bad-2', { units: 5 })],
      ['a bad drop id', drop('BAD ID')],
      ['missing windows', { ...drop('bad-3'), windows: undefined }],
    ])('answers 400 invalid_request for %s and creates nothing', async (_name, body) => {
      const before = await countDrops();
      const res = await stack.api.call('POST', '/v1/drops', { as: 'ops', body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(await countDrops()).toBe(before);
    });

    it('publishes the commitment at announce but not the seed', async () => {
      const { body } = await stack.api.call('GET', '/v1/drops/api-drop', { as: 'support' });
      expect(body.commitment).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(body)).not.toMatch(/"seed"/);
      const draw = await stack.api.call('GET', '/v1/drops/api-drop/draw');
      expect(draw.status).toBe(409);
      expect(draw.body.error.code).toBe('draw_not_ready');
    });
  });

  describe('registration', () => {
    it('returns the first receipt to the same identity, and shows status only with the secret', async () => {
      const first = await stack.api.call('POST', '/v1/drops/api-drop/entries', { body: { email: 'Ann@Example.test', region: 'north' } });
      expect(first.status).toBe(201);
      expect(first.body.receiptSecret).toBeTruthy();
      const second = await stack.api.call('POST', '/v1/drops/api-drop/entries', { body: { email: ' ann@example.test', region: 'north' } });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ entryId: first.body.entryId, duplicate: true });
      expect(second.body.receiptSecret).toBeUndefined();

      const path = `/v1/drops/api-drop/entries/${first.body.entryId}`;
      expect((await stack.api.call('GET', path)).status).toBe(404);
      expect((await stack.api.call('GET', path, { headers: { 'x-receipt-secret': 'wrong' } })).status).toBe(404);
      const mine = await stack.api.call('GET', path, { headers: { 'x-receipt-secret': first.body.receiptSecret } });
      expect(mine.status).toBe(200);
      expect(mine.body.status).toBe('registered');
    });

    it.each([
      ['malformed JSON', '{"email": ', 'invalid_json'],
      ['an unknown field', JSON.stringify({ email: 'x@example.test', region: 'north', admin: true }), 'invalid_request'],
      ['a __proto__ key', '{"email":"p@example.test","region":"north","__proto__":{"admin":true}}', 'invalid_request'],
      ['a bad e-mail', JSON.stringify({ email: 'not-an-email', region: 'north' }), 'invalid_request'],
    ])('rejects %s with a 400 and stores nothing', async (_name, rawBody, code) => {
      const before = await stack.db
        .selectFrom('entries')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const res = await stack.api.call('POST', '/v1/drops/api-drop/entries', { rawBody });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
      const after = await stack.db
        .selectFrom('entries')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(after.n).toBe(before.n);
    });

    it('rejects an oversized body with 413', async () => {
      const res = await stack.api.call('POST', '/v1/drops/api-drop/entries', {
        rawBody: JSON.stringify({ email: 'big@example.test', region: 'x'.repeat(100_000) }),
      });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });

    it('answers 404 for an unknown drop', async () => {
      const res = await stack.api.call('POST', '/v1/drops/no-such-drop/entries', { body: { email: 'a@example.test', region: 'north' } });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('drop_not_found');
    });
  });

  describe('support and webhooks', () => {
    it('answers 404 for an unknown order and 400 for an unknown action', async () => {
      const unknown = await stack.api.call('POST', '/v1/orders/ord_nope/resolve', {
        as: 'support',
        body: { action: 'refund', reasonCode: 'entrant_request', reason: 'asked at the desk' },
      });
      expect(unknown.status).toBe(404);
      const badAction = await stack.api.call('POST', '/v1/orders/ord_nope/resolve', { as: 'support', body: { action: 'teleport' } });
      expect(badAction.status).toBe(400);
    });

    it('rejects forged and stale webhooks', async () => {
      const body = JSON.stringify({ id: 'evt_x', type: 'payment_intent.succeeded', data: { object: { id: 'pi_x' } } });
      const now = Math.floor(Date.now() / 1000);
      const forged = await stack.api.call('POST', '/v1/webhooks/payments', {
        rawBody: body,
        headers: { 'x-drops-signature': signWebhook('not-the-secret-at-all', body, now) },
      });
      expect(forged.status).toBe(400);
      expect(forged.body.error.code).toBe('invalid_signature');
      const stale = await stack.api.call('POST', '/v1/webhooks/payments', {
        rawBody: body,
        headers: { 'x-drops-signature': signWebhook(stack.secrets.webhookSecrets.payments, body, now - 3600) },
      });
      expect(stale.status).toBe(400);
      const good = await stack.api.call('POST', '/v1/webhooks/payments', {
        rawBody: body,
        headers: { 'x-drops-signature': signWebhook(stack.secrets.webhookSecrets.payments, body, now) },
      });
      expect(good.status).toBe(200);
      expect(good.body.outcome).toBe('ignored');
    });
  });

  describe('closing registration (an ops Update)', () => {
    it('closes early, then refuses entries with 409 registration_closed and a second close with 409', async () => {
      const closed = await stack.api.call('POST', '/v1/drops/api-drop/close', { as: 'ops' });
      expect(closed.status).toBe(200);
      const late = await stack.api.call('POST', '/v1/drops/api-drop/entries', { body: { email: 'late@example.test', region: 'north' } });
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('registration_closed');
      const again = await stack.api.call('POST', '/v1/drops/api-drop/close', { as: 'ops' });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('wrong_phase');
    });
  });
});
