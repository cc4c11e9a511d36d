import { SimulatedPaymentAdapter } from '../../src/integrations/simulator-adapters';
import { payLinkOf } from '../../src/services/registration/entrant-secrets';
import { eventually, startTestStack, type TestStack } from '../helpers/context';

/**
 * Bearer secrets (pay links and their client secrets, claim codes, receipt secrets, pass tokens,
 * offer codes) and personal data never enter workflow history, where anyone with Temporal UI
 * access would read them, and never ride in a URL's query string. Drops run through pay,
 * pickup, a missed pickup with store credit and a hold placed at entry; then every order and drop
 * workflow's history is searched for the actual values the entrants were given.
 */
describe('secrets stay out of workflow history and query strings', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  type Receipt = { entryId: string; receiptSecret: string };
  /** Every secret or personal value handed out, and every URL seen in an API answer. */
  const secrets = new Map<string, string>();
  const urls = new Set<string>();
  const receipts: Array<{ dropId: string; receipt: Receipt }> = [];
  const keep = (what: string, value: unknown) => {
    expect(typeof value).toBe('string');
    expect((value as string).length).toBeGreaterThan(8);
    secrets.set(value as string, what);
  };
  /** Collects every http(s) URL in an API answer. */
  const collectUrls = (v: unknown): void => {
    if (typeof v === 'string' && /^https?:\/\//.test(v)) urls.add(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(collectUrls);
  };
  const call = async (...args: Parameters<TestStack['api']['call']>) => {
    const res = await stack.api.call(...args);
    collectUrls(res.body);
    return res;
  };

  const status = async (dropId: string, r: Receipt) =>
    (await call('GET', `/v1/drops/${dropId}/entries/${r.entryId}`, { headers: { 'x-receipt-secret': r.receiptSecret } })).body;
  const orderIn = (dropId: string, r: Receipt, ...states: string[]) =>
    eventually(`order of ${r.entryId} in ${states.join('/')}`, async () => {
      const s = await status(dropId, r);
      return s.order && states.includes(s.order.state) ? s.order : undefined;
    });
  const phaseIs = (dropId: string, phase: string, timeoutMs = 60_000) =>
    eventually(
      `${dropId} ${phase}`,
      async () => ((await call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === phase ? true : undefined),
      timeoutMs,
    );
  const launch = async (dropId: string, extra: Record<string, unknown>) => {
    const launched = await call('POST', '/v1/drops', {
      as: 'ops',
      body: {
        dropId,
        name: dropId,
        priceCents: 1500,
        windows: { registrationSeconds: 120, paymentSeconds: 30, pickupSeconds: 8, postMortemDelaySeconds: 1 },
        ...extra,
      },
    });
    expect(launched.status).toBe(201);
    await phaseIs(dropId, 'registration');
  };
  const register = async (dropId: string, body: Record<string, unknown>): Promise<Receipt> => {
    const r = await call('POST', `/v1/drops/${dropId}/entries`, { body });
    expect(r.status).toBe(201);
    keep('receipt secret', r.body.receiptSecret);
    for (const field of ['email', 'phone', 'passToken']) if (body[field] !== undefined) keep(field, body[field]);
    receipts.push({ dropId, receipt: r.body });
    return r.body;
  };
  const pay = async (payLink: string) => expect((await fetch(payLink, { method: 'POST' })).status).toBe(200);
  const openDoor = (nodeId: string, claimCode: string) =>
    fetch(`${stack.providerUrl}/lockers/${nodeId}/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ claim_code: claimCode }),
    });

  /** Every string in a history, with payloads (JSON bytes) decoded, so a secret anywhere shows. */
  const historyText = (v: unknown, out: string[] = []): string[] => {
    if (typeof v === 'string') out.push(v);
    else if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
    else if (v && typeof v === 'object') for (const x of Object.values(v)) historyText(x, out);
    return out;
  };

  it('runs a pay-after-win drop through payment, a locker pickup and a missed pickup turned into store credit, noting every secret handed out', async () => {
    const dropId = 'secrets-pay';
    await launch(dropId, {
      units: 2,
      nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 2 }],
      tiers: [
        { tier: 'public', weight: 1 },
        { tier: 'member', weight: 2, requiresPass: true },
      ],
      policies: { missedPickup: 'credit' },
    });
    const passes = await call('POST', `/v1/drops/${dropId}/passes`, { as: 'ops', body: { tier: 'member', count: 1 } });
    expect(passes.status).toBe(201);
    const passToken = passes.body.tokens[0];
    const picker = await register(dropId, { email: 'ana.kowal@example.org', phone: '+48 601 234 567', region: 'north' });
    const lapser = await register(dropId, { email: 'jon.berg@example.org', region: 'north', passToken });
    expect((await call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);

    for (const r of [picker, lapser]) {
      const order = await orderIn(dropId, r, 'awaiting_payment');
      keep('pay link', order.payLink);
      await pay(order.payLink);
    }
    const [pickerOrder, lapserOrder] = await Promise.all([orderIn(dropId, picker, 'awaiting_pickup'), orderIn(dropId, lapser, 'awaiting_pickup')]);
    keep('claim code', pickerOrder.claimCode);
    keep('claim code', lapserOrder.claimCode);
    // The code shown to the entrant is the one the locker opens for.
    expect((await openDoor(pickerOrder.nodeId, pickerOrder.claimCode)).status).toBe(200);
    expect((await orderIn(dropId, picker, 'picked_up', 'credited', 'refunded')).state).toBe('picked_up');
    const credited = await orderIn(dropId, lapser, 'credited', 'refunded', 'picked_up');
    expect(credited.state).toBe('credited');
    expect(credited.offerCode).toMatch(/^offer_/);
    keep('offer code', credited.offerCode);
    await phaseIs(dropId, 'completed', 120_000);
  });

  it('runs an authorize-at-entry drop through the hold, its capture and a missed pickup, noting every secret handed out', async () => {
    const dropId = 'secrets-hold';
    await launch(dropId, {
      units: 1,
      nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 1 }],
      policies: { missedPickup: 'refund' },
      payment: { mode: 'authorize_at_entry' },
    });
    const r = await register(dropId, { email: 'mia.lund@example.org', region: 'north' });
    const hold = await call('POST', `/v1/drops/${dropId}/entries/${r.entryId}/authorization`, { headers: { 'x-receipt-secret': r.receiptSecret } });
    expect(hold.status).toBe(200);
    keep('hold pay link', hold.body.payLink);
    await pay(hold.body.payLink);
    await eventually('the hold in place', async () => {
      const row = await stack.db.selectFrom('entry_authorizations').selectAll().where('drop_id', '=', dropId).executeTakeFirst();
      return row?.status === 'authorized' ? true : undefined;
    });
    expect((await call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    const order = await orderIn(dropId, r, 'awaiting_pickup');
    keep('claim code', order.claimCode);
    expect((await orderIn(dropId, r, 'refunded', 'picked_up')).state).toBe('refunded');
    await phaseIs(dropId, 'completed', 120_000);
  });

  it('finds no pay link, client secret, claim code, offer code, receipt secret, pass token, e-mail or phone in the history of any order or drop workflow', async () => {
    const dropIds = ['secrets-pay', 'secrets-hold'];
    for (const intent of stack.simulator.payments.intents.values()) {
      if (dropIds.includes(intent.metadata.drop_id!)) keep('client secret', intent.clientSecret);
    }
    const orders = await stack.db.selectFrom('orders').selectAll().where('drop_id', 'in', dropIds).execute();
    expect(orders).toHaveLength(3);
    const workflowIds = [...dropIds.map((d) => `drop:${d}`), ...orders.map((o) => `order:${o.drop_id}:${o.entry_id}`)];
    expect([...secrets.values()].sort()).toEqual(
      expect.arrayContaining(['claim code', 'client secret', 'email', 'hold pay link', 'offer code', 'passToken', 'pay link', 'phone', 'receipt secret']),
    );
    for (const workflowId of workflowIds) {
      const text = historyText(await stack.client.workflow.getHandle(workflowId).fetchHistory()).join('\n');
      // The payloads were decoded: non-secret ids the workflow does carry are found.
      const order = orders.find((o) => workflowId === `order:${o.drop_id}:${o.entry_id}`);
      if (order) expect(text).toContain(order.payment_intent_id);
      const leaked = [...secrets].filter(([value]) => text.includes(value)).map(([, what]) => what);
      expect({ workflowId, leaked }).toEqual({ workflowId, leaked: [] });
    }
  });

  it('hands out no URL that carries a secret in its query string, and takes no receipt secret from one', async () => {
    expect(urls.size).toBeGreaterThanOrEqual(3);
    for (const url of urls) {
      const query = decodeURIComponent(new URL(url).search);
      expect({ url, secrets: [...secrets].filter(([value]) => query.includes(value)).map(([, what]) => what) }).toEqual({ url, secrets: [] });
    }

    // The simulator's checkout pays for the client secret only: an intent id (which history does carry) pays nothing.
    const intent = stack.simulator.payments.intents.values().next().value!;
    const byId = await fetch(`${stack.providerUrl}/payments/checkout/${intent.id}`, { method: 'POST' });
    expect(byId.status).toBe(404);

    // The receipt secret goes in the x-receipt-secret header; the query string is refused, with nothing read.
    for (const { dropId, receipt } of receipts) {
      const path = `/v1/drops/${dropId}/entries/${receipt.entryId}`;
      expect((await stack.api.call('GET', path, { headers: { 'x-receipt-secret': receipt.receiptSecret } })).status).toBe(200);
      const viaQuery = await stack.api.call('GET', `${path}?secret=${encodeURIComponent(receipt.receiptSecret)}`);
      expect({ status: viaQuery.status, code: viaQuery.body?.error?.code }).toEqual({ status: 400, code: 'secret_in_query' });
      const holdViaQuery = await stack.api.call('POST', `${path}/authorization?secret=${encodeURIComponent(receipt.receiptSecret)}`);
      expect({ status: holdViaQuery.status, code: holdViaQuery.body?.error?.code }).toEqual({ status: 400, code: 'secret_in_query' });
    }
  });

  it('shows the pay link of an order whose worker predates the link on the row: asked of the provider once, then kept', async () => {
    // A workflow that made its intent before this change recorded the link in history, not on the row.
    const payments = new SimulatedPaymentAdapter(stack.providerUrl);
    const order = await stack.db.selectFrom('orders').selectAll().where('drop_id', '=', 'secrets-hold').executeTakeFirstOrThrow();
    const intent = await payments.createPaymentIntent({
      dropId: 'secrets-hold',
      orderId: 'ord_legacy',
      amountCents: 1500,
      currency: 'usd',
      idempotencyKey: 'legacy-order-intent',
    });
    const legacy = { ...order, state: 'awaiting_payment' as const, pay_link: null, payment_intent_id: intent.id };
    expect(await payLinkOf({ db: stack.db, payments }, legacy)).toBe(intent.payLink);
    const row = await stack.db.selectFrom('orders').select('pay_link').where('order_id', '=', order.order_id).executeTakeFirstOrThrow();
    expect(row.pay_link).toBe(intent.payLink);
    // Not while the window is closed, whatever the row holds.
    expect(await payLinkOf({ db: stack.db, payments }, { ...legacy, state: 'paid', pay_link: intent.payLink })).toBeNull();
  });
});
