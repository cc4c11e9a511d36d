import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderRejectedError, ProviderUnavailableError } from '../../src/integrations/providers';
import { StripePaymentAdapter } from '../../src/integrations/stripe-payment-adapter';

/**
 * The Stripe adapter (official `stripe` SDK) against stripe-mock, Stripe's mock that checks
 * every request against Stripe's OpenAPI spec. A recording proxy in between shows what we send
 * (idempotency keys, parameters) and can answer for Stripe to test our error mapping.
 */
describe('the Stripe payment adapter against stripe-mock', () => {
  const stripeMock = process.env.DROPS_TEST_STRIPE_MOCK_URL!;
  const seen: Array<{ method: string; path: string; idempotencyKey: string | undefined; body: string }> = [];
  let injectStatus: number | null = null;
  let proxy: Server;
  let adapter: StripePaymentAdapter;

  beforeAll(async () => {
    const target = new URL(stripeMock);
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        seen.push({ method: req.method!, path: req.url!, idempotencyKey: req.headers['idempotency-key'] as string | undefined, body });
        if (injectStatus) {
          res.writeHead(injectStatus, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ error: { type: 'api_error', message: 'injected by the test proxy' } }));
        }
        const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    adapter = new StripePaymentAdapter({
      secretKey: 'sk_test_123',
      apiBase: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      payPageUrl: 'https://pay.example.test/checkout',
    });
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
    injectStatus = null;
  });

  it("puts the intent's client secret in the pay link's fragment, never in its query string", async () => {
    const intent = await adapter.createPaymentIntent({
      dropId: 'drop-1',
      orderId: 'ord_e2',
      amountCents: 1500,
      currency: 'usd',
      idempotencyKey: 'drop:drop-1:order:ord_e2:intent:v1',
    });
    const link = new URL(intent.payLink);
    expect(`${link.origin}${link.pathname}`).toBe('https://pay.example.test/checkout');
    // Nothing after `?` (sent to servers, logged); the fragment stays in the browser.
    expect(link.search).toBe('');
    const fragment = new URLSearchParams(link.hash.slice(1));
    expect(fragment.get('payment_intent')).toBe(intent.id);
    expect(fragment.get('client_secret')).toMatch(/_secret_/);
  });

  it('creates a manual-capture intent with our business key and our ids in the metadata', async () => {
    const intent = await adapter.createPaymentIntent({
      dropId: 'drop-1',
      orderId: 'ord_e1',
      amountCents: 1500,
      currency: 'usd',
      captureMethod: 'manual',
      idempotencyKey: 'drop:drop-1:order:ord_e1:intent:v1',
    });
    expect(intent.id).toMatch(/^pi_/);
    expect(intent.amountCents).toBe(1500);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', path: '/v1/payment_intents', idempotencyKey: 'drop:drop-1:order:ord_e1:intent:v1' });
    const params = new URLSearchParams(seen[0]!.body);
    expect(Object.fromEntries(params)).toMatchObject({
      amount: '1500',
      currency: 'usd',
      capture_method: 'manual',
      'metadata[order_id]': 'ord_e1',
      'metadata[drop_id]': 'drop-1',
    });
  });

  it('retrieves, captures, cancels and refunds with a key per business step (accepted by the spec)', async () => {
    const id = (await adapter.createPaymentIntent({ dropId: 'd', orderId: 'o', amountCents: 900, currency: 'usd', idempotencyKey: 'k:intent' })).id;
    expect((await adapter.retrievePaymentIntent(id)).id).toBe(id);
    await adapter.capturePaymentIntent(id, 'k:capture');
    await adapter.cancelPaymentIntent(id, 'k:cancel');
    const refund = await adapter.refund({ paymentIntentId: id, amountCents: 900, idempotencyKey: 'k:refund' });
    expect(refund.refundId).toMatch(/^re_/);
    expect(seen.map((s) => [s.method, s.path.split('?')[0], s.idempotencyKey])).toEqual([
      ['POST', '/v1/payment_intents', 'k:intent'],
      ['GET', `/v1/payment_intents/${id}`, undefined],
      ['POST', `/v1/payment_intents/${id}/capture`, 'k:capture'],
      ['POST', `/v1/payment_intents/${id}/cancel`, 'k:cancel'],
      ['POST', '/v1/refunds', 'k:refund'],
    ]);
    expect(seen[1]!.path).toContain('expand');
  });

  it("lists a drop's payments with Stripe's search by metadata", async () => {
    const listed = await adapter.listDropPayments('drop-7');
    expect(Array.isArray(listed.intents)).toBe(true);
    const search = seen.find((s) => s.path.startsWith('/v1/payment_intents/search'))!;
    expect(decodeURIComponent(search.path.replace(/\+/g, ' '))).toContain("query=metadata['drop_id']:'drop-7'");
  });

  it("maps Stripe's answers to what the saga needs: a definite no, an outage, a transient failure", async () => {
    await expect(adapter.retrievePaymentIntent('no such intent')).rejects.toBeInstanceOf(ProviderRejectedError);
    injectStatus = 503;
    await expect(adapter.retrievePaymentIntent('pi_123')).rejects.toBeInstanceOf(ProviderUnavailableError);
    injectStatus = 500;
    const transient = await adapter.retrievePaymentIntent('pi_123').catch((e: Error) => e);
    expect(transient).toBeInstanceOf(Error);
    expect(transient).not.toBeInstanceOf(ProviderRejectedError);
    expect(transient).not.toBeInstanceOf(ProviderUnavailableError);
    // The SDK's own retries are off: Temporal retries the activity with the same key.
    expect(seen.filter((s) => s.path.startsWith('/v1/payment_intents/pi_123'))).toHaveLength(2);
  });
  it('creates a Checkout Session for an order (the pay page redirects there): our key, our ids on its payment intent, Stripe’s URL back', async () => {
    const session = await adapter.createCheckoutSession({
      dropId: 'drop-1',
      orderId: 'ord_e3',
      amountCents: 1500,
      currency: 'usd',
      productName: 'Drop One',
      successUrl: 'https://drops.example.test/entrant/drop-1/e3/tok',
      cancelUrl: 'https://drops.example.test/entrant/drop-1/e3/tok',
      idempotencyKey: 'drop:drop-1:order:ord_e3:checkout:v1',
    });
    expect(session.url).toMatch(/^https:\/\//);
    expect(session.id).toMatch(/^cs_/);
    const sent = seen.find((s) => s.path === '/v1/checkout/sessions')!;
    expect(sent.idempotencyKey).toBe('drop:drop-1:order:ord_e3:checkout:v1');
    const form = new URLSearchParams(sent.body);
    expect(form.get('mode')).toBe('payment');
    expect(form.get('line_items[0][price_data][unit_amount]')).toBe('1500');
    expect(form.get('payment_intent_data[metadata][order_id]')).toBe('ord_e3');
    expect(form.get('payment_intent_data[metadata][drop_id]')).toBe('drop-1');
  });
});
