import { mapLimit } from '../../src/demo/api-client';
import { eventually, startTestStack, type TestStack } from '../helpers/context';

const launch = (dropId: string) => ({
  dropId,
  name: 'Intake test drop',
  units: 3,
  priceCents: 500,
  nodes: [{ nodeId: 'north-1', region: 'north', stock: 3 }],
  windows: { registrationSeconds: 300, paymentSeconds: 30, pickupSeconds: 30, postMortemDelaySeconds: 1 },
  tiers: [
    { tier: 'public', weight: 1 },
    { tier: 'gold', weight: 3, requiresPass: true },
  ],
});

describe('registration intake', () => {
  let stack: TestStack;
  const dropId = 'intake-drop';
  const entriesPath = `/v1/drops/${dropId}/entries`;
  const countEntries = async () =>
    Number(
      (
        await stack.db
          .selectFrom('entries')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('drop_id', '=', dropId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    stack = await startTestStack();
    for (const id of [dropId, 'other-drop']) {
      expect((await stack.api.call('POST', '/v1/drops', { as: 'ops', body: launch(id) })).status).toBe(201);
      await eventually(`${id} open`, async () =>
        (await stack.api.call('GET', `/v1/drops/${id}`, { as: 'ops' })).body.phase === 'registration' ? true : undefined,
      );
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps one entry per person under concurrent duplicates, and gives every one the first entry id', async () => {
    const before = await countEntries();
    const answers = await mapLimit(Array.from({ length: 40 }), 40, () =>
      stack.api.call('POST', entriesPath, { body: { email: 'Same.Person@Example.test', region: 'north' } }),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(39);
    expect(new Set(answers.map((a) => a.body.entryId)).size).toBe(1);
    expect(answers.filter((a) => a.body.receiptSecret)).toHaveLength(1);
    expect(await countEntries()).toBe(before + 1);
  });

  it('replays the first answer for the same Idempotency-Key and refuses the key for another request', async () => {
    const body = { email: 'retry@example.test', region: 'north' };
    const first = await stack.api.call('POST', entriesPath, { body, headers: { 'idempotency-key': 'client-key-1' } });
    expect(first.status).toBe(201);
    const replay = await stack.api.call('POST', entriesPath, { body, headers: { 'idempotency-key': 'client-key-1' } });
    expect(replay.status).toBe(201);
    expect(replay.body).toMatchObject({ entryId: first.body.entryId, receiptSecret: first.body.receiptSecret, duplicate: false });
    const before = await countEntries();
    const reused = await stack.api.call('POST', entriesPath, {
      body: { ...body, email: 'someone-else@example.test' },
      headers: { 'idempotency-key': 'client-key-1' },
    });
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(await countEntries()).toBe(before);
    // the receipt secret shows the status; no secret, or a wrong one, is the same 404
    const own = await stack.api.call('GET', `${entriesPath}/${first.body.entryId}`, { headers: { 'x-receipt-secret': first.body.receiptSecret } });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ entryId: first.body.entryId, status: 'registered', tier: 'public', weight: 1 });
    expect((await stack.api.call('GET', `${entriesPath}/${first.body.entryId}`)).status).toBe(404);
    expect((await stack.api.call('GET', `${entriesPath}/${first.body.entryId}`, { headers: { 'x-receipt-secret': 'nope' } })).status).toBe(404);
  });

  it('refuses the same phone number under another e-mail without naming its entry, and keeps contacts off the entry row', async () => {
    const first = await stack.api.call('POST', entriesPath, { body: { email: 'phone-owner@example.test', phone: '+44 20 7946 0000', region: 'north' } });
    expect(first.status).toBe(201);
    const before = await countEntries();
    const again = await stack.api.call('POST', entriesPath, { body: { email: 'another-inbox@example.test', phone: '+44 20-7946-0000', region: 'north' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('phone_already_used');
    expect(JSON.stringify(again.body)).not.toContain(first.body.entryId);
    expect(await countEntries()).toBe(before);
    // a different phone with a fresh e-mail is a different person
    expect((await stack.api.call('POST', entriesPath, { body: { email: 'neighbour@example.test', phone: '+44 20 7946 0001', region: 'north' } })).status).toBe(
      201,
    );
    const contact = await stack.db.selectFrom('entrant_contacts').selectAll().where('entry_id', '=', first.body.entryId).executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ email: 'phone-owner@example.test', phone: '+442079460000' });
    const entry = await stack.db.selectFrom('entries').selectAll().where('entry_id', '=', first.body.entryId).executeTakeFirstOrThrow();
    // the entry row holds keyed hashes only
    expect(Object.keys(entry).filter((k) => /email|^phone$/.test(k))).toEqual([]);
    expect(entry.phone_hash).toHaveLength(32);
    expect(entry.identity_hash).toHaveLength(32);
  });

  it("stores an e-mail with quotes exactly (the batch's JSON literal is escaped)", async () => {
    const email = "O'Brien+'--@example.test";
    const res = await stack.api.call('POST', entriesPath, { body: { email, region: 'north' } });
    expect(res.status).toBe(201);
    const contact = await stack.db.selectFrom('entrant_contacts').select('email').where('entry_id', '=', res.body.entryId).executeTakeFirstOrThrow();
    expect(contact.email).toBe(email.toLowerCase());
  });

  it.each([
    ['malformed JSON', { rawBody: '{"email": "a@b.test", "region": ' }, 400, 'invalid_json'],
    ['an oversized body', { rawBody: JSON.stringify({ email: 'big@example.test', region: 'north', pad: 'x'.repeat(70_000) }) }, 413, 'payload_too_large'],
    ['an unknown field', { body: { email: 'u@example.test', region: 'north', admin: true } }, 400, 'invalid_request'],
    ['a __proto__ key', { rawBody: '{"email":"p@example.test","region":"north","__proto__":{"admin":true}}' }, 400, 'invalid_request'],
    ['a constructor key', { rawBody: '{"email":"c@example.test","region":"north","constructor":{"prototype":{}}}' }, 400, 'invalid_request'],
    ['a bad e-mail', { body: { email: 'not-an-email', region: 'north' } }, 400, 'invalid_request'],
    ['a region with spaces', { body: { email: 'r@example.test', region: 'North Pole' } }, 400, 'invalid_request'],
    ['a JSON array', { rawBody: '[{"email":"a@example.test","region":"north"}]' }, 400, 'invalid_request'],
    [
      'an over-long Idempotency-Key',
      { body: { email: 'k@example.test', region: 'north' }, headers: { 'idempotency-key': 'x'.repeat(300) } },
      400,
      'invalid_request',
    ],
    [
      'a forged pass',
      { body: { email: 'f@example.test', region: 'north', passToken: 'p0123456789abcdef0123.gold.AAAAAAAAAAAAAAAAAAAAAA' } },
      403,
      'invalid_pass',
    ],
  ])('answers %s with a clear 4xx and changes nothing', async (_name, opts, status, code) => {
    const before = await countEntries();
    const res = await stack.api.call('POST', entriesPath, opts as Parameters<TestStack['api']['call']>[2]);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await countEntries()).toBe(before);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('honours ops-issued passes once, for their own drop and tier only', async () => {
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/passes`, { body: { tier: 'gold', count: 2 } })).status).toBe(401);
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/passes`, { as: 'ops', body: { tier: 'public', count: 2 } })).body.error.code).toBe(
      'not_a_pass_tier',
    );
    const issued = await stack.api.call('POST', `/v1/drops/${dropId}/passes`, { as: 'ops', body: { tier: 'gold', count: 2 } });
    expect(issued.status).toBe(201);
    const [token, otherToken] = issued.body.tokens as string[];
    const gold = await stack.api.call('POST', entriesPath, { body: { email: 'vip@example.test', region: 'north', passToken: token } });
    expect(gold.status).toBe(201);
    expect(gold.body.tier).toBe('gold');
    const row = await stack.db.selectFrom('entries').select(['tier', 'weight']).where('entry_id', '=', gold.body.entryId).executeTakeFirstOrThrow();
    expect(row).toEqual({ tier: 'gold', weight: 3 });
    const reused = await stack.api.call('POST', entriesPath, { body: { email: 'friend@example.test', region: 'north', passToken: token } });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('pass_already_used');
    const elsewhere = await stack.api.call('POST', '/v1/drops/other-drop/entries', {
      body: { email: 'vip@example.test', region: 'north', passToken: otherToken },
    });
    expect(elsewhere.status).toBe(403);
  });

  it('loses no acknowledged entry when registrations race the close', async () => {
    const acknowledged: string[] = [];
    const racing = mapLimit(
      Array.from({ length: 400 }, (_, i) => i),
      40,
      async (i) => {
        const res = await stack.api.call('POST', entriesPath, { body: { email: `racer-${i}@example.test`, region: 'north' } });
        if (res.status === 201) acknowledged.push(res.body.entryId);
        else expect([409]).toContain(res.status);
      },
    );
    await new Promise((r) => setTimeout(r, 150));
    const closed = await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' });
    expect(closed.status).toBe(200);
    await racing;
    const late = await stack.api.call('POST', entriesPath, { body: { email: 'late@example.test', region: 'north' } });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('registration_closed');
    const record = await eventually('the draw record', async () => {
      const r = await stack.api.call('GET', `/v1/drops/${dropId}/draw`);
      return r.status === 200 ? r.body : undefined;
    });
    const frozen = new Set((record.entries as Array<{ entryId: string }>).map((e) => e.entryId));
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter((id) => !frozen.has(id))).toEqual([]);
    expect(frozen.size).toBe(await countEntries());
  });
});
