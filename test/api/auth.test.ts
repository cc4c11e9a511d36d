import type { Client } from '@temporalio/client';
import type { Server } from 'node:http';
import { createApp } from '../../api/app';
import type { Db } from '../../src/db/connection';
import type { PaymentProvider } from '../../src/integrations/providers';
import type { DevSecrets } from '../../src/devstack/secrets';
import { createTestDatabase, installTestStaff, testSecrets } from '../helpers/context';

/**
 * Case F2: the bearer scheme is case-insensitive (RFC 7235); a missing or unknown key is 401
 * with `WWW-Authenticate: Bearer`; a known key of the wrong role is 403. The routes used need
 * only Postgres (the open exceptions queue), so no Temporal is involved.
 */
describe('bearer API keys', () => {
  let db: Db;
  let server: Server;
  let app: ReturnType<typeof createApp>;
  let base: string;
  let secrets: DevSecrets;

  beforeAll(async () => {
    const created = await createTestDatabase();
    db = created.db;
    secrets = testSecrets();
    await installTestStaff(db, secrets);
    app = createApp({ db, databaseUrl: created.url, temporal: {} as Client, taskQueue: 'unused', secrets, payments: {} as PaymentProvider });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await app?.closeIntake();
    await db?.destroy();
  });

  const get = (path: string, authorization?: string) => fetch(`${base}${path}`, { headers: authorization === undefined ? {} : { authorization } });

  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('accepts the scheme spelled %s', async (scheme) => {
    const res = await get('/v1/exceptions', `${scheme} ${secrets.supportApiKey}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ exceptions: [], nextCursor: null });
  });

  it.each([
    ['no header', undefined],
    ['an unknown key', 'Bearer not-a-key-we-issued'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a scheme without a key', 'Bearer '],
  ])('answers %s with 401 unauthorized and WWW-Authenticate: Bearer', async (_what, header) => {
    const res = await get('/v1/exceptions', header);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await res.json()) as any).error.code).toBe('unauthorized');
  });

  it('answers a known key of the wrong role with 403 forbidden', async () => {
    const res = await fetch(`${base}/v1/drops`, {
      method: 'POST',
      headers: { authorization: `bearer ${secrets.supportApiKey}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.code).toBe('forbidden');
  });

  it('lets ops use the support queue too (both roles are staff)', async () => {
    expect((await get('/v1/exceptions', `bearer ${secrets.opsApiKey}`)).status).toBe(200);
  });
});
