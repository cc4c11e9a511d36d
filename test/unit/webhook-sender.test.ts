import { createServer, type Server } from 'node:http';
import { WebhookSender } from '../../src/simulators/webhook-sender';
import { eventually } from '../helpers/context';

/** The simulators deliver webhooks as providers do: non-2xx is retried with backoff, within a bounded window. */
describe("the simulators' webhook sender", () => {
  let server: Server;
  let url = '';
  const answers: number[] = [];
  const arrivals: number[] = [];
  let bodies: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        arrivals.push(Date.now());
        bodies.push(body);
        res.statusCode = answers.shift() ?? 200;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    arrivals.length = 0;
    answers.length = 0;
    bodies = [];
  });

  it('retries 409 and 5xx answers with growing waits until a 2xx, the event (and its creation time) unchanged', async () => {
    const sender = new WebhookSender({ retryWindowMs: 60_000, initialBackoffMs: 100, maxBackoffMs: 1_000 });
    answers.push(409, 500, 503);
    sender.send({ url, secret: 'whsec_test' }, { id: 'evt_1', type: 'tracking.delivered', data: {} });
    await sender.drain();
    expect(arrivals).toHaveLength(4);
    expect(sender.delivered).toBe(1);
    expect(sender.failedAttempts).toBe(3);
    // Each wait is at least its backoff, doubling from 100 ms (lower bounds: a busy machine only adds time).
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    [100, 200, 400].forEach((backoffMs, i) => expect(gaps[i]!).toBeGreaterThanOrEqual(backoffMs - 5));
    expect(new Set(bodies).size).toBe(1);
    sender.stop();
  });

  it("gives up once the retry window from the event's creation has passed", async () => {
    const sender = new WebhookSender({ retryWindowMs: 500, initialBackoffMs: 100, maxBackoffMs: 200 });
    answers.push(...Array.from({ length: 50 }, () => 500));
    sender.send({ url, secret: 'whsec_test' }, { id: 'evt_2', type: 'tracking.delivered', data: {} });
    await sender.drain();
    expect(sender.delivered).toBe(0);
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeLessThan(1_500);
    sender.stop();
  });

  it('stop() ends a retry that is waiting', async () => {
    const sender = new WebhookSender({ retryWindowMs: 3_600_000, initialBackoffMs: 60_000, maxBackoffMs: 60_000 });
    answers.push(500);
    sender.send({ url, secret: 'whsec_test' }, { id: 'evt_3', type: 'tracking.delivered', data: {} });
    await eventually('the first attempt', async () => (arrivals.length === 1 ? true : undefined), 5_000);
    const started = Date.now();
    sender.stop();
    await sender.drain();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
