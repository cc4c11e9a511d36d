import { MockActivityEnvironment } from '@temporalio/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActivityDeps } from '../../activities/deps';
import { createPaymentActivities } from '../../activities/payment/payment-activities';
import { StripePaymentAdapter } from '../../src/integrations/stripe-payment-adapter';

/**
 * Issue 13, C4 and C2 with the Stripe adapter: Stripe answers that stripe-mock cannot give
 * (`processing`, a disputed charge) come from a tiny stub over real HTTP; the payment
 * activities then act on them as the order saga would.
 */
describe('Stripe payment states the saga must not misread', () => {
  const requests: Array<{ method: string; path: string }> = [];
  let answers: Record<string, unknown> = {};
  let server: Server;
  let adapter: StripePaymentAdapter;

  const intent = (status: string, extra: Record<string, unknown> = {}) => ({
    id: 'pi_stub',
    object: 'payment_intent',
    status,
    amount: 1500,
    amount_received: status === 'succeeded' ? 1500 : 0,
    currency: 'usd',
    client_secret: 'pi_stub_secret_x',
    capture_method: 'automatic',
    metadata: { order_id: 'ord_e1', drop_id: 'drop-1' },
    latest_charge: null,
    ...extra,
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = new URL(req.url!, 'http://stub').pathname;
        requests.push({ method: req.method!, path });
        const body = answers[`${req.method} ${path}`];
        if (body === undefined) {
          res.writeHead(400, { 'content-type': 'application/json' });
          return void res.end(
            JSON.stringify({ error: { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message: 'stub: not expected' } }),
          );
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    adapter = new StripePaymentAdapter({
      secretKey: 'sk_test_123',
      apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      payPageUrl: 'https://pay.example.test/checkout',
    });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    requests.length = 0;
    answers = {};
  });

  const activities = () => createPaymentActivities({ payments: adapter, db: undefined, claimSecret: 'x' } as unknown as ActivityDeps);

  it('C4: maps processing to processing, and the window-end cancel waits for the bank instead of failing', async () => {
    answers['GET /v1/payment_intents/pi_stub'] = intent('processing');
    expect((await adapter.retrievePaymentIntent('pi_stub')).status).toBe('processing');

    const result = await new MockActivityEnvironment().run(activities().cancelPaymentIntent, {
      dropId: 'drop-1',
      orderId: 'ord_e1',
      paymentIntentId: 'pi_stub',
    });
    expect(result).toEqual({ outcome: 'processing' });
    // Stripe refuses to cancel a processing payment: we did not ask it to.
    expect(requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('C4: a processing payment that succeeds is reported paid at the window end, not canceled', async () => {
    answers['GET /v1/payment_intents/pi_stub'] = intent('succeeded');
    const result = await new MockActivityEnvironment().run(activities().cancelPaymentIntent, {
      dropId: 'drop-1',
      orderId: 'ord_e1',
      paymentIntentId: 'pi_stub',
    });
    expect(result).toEqual({ outcome: 'already_paid' });
  });

  it('C2: a disputed charge is not refunded; the dispute status is read from Stripe', async () => {
    answers['GET /v1/payment_intents/pi_stub'] = intent('succeeded', {
      latest_charge: { id: 'ch_stub', object: 'charge', amount_refunded: 0, disputed: true },
    });
    answers['GET /v1/disputes'] = {
      object: 'list',
      data: [{ id: 'dp_stub', object: 'dispute', amount: 1500, status: 'under_review', payment_intent: 'pi_stub' }],
      has_more: false,
    };
    const found = await adapter.retrievePaymentIntent('pi_stub');
    expect(found.dispute).toEqual({ id: 'dp_stub', status: 'under_review' });

    const result = await new MockActivityEnvironment().run(activities().refundPayment, {
      dropId: 'drop-1',
      orderId: 'ord_e1',
      paymentIntentId: 'pi_stub',
      amountCents: 1500,
    });
    expect(result).toEqual({ outcome: 'disputed', disputeId: 'dp_stub', disputeStatus: 'under_review' });
    expect(requests.some((r) => r.path === '/v1/refunds')).toBe(false);
  });
});
