import type { Client } from '@temporalio/client';
import type { Server } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createApp } from '../../api/app';
import type { PaymentProvider } from '../../src/integrations/providers';
import { DomainError } from '../../src/domain/errors';
import { createDb, migrateToLatest, type Db } from '../../src/db/connection';
import { insertDrop } from '../../src/db/repositories/drops';
import { DropsApiClient } from '../../src/demo/api-client';
import { ensureDatabase } from '../../src/devstack/postgres';
import { PROJECT_ROOT } from '../../src/devstack/stack';
import { EntryIntakeQueue } from '../../src/services/registration/intake/intake-queue';
import { eventually, testSecrets } from '../helpers/context';

/**
 * A Postgres of its own (the run's shared one must not be restarted under other tests): the API
 * answers 503 with Retry-After while it is down, never crashes, resumes by itself when it is
 * back, and every entry it acknowledged is there.
 */
describe('intake through a Postgres restart and under overload', () => {
  const readyFile = join(PROJECT_ROOT, '.data', `test-restart-${process.pid}.json`);
  let infra: ChildProcess;
  let db: Db;
  let url: string;
  let server: Server;
  let app: ReturnType<typeof createApp>;
  let api: DropsApiClient;
  const dropId = 'restart-drop';

  beforeAll(async () => {
    rmSync(readyFile, { force: true });
    infra = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'drops.js'), 'infra', '--only', 'postgres', '--ready-file', readyFile], { stdio: 'ignore' });
    const { postgresAdminUrl } = await postgresIs('up');
    url = await ensureDatabase(postgresAdminUrl, 'restart');
    db = createDb(url);
    await migrateToLatest(db);
    await insertDrop(db, {
      dropId,
      name: 'Restart drop',
      units: 1,
      priceCents: 100,
      currency: 'usd',
      spec: { units: 1 },
      beacon: null,
      nodes: [{ nodeId: 'north-1', region: 'north', kind: 'locker', stock: 1 }],
    });
    await sql`UPDATE drops SET phase = 'registration', registration_closes_at = now() + interval '1 hour' WHERE drop_id = ${dropId}`.execute(db);
    // Registration needs no Temporal: the client is never called on this path.
    app = createApp({ db, databaseUrl: url, temporal: {} as Client, taskQueue: 'unused', secrets: testSecrets(), payments: {} as PaymentProvider });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    api = new DropsApiClient(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
  });

  afterAll(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await app?.closeIntake();
    await db?.destroy();
    infra?.kill('SIGTERM');
    rmSync(readyFile, { force: true });
  });

  /** The infra child rewrites its ready file when its Postgres goes down or comes up. */
  const postgresIs = (state: 'up' | 'down') =>
    eventually(`postgres ${state}`, async () => {
      if (!existsSync(readyFile)) return undefined;
      const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as { postgresAdminUrl: string; postgres: string };
      return ready.postgres === state ? ready : undefined;
    });

  const register = (email: string) => api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email, region: 'north' } });

  it('answers 503 + Retry-After while Postgres is down, and keeps every acknowledged entry', async () => {
    const acknowledged: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await register(`before-${i}@example.test`);
      expect(r.status).toBe(201);
      acknowledged.push(r.body.entryId);
    }
    infra.kill('SIGUSR1');
    await postgresIs('down');
    const during = await Promise.all(Array.from({ length: 10 }, (_, i) => register(`during-${i}@example.test`)));
    for (const r of during) {
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('database_unavailable');
    }
    const raw = await fetch(`${api.baseUrl}/v1/drops/${dropId}/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'header@example.test', region: 'north' }),
    });
    expect(raw.status).toBe(503);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect((await api.call('GET', '/healthz')).status).toBe(200); // the process is alive

    infra.kill('SIGUSR2');
    await postgresIs('up');
    const after = await eventually('registration to work again', async () => {
      const r = await register('after@example.test');
      return r.status === 201 ? r : undefined;
    });
    acknowledged.push(after.body.entryId);
    const rows = await db.selectFrom('entries').select('entry_id').where('drop_id', '=', dropId).execute();
    const stored = new Set(rows.map((r) => r.entry_id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    // nothing answered 503 was written
    expect(rows).toHaveLength(acknowledged.length);
  });

  it('refuses work beyond its bound with 503 overloaded instead of queueing without limit', async () => {
    const queue = new EntryIntakeQueue({ databaseUrl: url, identitySecret: 'id_overload_secret_value' }, { maxQueued: 5, maxInFlight: 1 });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          queue.submit({
            dropId,
            email: `burst-${i}@example.test`,
            emailIdentity: `burst-${i}@example.test`,
            phone: null,
            timeZone: null,
            region: 'north',
            tier: 'general',
            weight: 1,
            passId: null,
            passToken: null,
            idempotencyKey: null,
          }),
        ),
      );
      const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as DomainError);
      expect(refused.length).toBeGreaterThanOrEqual(35);
      expect(refused.every((e) => e instanceof DomainError && e.kind === 'unavailable' && e.code === 'overloaded' && e.retryAfterSeconds === 1)).toBe(true);
      const accepted = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ kind: string; entryId?: string }>).value);
      expect(accepted.length).toBe(40 - refused.length);
      const ids = accepted.map((a) => a.entryId!);
      const stored = await db.selectFrom('entries').select('entry_id').where('entry_id', 'in', ids).execute();
      expect(stored).toHaveLength(ids.length);
    } finally {
      await queue.close();
    }
  });
});
