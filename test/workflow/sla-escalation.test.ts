import { createServer, type Server } from 'node:http';
import { createActivities } from '../../activities';
import type { Db } from '../../src/db/connection';
import { insertDrop } from '../../src/db/repositories/drops';
import { escalateOverdueExceptions, openException } from '../../src/db/repositories/exceptions';
import type { ExceptionKind } from '../../src/domain/support/exception-kinds';
import { verifyWebhook } from '../../src/integrations/webhook-signature';
import { slaEscalationWorkflowId } from '../../workflows/definitions';
import { createTestDatabase, eventually, startTestStack, type TestStack } from '../helpers/context';

/** The ops side: verifies each delivery's signature, answers the first try of each event 500 (so it is retried), then 200. */
class OpsReceiver {
  readonly accepted: Array<{ eventId: string; body: any }> = [];
  readonly refused: string[] = [];
  readonly badSignatures: string[] = [];
  private server!: Server;
  url = '';
  constructor(readonly secret: string) {}

  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const eventId = String(req.headers['x-drops-event-id']);
        const check = verifyWebhook(req.headers['x-drops-signature'] as string | undefined, raw, this.secret, Math.floor(Date.now() / 1000));
        if (!check.ok) {
          this.badSignatures.push(`${eventId}: ${check.reason}`);
          res.writeHead(400).end();
        } else if (!this.refused.includes(eventId)) {
          this.refused.push(eventId);
          res.writeHead(500).end();
        } else {
          this.accepted.push({ eventId, body: JSON.parse(raw.toString('utf8')) });
          res.writeHead(204).end();
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hooks/ops`;
  }
  stop = () =>
    new Promise<void>((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
}

async function seedDrop(db: Db, dropId: string) {
  const nodes = [{ nodeId: 'north-locker', region: 'north', kind: 'locker' as const, stock: 1 }];
  await insertDrop(db, { dropId, name: dropId, units: 1, priceCents: 100, currency: 'usd', spec: {}, beacon: null, nodes });
}

/** Opens an exception whose SLA deadline is `seconds` from now (negative: already past). */
async function openWithSla(db: Db, dropId: string, kind: ExceptionKind, seconds: number): Promise<number> {
  const dedupeKey = `sla-test:${Math.random()}`;
  await openException(db, { dropId, orderId: null, kind, detail: 'test', slaMinutes: 60, dedupeKey });
  const row = await db
    .updateTable('exceptions')
    .set({ sla_deadline: new Date(Date.now() + seconds * 1000) })
    .where('dedupe_key', '=', dedupeKey)
    .returning('exception_id')
    .executeTakeFirstOrThrow();
  return Number(row.exception_id);
}

const escalationEvents = (db: Db, exceptionId: number) =>
  db
    .selectFrom('events')
    .selectAll()
    .where('kind', '=', 'exception.escalated')
    .where(({ eb, ref }) => eb(ref('data', '->>').key('exceptionId' as never), '=', String(exceptionId)))
    .execute();

describe('SLA escalation on Temporal', () => {
  it('escalates each overdue exception exactly once under concurrent sweeps, with one event each', async () => {
    const { db } = await createTestDatabase();
    try {
      await seedDrop(db, 'sla-race');
      const overdue: number[] = [];
      for (let i = 0; i < 40; i++) overdue.push(await openWithSla(db, 'sla-race', 'stray_label', -60 - i));
      const notYet = await openWithSla(db, 'sla-race', 'stray_label', 3600);
      const swept = await Promise.all(Array.from({ length: 6 }, () => escalateOverdueExceptions(db, 100)));
      const ids = swept.flat().map((r) => Number(r.exception_id));
      expect(ids.sort((a, b) => a - b)).toEqual(overdue);
      expect(ids).not.toContain(notYet);
      const events = await db.selectFrom('events').select('data').where('kind', '=', 'exception.escalated').execute();
      expect(events).toHaveLength(40);
      expect(await escalateOverdueExceptions(db, 100)).toEqual([]);

      // Without an ops webhook: still recorded, nothing owed to a webhook.
      const late = await openWithSla(db, 'sla-race', 'hold_void_failed', -1);
      const activities = createActivities({ db, opsWebhook: null } as never);
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
      expect(await activities.escalateOverdueExceptions()).toEqual({ escalated: [late], toNotify: [] });
      const later = await openWithSla(db, 'sla-race', 'hold_void_failed', -1);
      expect(await activities.escalateOverdueExceptions()).toEqual({ escalated: [later], toNotify: [] });
      // Said once per process, not per sweep.
      expect(warn.mock.calls.filter((c) => String(c[0]).includes('DROPS_OPS_WEBHOOK_URL'))).toHaveLength(1);
      warn.mockRestore();
      expect(await activities.notifyEscalation({ exceptionId: late })).toEqual({ sent: false });
      const row = await db.selectFrom('exceptions').selectAll().where('exception_id', '=', late).executeTakeFirstOrThrow();
      expect(row.escalated_at).not.toBeNull();
      expect(row.escalation_notified_at).toBeNull();
    } finally {
      await db.destroy();
    }
  });

  describe('the escalation workflow with a signed ops webhook', () => {
    let stack: TestStack;
    const receiver = new OpsReceiver('whsec_ops_test_0123456789abcdef');
    beforeAll(async () => {
      await receiver.start();
      stack = await startTestStack({ slaEscalation: { intervalSeconds: 1, opsWebhook: { url: receiver.url, secret: receiver.secret } } });
      await seedDrop(stack.db, 'sla-drop');
    });
    afterAll(async () => {
      await stack?.stop();
      await receiver.stop();
    });

    it('escalates an exception open at its deadline once: escalated_at, one event, one signed webhook (retried after a 500)', async () => {
      const past = await openWithSla(stack.db, 'sla-drop', 'claim_code_rejected', -30);
      const soon = await openWithSla(stack.db, 'sla-drop', 'unplaced_provider_event', 3);
      const resolvedInTime = await openWithSla(stack.db, 'sla-drop', 'stray_label', 3);
      const later = await openWithSla(stack.db, 'sla-drop', 'stray_label', 3600);
      await stack.db
        .updateTable('exceptions')
        .set({ status: 'resolved', resolution: 'fixed', resolved_at: new Date() })
        .where('exception_id', '=', resolvedInTime)
        .execute();

      const delivered = (id: number) => receiver.accepted.filter((a) => a.eventId === `exception.escalated:${id}`);
      await eventually('both overdue exceptions notified', async () => (delivered(past).length > 0 && delivered(soon).length > 0 ? true : undefined), 60_000);
      // A sweep after those: a new overdue exception is escalated too, so the earlier ones have been seen again.
      const afterwards = await openWithSla(stack.db, 'sla-drop', 'payment_record_missing', -1);
      await eventually('a later sweep', async () => (delivered(afterwards).length > 0 ? true : undefined), 60_000);

      expect(receiver.badSignatures).toEqual([]);
      for (const id of [past, soon, afterwards]) {
        expect(delivered(id)).toHaveLength(1);
        expect(receiver.refused).toContain(`exception.escalated:${id}`);
        expect(await escalationEvents(stack.db, id)).toHaveLength(1);
        const row = await stack.db.selectFrom('exceptions').selectAll().where('exception_id', '=', id).executeTakeFirstOrThrow();
        expect(row.escalated_at).not.toBeNull();
        expect(row.escalation_notified_at).not.toBeNull();
      }
      expect(delivered(past)[0]!.body).toMatchObject({
        id: `exception.escalated:${past}`,
        type: 'exception.escalated',
        exception: { exceptionId: past, dropId: 'sla-drop', kind: 'claim_code_rejected', status: 'open' },
      });
      // No free text in the webhook: the detail stays with us.
      expect(JSON.stringify(delivered(past)[0]!.body)).not.toContain('"detail"');
      for (const id of [resolvedInTime, later]) {
        const row = await stack.db.selectFrom('exceptions').selectAll().where('exception_id', '=', id).executeTakeFirstOrThrow();
        expect(row.escalated_at).toBeNull();
        expect(await escalationEvents(stack.db, id)).toHaveLength(0);
      }
      // The queue shows the escalation.
      const queue = await stack.api.call('GET', '/v1/exceptions?dropId=sla-drop&overdue=true', { as: 'support' });
      expect(queue.body.exceptions.find((e: any) => e.exceptionId === past).escalatedAt).toEqual(expect.any(String));

      // One workflow per task queue: starting it again is a no-op.
      const handle = stack.client.workflow.getHandle(slaEscalationWorkflowId(stack.taskQueue));
      expect((await handle.describe()).status.name).toBe('RUNNING');
    });
  });
});
