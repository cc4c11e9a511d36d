import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createApp } from '../../api/app';
import type { PaymentProvider } from '../../src/integrations/providers';
import { createDb, migrateToLatest, type Db } from '../../src/db/connection';
import { insertDrop } from '../../src/db/repositories/drops';
import { DropsApiClient } from '../../src/demo/api-client';
import { ensureDatabase } from '../../src/devstack/postgres';
import { PROJECT_ROOT } from '../../src/devstack/stack';
import { signWebhook } from '../../src/integrations/webhook-signature';
import type { DevSecrets } from '../../src/devstack/secrets';
import { eventually, testSecrets, installTestStaff } from '../helpers/context';

/**
 * Case F1: liveness and readiness, and every route's answer while Postgres or Temporal is down.
 * A Postgres of its own (stopped and started under the API, as in intake-restart.test.ts) and
 * the run's Temporal; "Temporal down" is a client pointed at a port nobody listens on.
 */
describe('health, readiness and routes while a dependency is down', () => {
  const readyFile = join(PROJECT_ROOT, '.data', `test-health-${process.pid}.json`);
  const dropId = 'health-drop';
  let infra: ChildProcess;
  let db: Db;
  let secrets: DevSecrets;
  const servers: Server[] = [];
  const apps: Array<ReturnType<typeof createApp>> = [];
  const connections: Connection[] = [];

  async function serve(temporal: Client): Promise<DropsApiClient> {
    const app = createApp({ db, databaseUrl: dbUrl, temporal, taskQueue: 'health-unused', secrets, payments: {} as PaymentProvider });
    apps.push(app);
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    const address = server.address();
    return new DropsApiClient(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, {
      ops: secrets.opsApiKey,
      support: secrets.supportApiKey,
    });
  }
  let dbUrl: string;

  /** The infra child rewrites its ready file when its Postgres goes down or comes up. */
  const postgresIs = (state: 'up' | 'down') =>
    eventually(`postgres ${state}`, async () => {
      if (!existsSync(readyFile)) return undefined;
      const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as { postgresAdminUrl: string; postgres: string };
      return ready.postgres === state ? ready : undefined;
    });

  const launchBody = (id: string) => ({
    dropId: id,
    name: 'Health drop',
    units: 1,
    priceCents: 1500,
    nodes: [{ nodeId: 'north-locker', region: 'north', stock: 1 }],
    windows: { registrationSeconds: 600, paymentSeconds: 120, pickupSeconds: 20, postMortemDelaySeconds: 1 },
  });

  beforeAll(async () => {
    rmSync(readyFile, { force: true });
    infra = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'drops.js'), 'infra', '--only', 'postgres', '--ready-file', readyFile], { stdio: 'ignore' });
    const { postgresAdminUrl } = await postgresIs('up');
    dbUrl = await ensureDatabase(postgresAdminUrl, 'health');
    db = createDb(dbUrl);
    await migrateToLatest(db);
    await insertDrop(db, {
      dropId,
      name: 'Health drop',
      units: 1,
      priceCents: 1500,
      currency: 'usd',
      spec: { units: 1 },
      beacon: null,
      nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 1 }],
    });
    await sql`UPDATE drops SET phase = 'registration', registration_closes_at = now() + interval '1 hour' WHERE drop_id = ${dropId}`.execute(db);
    secrets = testSecrets();
    await installTestStaff(db, secrets);
    currentSecrets = secrets;
  });

  afterAll(async () => {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
    for (const a of apps) await a.closeIntake();
    for (const c of connections) await c.close();
    await db?.destroy();
    infra?.kill('SIGTERM');
    rmSync(readyFile, { force: true });
  });

  it('is ready when Postgres and Temporal both answer', async () => {
    const connection = await Connection.connect({ address: process.env.DROPS_TEST_TEMPORAL_ADDRESS! });
    connections.push(connection);
    const api = await serve(new Client({ connection }));
    const ready = await api.call('GET', '/readyz');
    expect(ready).toEqual({ status: 200, body: { postgres: 'ok', temporal: 'ok' } });
    expect(await api.call('GET', '/healthz')).toEqual({ status: 200, body: { ok: true } });
  });

  it('with Temporal unreachable: /readyz 503 naming it, and the routes that need it 503 temporal_unavailable with Retry-After', async () => {
    const port = await freePort();
    // No client-side retries, so the test does not wait out the SDK's backoff (~20 s per call).
    const connection = Connection.lazy({ address: `127.0.0.1:${port}`, interceptors: [] });
    connections.push(connection);
    const api = await serve(new Client({ connection }));

    const ready = await api.call('GET', '/readyz');
    expect(ready).toEqual({ status: 503, body: { postgres: 'ok', temporal: 'down' } });
    expect((await api.call('GET', '/healthz')).status).toBe(200);

    for (const [method, path, body] of [
      ['POST', `/v1/drops/${dropId}/close`, undefined],
      ['POST', `/v1/drops/${dropId}/extend`, { seconds: 60 }],
      ['POST', '/v1/drops', launchBody('health-launch')],
    ] as const) {
      const res = await raw(api, method, path, { as: 'ops', body });
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 503, code: 'temporal_unavailable' });
      expect(res.retryAfter).toMatch(/^\d+$/);
    }
    // Routes that need only Postgres still work.
    expect((await api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).status).toBe(200);
  });

  it('with Postgres stopped: /healthz 200, /readyz 503 naming it, every route that needs it 503 database_unavailable with Retry-After', async () => {
    const connection = await Connection.connect({ address: process.env.DROPS_TEST_TEMPORAL_ADDRESS! });
    connections.push(connection);
    const api = await serve(new Client({ connection }));
    const now = Math.floor(Date.now() / 1000);
    const event = JSON.stringify({ id: 'evt_health_1', type: 'payment_intent.succeeded', data: { object: { id: 'pi_health' } } });

    infra.kill('SIGUSR1');
    await postgresIs('down');
    try {
      expect(await api.call('GET', '/healthz')).toEqual({ status: 200, body: { ok: true } });
      expect(await api.call('GET', '/readyz')).toEqual({ status: 503, body: { postgres: 'down', temporal: 'ok' } });

      const secret = { 'x-receipt-secret': 'some-secret' };
      const routes: Array<[string, string, { as?: 'ops' | 'support'; body?: unknown; rawBody?: string; headers?: Record<string, string> }]> = [
        ['GET', `/v1/drops/${dropId}`, { as: 'ops' }],
        ['POST', '/v1/drops', { as: 'ops', body: launchBody('health-launch-2') }],
        ['POST', `/v1/drops/${dropId}/close`, { as: 'ops' }],
        ['POST', `/v1/drops/${dropId}/pause`, { as: 'ops' }],
        ['POST', `/v1/drops/${dropId}/passes`, { as: 'ops', body: { tier: 'member', count: 1 } }],
        ['GET', `/v1/drops/${dropId}/draw`, {}],
        ['GET', `/v1/drops/${dropId}/report`, {}],
        ['POST', `/v1/drops/${dropId}/entries`, { body: { email: 'ana.kowal@example.org', region: 'north' } }],
        ['GET', `/v1/drops/${dropId}/entries/ent_x`, { headers: secret }],
        ['POST', `/v1/drops/${dropId}/entries/ent_x/authorization`, { headers: secret }],
        ['GET', '/v1/exceptions', { as: 'support' }],
        ['POST', '/v1/orders/ord_x/resolve', { as: 'support', body: { action: 'refund', reasonCode: 'entrant_request', reason: 'asked at the desk' } }],
        ['POST', '/v1/webhooks/payments', { rawBody: event, headers: { 'x-drops-signature': signWebhook(secrets.webhookSecrets.payments, event, now) } }],
      ];
      for (const [method, path, opts] of routes) {
        const res = await raw(api, method as 'GET' | 'POST', path, opts);
        expect({ method, path, status: res.status, code: res.body?.error?.code }).toEqual({ method, path, status: 503, code: 'database_unavailable' });
        expect({ path, retryAfter: res.retryAfter }).toEqual({ path, retryAfter: expect.stringMatching(/^\d+$/) });
      }
    } finally {
      infra.kill('SIGUSR2');
      await postgresIs('up');
    }
    await eventually('ready again', async () => ((await api.call('GET', '/readyz')).status === 200 ? true : undefined));
    expect((await api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).status).toBe(200);
  });
});

let currentSecrets: DevSecrets;

/** A request that also returns the Retry-After header. */
async function raw(
  api: DropsApiClient,
  method: 'GET' | 'POST',
  path: string,
  opts: { as?: 'ops' | 'support'; body?: unknown; rawBody?: string; headers?: Record<string, string> },
): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const hasBody = opts.body !== undefined || opts.rawBody !== undefined;
  const res = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: {
      ...(hasBody && { 'content-type': 'application/json' }),
      ...(opts.as && { authorization: `Bearer ${opts.as === 'ops' ? currentSecrets.opsApiKey : currentSecrets.supportApiKey}` }),
      ...opts.headers,
    },
    body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}
