import type { Client } from '@temporalio/client';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, relative } from 'node:path';
import { createApp } from '../../api/app';
import type { Db } from '../../src/db/connection';
import { insertDrop } from '../../src/db/repositories/drops';
import { recordEvent } from '../../src/db/repositories/events';
import { openException } from '../../src/db/repositories/exceptions';
import { enqueueNotifications } from '../../src/db/repositories/notifications';
import { PROJECT_ROOT } from '../../src/devstack/stack';
import type { DevSecrets } from '../../src/devstack/secrets';
import { EXCEPTION_KINDS, type ExceptionKind } from '../../src/domain/support/exception-kinds';
import type { PaymentProvider } from '../../src/integrations/providers';
import { postCapture, postRefund } from '../../src/services/payment/payment-ledger';
import { installStaffKey, revokeStaff } from '../../src/services/staff/staff';
import { newStaffKey } from '../../src/services/staff/staff-keys';
import { createTestDatabase, installTestStaff, testSecrets } from '../helpers/context';

/** Every `kind: '…'` passed to openException / openOrderException in the code (calls that pass an object literal). */
function exceptionKindsOpenedInCode(): { kinds: Map<string, string[]>; callsWithoutLiteralKind: string[] } {
  const kinds = new Map<string, string[]>();
  const callsWithoutLiteralKind: string[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
    });
  for (const file of ['activities', 'src', 'workflows', 'api'].flatMap((d) => walk(join(PROJECT_ROOT, d)))) {
    const text = readFileSync(file, 'utf8');
    // A call site: the name, then `(`, not a definition (`function openException(`, `async openOrderException(`).
    for (const m of text.matchAll(/(?<!function |async )\bopen(?:Order)?Exception\s*\(/g)) {
      // The call's arguments, up to its closing parenthesis.
      let depth = 0;
      let end = m.index! + m[0].length - 1;
      for (; end < text.length; end++) {
        if (text[end] === '(') depth++;
        else if (text[end] === ')' && --depth === 0) break;
      }
      const args = text.slice(m.index! + m[0].length, end);
      const where = `${relative(PROJECT_ROOT, file)}:${text.slice(0, m.index).split('\n').length}`;
      const literal = /\bkind:\s*'([a-z_]+)'/.exec(args);
      if (literal) kinds.set(literal[1]!, [...(kinds.get(literal[1]!) ?? []), where]);
      // The order activity passes the workflow's request through; the workflows' calls name the kind.
      else if (!/^\s*db,\s*input\s*$/.test(args)) callsWithoutLiteralKind.push(where);
    }
  }
  return { kinds, callsWithoutLiteralKind };
}

describe('support: the exceptions queue, claim/assign/resolve, and the order view', () => {
  let db: Db;
  let server: Server;
  let app: ReturnType<typeof createApp>;
  let base: string;
  let secrets: DevSecrets;
  let opsId: string;
  let supportId: string;

  beforeAll(async () => {
    const created = await createTestDatabase();
    db = created.db;
    secrets = testSecrets();
    await installTestStaff(db, secrets);
    [opsId, supportId] = [secrets.opsApiKey.split('.')[0]!, secrets.supportApiKey.split('.')[0]!];
    app = createApp({
      db,
      databaseUrl: created.url,
      temporal: {} as Client,
      taskQueue: 'unused',
      secrets,
      payments: {} as PaymentProvider,
      temporalUi: { baseUrl: 'http://ui.test:8233/', namespace: 'drops-ns' },
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    for (const dropId of ['q-one', 'q-two']) {
      await insertDrop(db, {
        dropId,
        name: dropId,
        units: 5,
        priceCents: 1500,
        currency: 'usd',
        spec: {},
        beacon: null,
        nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 5 }],
      });
    }
  });
  afterAll(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await app?.closeIntake();
    await db?.destroy();
  });

  const call = async (method: string, path: string, key: string | undefined, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const asSupport = (method: string, path: string, body?: unknown) => call(method, path, secrets.supportApiKey, body);
  const asOps = (method: string, path: string, body?: unknown) => call(method, path, secrets.opsApiKey, body);
  const RESOLVE = { resolution: 'fixed', reasonCode: 'provider_failure', reason: 'sorted out with the provider' };

  let orderSeq = 0;
  /** An order row in `state` (the queue's tests need rows, not workflows). */
  async function order(dropId: string, state: string, extra: Record<string, unknown> = {}): Promise<string> {
    const entryId = `e${(++orderSeq).toString().padStart(4, '0')}`;
    const orderId = `ord_${entryId}`;
    await db
      .insertInto('orders')
      .values({
        order_id: orderId,
        drop_id: dropId,
        entry_id: entryId,
        state: state as any,
        state_seq: 1,
        amount_cents: 1500,
        currency: 'usd',
        region: 'north',
        ...extra,
      })
      .execute();
    return orderId;
  }
  /** Opens an exception and returns its id; `slaMinutes` may be negative (already past its SLA). */
  async function exception(dropId: string, kind: ExceptionKind, orderId: string | null, slaMinutes: number): Promise<number> {
    const dedupeKey = `test:${kind}:${Math.random()}`;
    await openException(db, { dropId, orderId, kind, detail: `test ${kind}`, slaMinutes, dedupeKey });
    const row = await db.selectFrom('exceptions').select('exception_id').where('dedupe_key', '=', dedupeKey).executeTakeFirstOrThrow();
    return Number(row.exception_id);
  }

  it('every kind opened anywhere in the code is in the exception-kinds table, each with a way to close', () => {
    const { kinds, callsWithoutLiteralKind } = exceptionKindsOpenedInCode();
    expect(callsWithoutLiteralKind).toEqual([]);
    expect(kinds.size).toBeGreaterThanOrEqual(9);
    const missing = [...kinds.keys()].filter((k) => !(k in EXCEPTION_KINDS));
    expect(missing).toEqual([]);
    for (const info of Object.values(EXCEPTION_KINDS)) expect(['order_action', 'resolve']).toContain(info.closes.by);
  });

  it('closes every kind: directly, or (kinds whose order waits in needs_support) through the order action it names', async () => {
    for (const [kind, info] of Object.entries(EXCEPTION_KINDS) as Array<[ExceptionKind, (typeof EXCEPTION_KINDS)[ExceptionKind]]>) {
      const orderId = await order('q-two', info.closes.by === 'order_action' ? 'needs_support' : 'awaiting_pickup');
      const id = await exception('q-two', kind, orderId, 60);
      const res = await asSupport('POST', `/v1/exceptions/${id}/resolve`, RESOLVE);
      if (info.closes.by === 'resolve') {
        expect([kind, res.status]).toEqual([kind, 200]);
        expect(res.body).toMatchObject({
          exceptionId: id,
          status: 'resolved',
          resolution: 'fixed',
          resolvedBy: supportId,
          resolutionReasonCode: 'provider_failure',
        });
      } else {
        expect([kind, res.status]).toEqual([kind, 409]);
        expect(res.body.error).toMatchObject({ code: 'resolve_with_order_action', details: { resolveWith: info.closes.action, orderId } });
        // Once the order is final there is nothing left for its action to do: the exception closes here.
        await db.updateTable('orders').set({ state: 'refunded' }).where('order_id', '=', orderId).execute();
        expect((await asSupport('POST', `/v1/exceptions/${id}/resolve`, RESOLVE)).status).toBe(200);
      }
    }
    expect((await asSupport('POST', '/v1/exceptions/1/resolve', RESOLVE)).body.error.code).toBe('exception_resolved');
  });

  it('filters the queue and pages it by SLA deadline then id, without the old 200 cap', async () => {
    const ids: number[] = [];
    // 7 on q-one: 3 past their SLA; 1 on q-two.
    for (const [i, sla] of [30, -5, 90, -20, 10, 60, -1].entries()) {
      ids.push(await exception('q-one', i % 2 === 0 ? 'stray_label' : 'claim_code_rejected', null, sla));
    }
    const all: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: any } = await asSupport('GET', `/v1/exceptions?dropId=q-one&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.exceptions.length).toBeLessThanOrEqual(3);
      all.push(...res.body.exceptions);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(all.map((e) => e.exceptionId).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    const deadlines = all.map((e) => e.slaDeadline);
    expect(deadlines).toEqual([...deadlines].sort());

    const overdue = (await asSupport('GET', '/v1/exceptions?dropId=q-one&overdue=true')).body.exceptions;
    expect(overdue.map((e: any) => e.exceptionId).sort()).toEqual([ids[1], ids[3], ids[6]].sort());
    expect(overdue.every((e: any) => e.overdue === true)).toBe(true);
    const within = (await asSupport('GET', '/v1/exceptions?dropId=q-one&overdue=false')).body.exceptions;
    expect(within).toHaveLength(4);
    const kind = (await asSupport('GET', '/v1/exceptions?dropId=q-one&kind=claim_code_rejected')).body.exceptions;
    expect(kind.map((e: any) => e.exceptionId).sort()).toEqual([ids[1], ids[3], ids[5]].sort());
    // A kind we never open is a 400 (a typo must not look like an empty queue).
    const bogus = await asSupport('GET', '/v1/exceptions?kind=claim_code_rejectd');
    expect(bogus.status).toBe(400);
    expect(bogus.body.error.code).toBe('invalid_request');

    // assignee: me, a staff id, none.
    expect((await asSupport('POST', `/v1/exceptions/${ids[0]}/claim`)).status).toBe(200);
    expect((await asOps('POST', `/v1/exceptions/${ids[2]}/claim`)).status).toBe(200);
    const mine = (await asSupport('GET', '/v1/exceptions?dropId=q-one&assignee=me')).body.exceptions;
    expect(mine.map((e: any) => e.exceptionId)).toEqual([ids[0]]);
    expect((await asSupport('GET', `/v1/exceptions?dropId=q-one&assignee=${opsId}`)).body.exceptions.map((e: any) => e.exceptionId)).toEqual([ids[2]]);
    expect((await asSupport('GET', '/v1/exceptions?dropId=q-one&assignee=none')).body.exceptions).toHaveLength(5);

    // status: resolved and all.
    expect((await asSupport('POST', `/v1/exceptions/${ids[4]}/resolve`, RESOLVE)).status).toBe(200);
    expect((await asSupport('GET', '/v1/exceptions?dropId=q-one')).body.exceptions).toHaveLength(6);
    expect((await asSupport('GET', '/v1/exceptions?dropId=q-one&status=resolved')).body.exceptions.map((e: any) => e.exceptionId)).toEqual([ids[4]]);
    expect((await asSupport('GET', '/v1/exceptions?dropId=q-one&status=all')).body.exceptions).toHaveLength(7);

    // Bad input: 400 with a stable code, nothing changed.
    expect((await asSupport('GET', '/v1/exceptions?cursor=bm90LWEtY3Vyc29y')).body.error.code).toBe('invalid_cursor');
    const audit = Buffer.from(JSON.stringify(['audit', '5'])).toString('base64url');
    expect((await asSupport('GET', `/v1/exceptions?cursor=${audit}`)).body.error.code).toBe('invalid_cursor');
    for (const q of ['status=closed', 'overdue=yes', 'limit=0', 'limit=501', 'assignee=bob', 'sort=kind']) {
      const res = await asSupport('GET', `/v1/exceptions?${q}`);
      expect([q, res.status, res.body.error.code]).toEqual([q, 400, 'invalid_request']);
    }
  });

  it('claims, refuses a claim on someone else’s exception unless forced, assigns to active staff only, and audits each', async () => {
    const id = await exception('q-two', 'unplaced_provider_event', null, 60);
    const claimed = await asSupport('POST', `/v1/exceptions/${id}/claim`);
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ exceptionId: id, assignedTo: supportId, status: 'open' });
    expect(claimed.body.claimedAt).toEqual(expect.any(String));
    // Again by the same member: nothing changes.
    expect((await asSupport('POST', `/v1/exceptions/${id}/claim`, {})).body.assignedTo).toBe(supportId);

    const taken = await asOps('POST', `/v1/exceptions/${id}/claim`, {});
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'exception_claimed', details: { assignedTo: supportId } });
    const forced = await asOps('POST', `/v1/exceptions/${id}/claim`, { force: true, reasonCode: 'ops_decision', reason: 'covering the shift' });
    expect(forced.status).toBe(200);
    expect(forced.body.assignedTo).toBe(opsId);

    // Assign: to an active member; unknown or revoked members are 422.
    expect((await asOps('POST', `/v1/exceptions/${id}/assign`, { staffId: supportId })).body.assignedTo).toBe(supportId);
    const unknown = await asSupport('POST', `/v1/exceptions/${id}/assign`, { staffId: 'stf_0000000000000000' });
    expect([unknown.status, unknown.body.error.code]).toEqual([422, 'staff_not_assignable']);
    const gone = newStaffKey();
    await installStaffKey(db, 'Gone', 'support', gone.key);
    const goneId = gone.key.split('.')[0]!;
    await db.updateTable('staff').set({ revoked_at: new Date() }).where('staff_id', '=', goneId).execute();
    expect((await asSupport('POST', `/v1/exceptions/${id}/assign`, { staffId: goneId })).status).toBe(422);
    // A member who leaves gives their open exceptions back to the queue.
    const leaving = newStaffKey();
    await installStaffKey(db, 'Leaving', 'support', leaving.key);
    const leavingId = leaving.key.split('.')[0]!;
    expect((await asOps('POST', `/v1/exceptions/${id}/assign`, { staffId: leavingId })).body.assignedTo).toBe(leavingId);
    await revokeStaff(db, leavingId);
    const unassigned = (await asSupport('GET', `/v1/exceptions?status=all&assignee=none&limit=500`)).body.exceptions;
    expect(unassigned.map((e: any) => e.exceptionId)).toContain(id);
    expect((await asSupport('POST', `/v1/exceptions/${id}/assign`, { staffId: 'bob' })).status).toBe(400);
    expect((await asSupport('POST', `/v1/exceptions/${id}/assign`, {})).status).toBe(400);

    // Resolve: the resolution, reason code and reason are required.
    for (const body of [{}, { resolution: 'fixed' }, { resolution: 'fixed', reasonCode: 'other' }, { ...RESOLVE, resolution: 'magic' }]) {
      expect((await asSupport('POST', `/v1/exceptions/${id}/resolve`, body)).status).toBe(400);
    }
    expect((await asSupport('POST', `/v1/exceptions/${id}/resolve`, RESOLVE)).status).toBe(200);
    for (const [path, body] of [
      ['claim', {}],
      ['assign', { staffId: opsId }],
      ['resolve', RESOLVE],
    ] as const) {
      const res = await asSupport('POST', `/v1/exceptions/${id}/${path}`, body);
      expect([path, res.status, res.body.error.code]).toEqual([path, 409, 'exception_resolved']);
    }
    for (const missing of ['999999', 'abc', '0']) {
      const res = await asSupport('POST', `/v1/exceptions/${missing}/claim`);
      expect([missing, res.status, res.body.error.code]).toEqual([missing, 404, 'exception_not_found']);
    }

    const rows = await db.selectFrom('audit_log').selectAll().where('exception_id', '=', String(id)).orderBy('audit_id').execute();
    const summary = rows.map((r) => [r.action, r.actor_staff_id, r.outcome]);
    expect(summary).toEqual([
      ['claim_exception', supportId, 'ok'],
      ['claim_exception', supportId, 'ok'],
      ['claim_exception', opsId, 'refused'],
      ['claim_exception', opsId, 'ok'],
      ['assign_exception', opsId, 'ok'],
      ['assign_exception', supportId, 'refused'],
      ['assign_exception', supportId, 'refused'],
      ['assign_exception', opsId, 'ok'],
      ['resolve_exception', supportId, 'ok'],
      ['claim_exception', supportId, 'refused'],
      ['assign_exception', supportId, 'refused'],
      ['resolve_exception', supportId, 'refused'],
    ]);
    expect(rows.every((r) => r.drop_id === 'q-two')).toBe(true);
    const resolvedRow = rows.find((r) => r.action === 'resolve_exception' && r.outcome === 'ok')!;
    expect(resolvedRow).toMatchObject({ reason_code: 'provider_failure', reason: 'sorted out with the provider' });
    expect(rows[3]).toMatchObject({ reason_code: 'ops_decision', reason: 'covering the shift' });
  });

  it('needs a staff key: no key or a public caller is 401 on every support route', async () => {
    const id = await exception('q-two', 'stray_label', null, 60);
    const orderId = await order('q-two', 'awaiting_payment');
    for (const [method, path, body] of [
      ['GET', '/v1/exceptions', undefined],
      ['GET', `/v1/orders/${orderId}`, undefined],
      ['GET', '/v1/orders/ord_nope', undefined],
      ['POST', `/v1/exceptions/${id}/claim`, {}],
      ['POST', `/v1/exceptions/${id}/assign`, { staffId: supportId }],
      ['POST', `/v1/exceptions/${id}/resolve`, RESOLVE],
    ] as const) {
      for (const key of [undefined, 'not-a-key', 'stf_0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
        const res = await call(method, path, key, body);
        expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 401, 'unauthorized']);
      }
    }
    // Nothing changed.
    const row = await db.selectFrom('exceptions').selectAll().where('exception_id', '=', id).executeTakeFirstOrThrow();
    expect([row.status, row.assigned_to]).toEqual(['open', null]);
    const res = await asSupport('GET', '/v1/orders/ord_nope');
    expect([res.status, res.body.error.code]).toEqual([404, 'order_not_found']);
    expect((await asSupport('GET', `/v1/exceptions/${id}%00/claim`)).status).toBe(404);
    expect((await asSupport('POST', `/v1/exceptions/${id}%00/claim`)).status).toBe(400);
  });

  it("shows the whole order: timeline, payment per the ledger, route, claim code status (never the code), exceptions, audit, the entrant's messages, actions, links", async () => {
    const pickupDeadline = new Date(Date.now() + 3_600_000);
    const orderId = await order('q-one', 'awaiting_pickup', {
      payment_intent_id: 'pi_view_1',
      pay_link: 'http://pay.test/checkout/secret_paylink_value',
      node_id: 'north-locker',
      fulfillment: 'pickup',
      compartment_reservation_id: 'res_1',
      pickup_deadline: pickupDeadline,
    });
    for (const state of ['awaiting_payment', 'paid', 'awaiting_pickup'])
      await recordEvent(db, { dropId: 'q-one', orderId, kind: 'order.state', data: { state } });
    await postCapture(db, { dropId: 'q-one', orderId, amountCents: 1500 });
    const id = await exception('q-one', 'claim_code_rejected', orderId, 60);
    expect((await asSupport('POST', `/v1/exceptions/${id}/claim`)).status).toBe(200);
    // The entrant's messages (and others' that must not show: another entrant's, the same entry id in another drop).
    const entryId = orderId.slice(4);
    await enqueueNotifications(db, [
      { kind: 'won', dropId: 'q-one', entryId, orderId },
      { kind: 'claim_code', dropId: 'q-one', entryId, orderId, n: 3 },
      { kind: 'won', dropId: 'q-one', entryId: 'someone-else' },
      { kind: 'won', dropId: 'q-two', entryId },
    ]);
    await db
      .updateTable('notifications')
      .set({ status: 'bounced', attempts: 2, finished_at: new Date(), last_error: '550 mailbox unavailable: winner@example.org' })
      .where('message_key', '=', `won:q-one:${entryId}`)
      .execute();

    const res = await asOps('GET', `/v1/orders/${orderId}`);
    expect(res.status).toBe(200);
    const v = res.body;
    expect(v).toMatchObject({ orderId, dropId: 'q-one', state: 'awaiting_pickup' });
    expect(v.timeline.filter((e: any) => e.kind === 'order.state').map((e: any) => e.data.state)).toEqual(['awaiting_payment', 'paid', 'awaiting_pickup']);
    expect(v.payment).toMatchObject({
      paymentIntentId: 'pi_view_1',
      amountCents: 1500,
      currency: 'usd',
      capturedCents: 1500,
      refundedCents: 0,
      chargedBackCents: 0,
    });
    expect(v.route).toMatchObject({ nodeId: 'north-locker', fulfillment: 'pickup', compartmentReservationId: 'res_1' });
    expect(v.claimCode).toEqual({ status: 'active', nodeId: 'north-locker', deadline: pickupDeadline.toISOString() });
    expect(v.exceptions).toEqual([expect.objectContaining({ exceptionId: id, kind: 'claim_code_rejected', assignedTo: supportId })]);
    expect(v.audit).toEqual([expect.objectContaining({ action: 'claim_exception', target: expect.objectContaining({ orderId, exceptionId: id }) })]);
    expect(v.messages).toEqual([
      {
        kind: 'won',
        status: 'bounced',
        attempts: 2,
        createdAt: expect.any(String),
        finishedAt: expect.any(String),
        lastError: '550 mailbox unavailable: <address>',
      },
      { kind: 'claim_code', status: 'pending', attempts: 0, createdAt: expect.any(String), finishedAt: null, lastError: null },
    ]);
    expect(v.allowedResolveActions).toEqual(['refund', 'reship', 'extend_pickup', 'reissue_claim_code', 'mark_picked_up', 'cancel_order']);
    expect(v.links).toEqual({
      orderWorkflow: `http://ui.test:8233/namespaces/drops-ns/workflows/${encodeURIComponent(`order:q-one:${orderId.slice(4)}`)}`,
      dropWorkflow: 'http://ui.test:8233/namespaces/drops-ns/workflows/drop%3Aq-one',
    });
    // No bearer secret: neither the pay link nor anything that looks like a claim code.
    const text = JSON.stringify(v);
    expect(text).not.toContain('secret_paylink_value');
    expect(text).not.toMatch(/dc1\./);
    expect(text).not.toContain('@example.org');
    expect(Object.keys(v.payment)).not.toContain('payLink');

    // After a refund: money per the ledger, the code revoked, no actions left.
    await postRefund(db, { dropId: 'q-one', orderId, amountCents: 1500 });
    await db.updateTable('orders').set({ state: 'refunded' }).where('order_id', '=', orderId).execute();
    const after = (await asSupport('GET', `/v1/orders/${orderId}`)).body;
    expect(after.payment).toMatchObject({ capturedCents: 1500, refundedCents: 1500 });
    expect(after.claimCode.status).toBe('revoked');
    expect(after.allowedResolveActions).toEqual([]);
  });
});
