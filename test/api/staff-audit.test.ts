import type { Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createApp } from '../../api/app';
import type { Db } from '../../src/db/connection';
import { PROJECT_ROOT } from '../../src/devstack/stack';
import type { DevSecrets } from '../../src/devstack/secrets';
import type { PaymentProvider } from '../../src/integrations/providers';
import { createTestDatabase, installTestStaff, testSecrets } from '../helpers/context';

/**
 * Per-staff keys (`drops staff add/revoke`) and the audit log. The actions used here are refused
 * before any workflow is asked (an unknown drop or order), so no Temporal is involved; the
 * workflow tests check the audit rows of actions that take effect.
 */
describe('staff keys and the audit log', () => {
  let db: Db;
  let dbUrl: string;
  let server: Server;
  let app: ReturnType<typeof createApp>;
  let base: string;
  let secrets: DevSecrets;

  beforeAll(async () => {
    const created = await createTestDatabase();
    [db, dbUrl] = [created.db, created.url];
    secrets = testSecrets();
    await installTestStaff(db, secrets);
    app = createApp({ db, databaseUrl: dbUrl, temporal: {} as Client, taskQueue: 'unused', secrets, payments: {} as PaymentProvider });
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

  // Asynchronous: this process serves the API the command's key is tried against.
  const staffCli = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(PROJECT_ROOT, 'bin', 'drops.js'), 'staff', ...args],
        { env: { PATH: process.env.PATH, DATABASE_URL: dbUrl }, encoding: 'utf8', timeout: 60_000 },
        (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });
  const call = (method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method,
      headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('adds a member whose key works at once, stores only its hash, and revokes it (401 from then on)', async () => {
    const added = await staffCli('add', '--name', 'Rosa Diaz', '--role', 'support');
    expect(added.status).toBe(0);
    const key = added.stdout.trim();
    const staffId = key.split('.')[0]!;
    expect(staffId).toMatch(/^stf_[0-9a-f]{16}$/);
    expect((await call('GET', '/v1/exceptions', key)).status).toBe(200);
    // A support key on an ops route is 403, not 401: the key is known, the role is not enough.
    expect((await call('POST', '/v1/drops', key, {})).status).toBe(403);
    const row = await db.selectFrom('staff').selectAll().where('staff_id', '=', staffId).executeTakeFirstOrThrow();
    expect(row.name).toBe('Rosa Diaz');
    expect(row.key_hash.toString('hex')).not.toContain(Buffer.from(key.split('.')[1]!).toString('hex'));
    expect(JSON.stringify(row)).not.toContain(key.split('.')[1]!);

    const listed = await staffCli('list');
    expect(listed.stdout).toContain(`${staffId}\tsupport\tactive\tRosa Diaz`);
    const revoked = await staffCli('revoke', staffId);
    expect(revoked.status).toBe(0);
    const after = await call('GET', '/v1/exceptions', key);
    expect(after.status).toBe(401);
    expect(((await after.json()) as any).error.code).toBe('unauthorized');
    expect((await staffCli('list')).stdout).toMatch(new RegExp(`${staffId}\\tsupport\\trevoked `));
  });

  it('refuses a key with the right id and a wrong secret, and a revoke of an unknown id (exit 1)', async () => {
    const [id] = secrets.opsApiKey.split('.');
    expect((await call('GET', '/v1/exceptions', `${id}.${'A'.repeat(43)}`)).status).toBe(401);
    const r = await staffCli('revoke', 'stf_0000000000000000');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no staff member stf_0000000000000000');
    const bad = await staffCli('add', '--name', 'X', '--role', 'janitor');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--role must be one of ops, support, admin');
  });

  it('writes an audit row for each action, refused ones too, with actor, reason and request id', async () => {
    const opsId = secrets.opsApiKey.split('.')[0]!;
    const supportId = secrets.supportApiKey.split('.')[0]!;
    const paused = await call(
      'POST',
      '/v1/drops/no-such-drop/pause',
      secrets.opsApiKey,
      { reasonCode: 'ops_decision', reason: 'crowd at the door' },
      { 'x-request-id': 'req-pause-1' },
    );
    expect(paused.status).toBe(404);
    expect(paused.headers.get('x-request-id')).toBe('req-pause-1');
    const refund = await call('POST', '/v1/orders/ord_missing/resolve', secrets.supportApiKey, {
      action: 'refund',
      reasonCode: 'entrant_request',
      reason: 'called the desk',
    });
    expect(refund.status).toBe(404);
    const generatedRequestId = refund.headers.get('x-request-id');
    expect(generatedRequestId).toMatch(/^req_[0-9a-f]{16}$/);

    const page = (await (await call('GET', '/v1/audit', secrets.opsApiKey)).json()) as any;
    const pause = page.entries.find((e: any) => e.action === 'pause_registration');
    expect(pause).toMatchObject({
      actor: { staffId: opsId, role: 'ops' },
      target: { dropId: 'no-such-drop', orderId: null },
      reasonCode: 'ops_decision',
      reason: 'crowd at the door',
      requestId: 'req-pause-1',
      outcome: 'refused',
    });
    expect(pause.outcomeDetail).toContain('drop_not_found');
    const resolve = page.entries.find((e: any) => e.action === 'refund');
    expect(resolve).toMatchObject({ actor: { staffId: supportId, role: 'support' }, target: { orderId: 'ord_missing' }, requestId: generatedRequestId });
  });

  it('requires a reason for money-moving actions (400, nothing recorded or sent)', async () => {
    const before = await db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const res = await call('POST', '/v1/orders/ord_missing/resolve', secrets.supportApiKey, { action: 'refund' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.details.map((d: any) => d.path)).toEqual(expect.arrayContaining(['reasonCode', 'reason']));
    // A field the action does not read is refused, not ignored.
    const why = { reasonCode: 'entrant_request', reason: 'asked at the desk' };
    for (const sent of [
      { action: 'mark_picked_up', seconds: 600 },
      { action: 'reship', amountCents: 100, ...why },
      { action: 'refund', ...why, note: 'both names at once' },
    ]) {
      const res = await call('POST', '/v1/orders/ord_missing/resolve', secrets.supportApiKey, sent);
      expect({ sent, status: res.status }).toEqual({ sent, status: 400 });
    }
    const after = await db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('filters and keyset-pages the audit log; support may not read it; a bad cursor is 400', async () => {
    for (let i = 0; i < 5; i++) await call('POST', `/v1/drops/paged-${i}/resume`, secrets.opsApiKey, {});
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/audit?action=resume_registration&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await (await call('GET', q, secrets.opsApiKey)).json()) as any;
      expect(page.entries.length).toBeLessThanOrEqual(2);
      seen.push(...page.entries.map((e: any) => e.target.dropId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['paged-4', 'paged-3', 'paged-2', 'paged-1', 'paged-0']);
    const oneDrop = (await (await call('GET', '/v1/audit?dropId=paged-2', secrets.opsApiKey)).json()) as any;
    expect(oneDrop.entries.map((e: any) => e.target.dropId)).toEqual(['paged-2']);
    const future = (await (
      await call('GET', `/v1/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, secrets.opsApiKey)
    ).json()) as any;
    expect(future.entries).toEqual([]);
    expect((await call('GET', '/v1/audit', secrets.supportApiKey)).status).toBe(403);
    const bad = await call('GET', '/v1/audit?cursor=bm9wZQ', secrets.opsApiKey);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe('invalid_cursor');
    // Forged cursors of the right form whose values Postgres refuses: still ours to refuse (400), never a 500.
    const forge = (list: string, ...key: string[]) => Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
    for (const [path, cursor] of [
      ['/v1/audit', forge('audit', '9223372036854775808')],
      ['/v1/drops', forge('drops', '2024-13-45 99:99:99+00', 'x')],
      ['/v1/drops', forge('drops', '2026-02-30 03:43:05+00', 'x')],
      ['/v1/exceptions', forge('exceptions', '2024-13-45T99:99:99.000000Z', '1')],
    ] as const) {
      const res = await call('GET', `${path}?cursor=${cursor}`, secrets.opsApiKey);
      expect({ path, status: res.status, code: ((await res.json()) as any).error?.code }).toEqual({ path, status: 400, code: 'invalid_cursor' });
    }
  });

  it('lets an admin use ops and support routes', async () => {
    const added = await staffCli('add', '--name', 'Admin One', '--role', 'admin');
    const key = added.stdout.trim();
    expect((await call('GET', '/v1/audit', key)).status).toBe(200);
    expect((await call('GET', '/v1/exceptions', key)).status).toBe(200);
  });
});
