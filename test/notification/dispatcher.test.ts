import type { Db } from '../../src/db/connection';
import { enqueueNotifications, enqueueOrderStateMessages, type OutboxMessage } from '../../src/db/repositories/notifications';
import { messageKey } from '../../src/domain/notification/kinds';
import { ensureMailpit, startMailpit, type Mailpit } from '../../src/devstack/mailpit';
import { freePort } from '../../src/devstack/ports';
import { PROJECT_ROOT } from '../../src/devstack/stack';
import { messageIdFor, SmtpEmailSender } from '../../src/integrations/email-sender';
import { NotificationDispatcher } from '../../src/services/notification/dispatcher';
import { createTestDatabase, eventually } from '../helpers/context';
import { MailpitClient } from '../helpers/mailpit';
import { insertDrop, insertEntrant, insertOrder, notificationRows } from './fixtures';

/**
 * The dispatcher against a real SMTP server of this file's own (Mailpit, which it stops for
 * 30 s): at least once and never twice per Message-ID, transactional before bulk, a 5xx
 * bounced and not retried, reminders at deadline − lead, skipped or moved with their order.
 */
describe('notification dispatcher', () => {
  let db: Db;
  let mailpit: Mailpit;
  let mail: MailpitClient;
  let sender: SmtpEmailSender;
  const dispatchers: NotificationDispatcher[] = [];
  const secrets = { identitySecret: 'identity-secret-for-dispatch', claimSecret: 'claim-secret-for-dispatch' };

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    // Recipients at bounce.invalid are refused with a 550 (a permanent rejection).
    mailpit = await startMailpit({
      binary: await ensureMailpit(PROJECT_ROOT, () => {}),
      smtpPort: await freePort(),
      httpPort: await freePort(),
      allowedRecipients: '@example\\.com$',
    });
    mail = new MailpitClient(mailpit.httpUrl);
    sender = new SmtpEmailSender(mailpit.smtpUrl, 'drops@localhost');
  });
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
  });
  afterAll(async () => {
    await sender?.close();
    await mailpit?.stop();
    await db?.destroy();
  });

  const dispatcher = (o: { bulkPerSecond?: number; dispatchers?: number } = {}) => {
    for (let i = 0; i < (o.dispatchers ?? 1); i++) {
      const d = new NotificationDispatcher({
        db,
        sender,
        secrets,
        publicUrl: 'http://drops.test',
        retryCapMs: 3000,
        idleMs: 50,
        bulkPerSecond: o.bulkPerSecond,
      });
      d.start();
      dispatchers.push(d);
    }
  };
  const entrants = async (dropId: string, n: number, domain = 'example.com') => {
    const ids = Array.from({ length: n }, (_, i) => `${dropId}-${domain.split('.')[0]}-e${String(i).padStart(5, '0')}`);
    for (const id of ids) await insertEntrant(db, dropId, id, { email: `${id}@${domain}` });
    return ids;
  };
  const statuses = async (dropId: string, kind?: string) => (await notificationRows(db, dropId)).filter((r) => !kind || r.kind === kind).map((r) => r.status);

  it('loses and duplicates no message while Mailpit is down for 30 s (one message per Message-ID)', async () => {
    const dropId = 'outage-drop';
    await insertDrop(db, dropId);
    const ids = await entrants(dropId, 40);
    const receipts = (list: string[]): OutboxMessage[] => list.map((entryId) => ({ kind: 'entry_received', dropId, entryId }));
    // Two dispatchers at once: their claims must skip each other's rows.
    dispatcher({ dispatchers: 2 });
    await enqueueNotifications(db, receipts(ids.slice(0, 20)));
    await eventually('the first 20 delivered', async () => ((await statuses(dropId)).every((s) => s === 'delivered') ? true : undefined));

    await mailpit.pause();
    const downSince = Date.now();
    await enqueueNotifications(db, receipts(ids.slice(20)));
    // Down for 30 s: the due rows are tried, fail, and wait; none is given up or marked sent.
    await eventually(
      '30 s of outage',
      async () => {
        const rows = (await notificationRows(db, dropId)).slice(20);
        expect(rows.every((r) => r.status === 'pending')).toBe(true);
        return Date.now() - downSince >= 30_000 ? rows : undefined;
      },
      45_000,
    ).then((rows) => expect(rows.some((r) => r.attempts > 1 && r.last_error)).toBe(true));
    await mailpit.start();

    await eventually('all 40 delivered', async () => ((await statuses(dropId)).every((s) => s === 'delivered') ? true : undefined), 60_000);
    const held = await mail.search(`to:"@example.com" subject:"Drop ${dropId}"`);
    const expected = ids.map((id) => messageIdFor(messageKey('entry_received', dropId, id)).slice(1, -1));
    expect(held.map((m) => m.MessageID).sort()).toEqual(expected.sort());
    const one = await mail.read(held[0]!.ID);
    expect(one.headers['X-Drops-Kind']).toEqual(['entry_received']);
  }, 150_000);

  it('sends transactional messages before a bulk backlog (a waitlist campaign expanded in draw order)', async () => {
    const dropId = 'lanes-drop';
    await insertDrop(db, dropId);
    const ids = await entrants(dropId, 300);
    // The draw: two ranking chunks, three winners among them.
    const chunkSize = 150;
    for (let c = 0; c < 2; c++) {
      await db
        .insertInto('draw_ranking_chunks')
        .values({ drop_id: dropId, chunk: c, entry_ids: ids.slice(c * chunkSize, (c + 1) * chunkSize).join('\n') })
        .execute();
    }
    const winners = [ids[0]!, ids[5]!, ids[200]!];
    await db
      .insertInto('draw_winners')
      .values(winners.map((entry_id, i) => ({ drop_id: dropId, position: ids.indexOf(entry_id), entry_id, round: `r${i}` })))
      .execute();
    await enqueueNotifications(db, [{ kind: 'waitlist_campaign', dropId, entryId: null, data: { cursor: null } }]);
    dispatcher({ bulkPerSecond: 20 });
    await eventually('the campaign expanded', async () => ((await statuses(dropId, 'waitlist_campaign'))[0] === 'expanded' ? true : undefined));
    await eventually('some bulk sent', async () => ((await statuses(dropId, 'waitlisted')).includes('delivered') ? true : undefined));

    const t0 = Date.now();
    await enqueueNotifications(
      db,
      winners.map((entryId) => ({ kind: 'won', dropId, entryId })),
    );
    await eventually('the win messages delivered', async () => ((await statuses(dropId, 'won')).every((s) => s === 'delivered') ? true : undefined), 10_000);
    expect(Date.now() - t0).toBeLessThan(5000);
    // The backlog is still there: the win messages went ahead of it.
    const waitlisted = await notificationRows(db, dropId).then((rows) => rows.filter((r) => r.kind === 'waitlisted'));
    expect(waitlisted).toHaveLength(297);
    expect(waitlisted.filter((r) => r.status === 'pending').length).toBeGreaterThan(150);
    // Waitlist positions in draw order, the winners left out.
    const position = new Map(waitlisted.map((r) => [r.entry_id, (r.data as { waitlistPosition: number }).waitlistPosition]));
    expect(position.get(ids[1]!)).toBe(1);
    expect(position.get(ids[6]!)).toBe(5);
    // 201 ranked before it, three of them winners.
    expect(position.get(ids[201]!)).toBe(199);
    expect(position.has(ids[200]!)).toBe(false);
    // The expansion spells the key in SQL: it must be the key messageKey() gives.
    for (const r of waitlisted) expect(r.message_key).toBe(messageKey('waitlisted', dropId, r.entry_id));
  }, 120_000);

  it("expands a drop's cancellation into one message per entrant, each delivered once", async () => {
    const dropId = 'cancelled-drop';
    await insertDrop(db, dropId);
    const ids = await entrants(dropId, 45);
    await enqueueNotifications(db, [{ kind: 'drop_cancelled_campaign', dropId, entryId: null }]);
    // Small batches, so the cursor has to carry the expansion across several steps.
    const d = new NotificationDispatcher({ db, sender, secrets, publicUrl: 'http://drops.test', idleMs: 50, bulkPerSecond: 200, campaignBatch: 10 });
    d.start();
    dispatchers.push(d);
    await eventually('every cancellation delivered', async () => {
      const s = await statuses(dropId, 'drop_cancelled');
      return s.length === ids.length && s.every((x) => x === 'delivered') ? true : undefined;
    });
    expect(await statuses(dropId, 'drop_cancelled_campaign')).toEqual(['expanded']);
    const rows = (await notificationRows(db, dropId)).filter((r) => r.kind === 'drop_cancelled');
    expect(rows.map((r) => r.entry_id).sort()).toEqual([...ids].sort());
    for (const r of rows) expect(r.message_key).toBe(messageKey('drop_cancelled', dropId, r.entry_id));
    const held = await mail.search(`subject:"${dropId}"`);
    expect(new Set(held.map((m) => m.MessageID)).size).toBe(ids.length);
  }, 120_000);

  it('records a permanent 5xx rejection as bounced, after one attempt', async () => {
    const dropId = 'bounce-drop';
    await insertDrop(db, dropId);
    const [bad] = await entrants(dropId, 1, 'bounce.invalid');
    const [good] = await entrants(dropId, 1);
    dispatcher();
    await enqueueNotifications(db, [
      { kind: 'entry_received', dropId, entryId: bad! },
      { kind: 'entry_received', dropId, entryId: good! },
    ]);
    const rows = await eventually('both finished', async () => {
      const r = await notificationRows(db, dropId);
      return r.every((x) => x.status !== 'pending') ? r : undefined;
    });
    const [b, g] = [rows.find((r) => r.entry_id === bad)!, rows.find((r) => r.entry_id === good)!];
    expect(b.status).toBe('bounced');
    expect(b.attempts).toBe(1);
    expect(b.last_error).toContain('550');
    expect(b.last_error).not.toContain('bounce.invalid');
    expect(g.status).toBe('delivered');
  });

  it('sends a pay reminder at deadline − lead, skips it once paid, and moves it with a later deadline', async () => {
    const dropId = 'reminder-drop';
    const lead = 5;
    await insertDrop(db, dropId, { payReminderSeconds: lead });
    const [onTime, paid, moved] = await entrants(dropId, 3);
    const deadline = new Date(Date.now() + 9000);
    const orders: Record<string, string> = {};
    for (const e of [onTime!, paid!, moved!]) {
      orders[e] = await insertOrder(db, dropId, e, { state: 'awaiting_payment', seq: 1, payDeadline: deadline });
      await enqueueOrderStateMessages(db, orders[e]!, 1, 'awaiting_payment');
    }
    const reminder = async (e: string) => (await notificationRows(db, dropId)).find((r) => r.kind === 'pay_reminder' && r.entry_id === e)!;
    expect(new Date((await reminder(onTime!)).next_attempt_at).getTime()).toBe(deadline.getTime() - lead * 1000);
    // Before it is due: one order is paid, another's deadline moves 20 s later.
    await db.updateTable('orders').set({ state: 'paid', state_seq: 2 }).where('order_id', '=', orders[paid!]!).execute();
    const later = new Date(deadline.getTime() + 20_000);
    await db.updateTable('orders').set({ pay_deadline: later }).where('order_id', '=', orders[moved!]!).execute();
    dispatcher();

    const sent = await eventually('the on-time reminder delivered', async () => {
      const r = await reminder(onTime!);
      return r.status === 'delivered' ? r : undefined;
    });
    expect(new Date(sent.finished_at!).getTime()).toBeGreaterThanOrEqual(deadline.getTime() - lead * 1000);
    await eventually("the paid order's reminder skipped", async () => ((await reminder(paid!)).status === 'skipped' ? true : undefined));
    expect((await reminder(paid!)).last_error).toContain('no longer awaiting_payment');
    const rescheduled = await eventually('the moved reminder rescheduled', async () => {
      const r = await reminder(moved!);
      return new Date(r.next_attempt_at).getTime() === later.getTime() - lead * 1000 ? r : undefined;
    });
    expect(rescheduled.status).toBe('pending');
    const movedSent = await eventually(
      'the moved reminder delivered',
      async () => {
        const r = await reminder(moved!);
        return r.status === 'delivered' ? r : undefined;
      },
      40_000,
    );
    expect(new Date(movedSent.finished_at!).getTime()).toBeGreaterThanOrEqual(later.getTime() - lead * 1000);
    const text = (await mail.waitFor(`${moved}@example.com`, (m) => m.headers['X-Drops-Kind']?.[0] === 'pay_reminder')).text;
    expect(text).toContain(`held until`);
  }, 120_000);
});
