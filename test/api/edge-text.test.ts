import { signWebhook } from '../../src/integrations/webhook-signature';
import { eventually, startTestStack, type TestStack } from '../helpers/context';

/**
 * Case D1: text Postgres cannot store (NUL, lone surrogates) and reserved object keys, anywhere
 * we accept a string: a 400 `invalid_request` naming the field, nothing written, never a 500.
 */
describe('text Postgres cannot store, and reserved keys', () => {
  let stack: TestStack;
  const dropId = 'text-drop';
  let entry: { entryId: string; receiptSecret: string };

  const launch = (overrides: Record<string, unknown> = {}) => ({
    dropId,
    name: 'Spring tee',
    units: 1,
    priceCents: 1500,
    nodes: [{ nodeId: 'north-locker', region: 'north', stock: 1 }],
    windows: { registrationSeconds: 600, paymentSeconds: 120, pickupSeconds: 20, postMortemDelaySeconds: 1 },
    ...overrides,
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

  beforeAll(async () => {
    stack = await startTestStack();
    expect((await stack.api.call('POST', '/v1/drops', { as: 'ops', body: launch() })).status).toBe(201);
    await eventually(`${dropId} to open registration`, async () =>
      (await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === 'registration' ? true : undefined,
    );
    const r = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: 'ana.kowal@example.org', region: 'north' } });
    expect(r.status).toBe(201);
    entry = r.body;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // JSON.stringify writes NUL and lone surrogates as \u escapes, exactly as a client would send them.
  it.each([
    ['a NUL in the name', launch({ dropId: 'nul-name', name: 'Spring\u0000tee' }), 'name'],
    ['a lone surrogate in the name', launch({ dropId: 'surrogate-name', name: 'Spring \ud800 tee' }), 'name'],
    ['a lone low surrogate in the name', launch({ dropId: 'low-surrogate', name: 'Spring \udc00 tee' }), 'name'],
    ['a NUL in the beacon', launch({ dropId: 'nul-beacon', beacon: 'round\u0000 42' }), 'beacon'],
    ['a NUL in a node id', launch({ dropId: 'nul-node', nodes: [{ nodeId: 'north\u0000', region: 'north', stock: 1 }] }), 'nodes.0.nodeId'],
  ])('launch with %s is 400 invalid_request naming the field, and creates nothing', async (_what, body, path) => {
    const before = await countDrops();
    const res = await stack.api.call('POST', '/v1/drops', { as: 'ops', body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path })]);
    expect(await countDrops()).toBe(before);
  });

  it.each([
    ['regionQuotas {"__proto__":1}', '"regionQuotas":{"__proto__":1}', 'regionQuotas.__proto__'],
    ['regionQuotas {"constructor":1}', '"regionQuotas":{"constructor":1}', 'regionQuotas.constructor'],
    ['a prototype key at the top', '"prototype":{}', 'prototype'],
  ])('launch with %s is 400 with the path, not a key silently dropped', async (_what, extra, path) => {
    const before = await countDrops();
    const text = JSON.stringify(launch({ dropId: 'proto-quota' }));
    const res = await stack.api.call('POST', '/v1/drops', { as: 'ops', rawBody: `${text.slice(0, -1)},${extra}}` });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path })]);
    expect(await countDrops()).toBe(before);
  });

  it('registration with a NUL in the pass token is 400 naming it, and stores nothing', async () => {
    const before = await stack.db
      .selectFrom('entries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const res = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: 'b@example.org', region: 'north', passToken: 'p\u0000' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'passToken' })]);
    const after = await stack.db
      .selectFrom('entries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it.each([
    ['a NUL', 'Europe/\u0000Berlin'],
    ['a lone surrogate', 'Europe/\ud800'],
    ['a path', '../etc'],
    ['65 characters', `America/${'a'.repeat(57)}`],
    ['nothing', ''],
    ['an unknown zone', 'Mars/Olympus_Mons'],
  ])('registration with %s as its timeZone is 400 invalid_request naming it, and stores nothing', async (_what, timeZone) => {
    const count = async () =>
      (
        await stack.db
          .selectFrom('entries')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n;
    const before = await count();
    const res = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: 'zone@example.org', region: 'north', timeZone } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'timeZone' })]);
    expect(await count()).toBe(before);
  });

  it('registration takes a time zone in any case and stores its canonical name', async () => {
    const res = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: 'tokyo@example.org', region: 'north', timeZone: 'asia/tokyo' } });
    expect(res.status).toBe(201);
    const contact = await stack.db.selectFrom('entrant_contacts').select('time_zone').where('entry_id', '=', res.body.entryId).executeTakeFirstOrThrow();
    expect(contact.time_zone).toBe('Asia/Tokyo');
  });

  it.each([
    ['an entry id', 'GET', (): string => `/v1/drops/${dropId}/entries/ent%00x`, 'entryId'],
    ['an entry id (authorization)', 'POST', (): string => `/v1/drops/${dropId}/entries/ent%00x/authorization`, 'entryId'],
    ['an order id', 'POST', (): string => '/v1/orders/ord%00x/resolve', 'orderId'],
    ['a drop id', 'GET', (): string => '/v1/drops/text%00drop/draw', 'dropId'],
  ] as const)('a NUL in %s (path) is 400 invalid_request naming the parameter', async (_what, method, path, param) => {
    const res = await stack.api.call(method, path(), {
      as: 'support',
      headers: { 'x-receipt-secret': entry.receiptSecret },
      ...(method === 'POST' && { body: { action: 'refund' } }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: param })]);
  });

  it('a path parameter that is not UTF-8 (the bytes of a lone surrogate) is 400 invalid_request', async () => {
    const res = await stack.api.call('GET', `/v1/drops/${dropId}/entries/ent%ED%A0%80`, { headers: { 'x-receipt-secret': entry.receiptSecret } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it('a NUL in the query string is 400 naming the parameter', async () => {
    const res = await stack.api.call('GET', `/v1/drops/${dropId}/entries/${entry.entryId}?secret=a%00b`);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'secret' })]);
  });

  it('a NUL in a support note is 400 naming it', async () => {
    const res = await stack.api.call('POST', '/v1/orders/ord_none/resolve', {
      as: 'support',
      body: { action: 'refund', reasonCode: 'entrant_request', note: 'called\u0000 them' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'note' })]);
  });

  it.each([
    ['a NUL in the event id', { id: 'evt_\u0000nul', type: 'payment_intent.succeeded', data: { object: { id: 'pi_x' } } }, 'id'],
    ['a lone surrogate in the data', { id: 'evt_surrogate', type: 'tracking.delivered', data: { label_id: 'lbl_\ud800' } }, 'data.label_id'],
  ])('a signed webhook with %s is 400 naming the field on every retry, and is not recorded', async (_what, event, path) => {
    const body = JSON.stringify(event);
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await stack.api.call('POST', '/v1/webhooks/payments', {
        rawBody: body,
        headers: { 'x-drops-signature': signWebhook(stack.secrets.webhookSecrets.payments, body, Math.floor(Date.now() / 1000)) },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details).toEqual([expect.objectContaining({ path })]);
    }
    const seen = await stack.db.selectFrom('webhook_events').select('event_id').where('provider', '=', 'payments').execute();
    expect(seen.map((s) => s.event_id)).not.toContain(event.id);
  });

  it('a forged webhook with a NUL is still refused for its signature first', async () => {
    const body = JSON.stringify({ id: 'evt_\u0000', type: 'x', data: {} });
    const res = await stack.api.call('POST', '/v1/webhooks/payments', {
      rawBody: body,
      headers: { 'x-drops-signature': signWebhook('not-the-secret', body, Math.floor(Date.now() / 1000)) },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_signature');
  });

  it('still accepts well-formed text outside the BMP (a surrogate pair) and stores it', async () => {
    const res = await stack.api.call('POST', '/v1/drops', { as: 'ops', body: launch({ dropId: 'emoji-drop', name: 'Spring tee 👕' }) });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('Spring tee 👕');
  });
});
