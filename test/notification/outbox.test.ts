import { sql } from 'kysely';
import { enqueueOrderStateMessages } from '../../src/db/repositories/notifications';
import { messageKey } from '../../src/domain/notification/kinds';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { dropDriver, type Receipt } from '../helpers/drops';
import { textOf } from '../helpers/html';
import { entrantPagePath } from '../../src/domain/notification/links';

/**
 * The outbox (issue 15): each trigger writes its message in its own transaction, once, with no
 * contact detail in the row; reminders are scheduled their lead time before the deadline.
 */
describe('notification outbox', () => {
  let stack: TestStack;
  const { launch, orderIn, pay, status, resolve } = dropDriver(() => stack);

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const rowsOf = (dropId: string) => stack.db.selectFrom('notifications').selectAll().where('drop_id', '=', dropId).orderBy('notification_id').execute();
  const kindsOf = async (dropId: string, entryId: string) => (await rowsOf(dropId)).filter((r) => r.entry_id === entryId).map((r) => r.kind);

  it('writes one message per trigger through a whole pickup, a waitlist campaign, and reminders at deadline minus lead', async () => {
    const dropId = 'outbox-path';
    await launch(dropId, {
      windows: { paymentSeconds: 120, pickupSeconds: 120 },
      body: { notifications: { payReminderSeconds: 30, pickupReminderSeconds: 45 } },
    });
    const receipts: Receipt[] = [];
    for (const i of [0, 1, 2]) {
      const r = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, {
        body: { email: `outbox-${i}@example.org`, region: 'north', timeZone: 'Europe/Berlin' },
      });
      expect(r.status).toBe(201);
      receipts.push(r.body);
    }
    // A duplicate registration and a refused one write no message.
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: 'outbox-0@example.org', region: 'north' } })).status).toBe(200);
    const receiptRows = (await rowsOf(dropId)).filter((r) => r.kind === 'entry_received');
    expect(receiptRows.map((r) => r.entry_id).sort()).toEqual(receipts.map((r) => r.entryId).sort());
    // The intake statement spells the key in SQL: it must be the key messageKey() gives (the Message-ID derives from it).
    for (const r of receiptRows) expect(r.message_key).toBe(messageKey('entry_received', dropId, r.entry_id));
    expect((await stack.db.selectFrom('entrant_contacts').select('time_zone').where('drop_id', '=', dropId).execute()).map((c) => c.time_zone)).toEqual([
      'Europe/Berlin',
      'Europe/Berlin',
      'Europe/Berlin',
    ]);

    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: 'late@example.org', region: 'north' } })).status).toBe(409);

    // Which one won is the draw's business: find the entrant with an order.
    const winner = await eventually('the winner', async () => {
      for (const r of receipts)
        if ((await stack.db.selectFrom('orders').select('order_id').where('entry_id', '=', r.entryId).executeTakeFirst()) !== undefined) return r;
      return undefined;
    });
    const order = await orderIn(dropId, winner, ['awaiting_payment']);
    const row = await stack.db.selectFrom('orders').selectAll().where('order_id', '=', order.orderId).executeTakeFirstOrThrow();
    const payReminder = await eventually('the pay reminder', async () => (await rowsOf(dropId)).find((r) => r.kind === 'pay_reminder'));
    expect(new Date(payReminder.next_attempt_at).getTime()).toBe(new Date(row.pay_deadline!).getTime() - 30_000);
    expect(payReminder.data).toEqual({ leadSeconds: 30 });

    await pay(order);
    await orderIn(dropId, winner, ['awaiting_pickup']);
    const pickupRow = await stack.db.selectFrom('orders').selectAll().where('order_id', '=', order.orderId).executeTakeFirstOrThrow();
    const pickupReminder = await eventually('the pickup reminder', async () => (await rowsOf(dropId)).find((r) => r.kind === 'pickup_reminder'));
    expect(new Date(pickupReminder.next_attempt_at).getTime()).toBe(new Date(pickupRow.pickup_deadline!).getTime() - 45_000);

    const opened = await fetch(`${stack.providerUrl}/lockers/${pickupRow.node_id}/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ claim_code: (await orderIn(dropId, winner, ['awaiting_pickup'])).claimCode }),
    });
    expect(opened.status).toBe(200);
    await orderIn(dropId, winner, ['picked_up']);

    await eventually('the picked-up message', async () => ((await kindsOf(dropId, winner.entryId)).includes('picked_up') ? true : undefined));
    expect((await kindsOf(dropId, winner.entryId)).sort()).toEqual(
      ['entry_received', 'won', 'pay_link', 'pay_reminder', 'paid', 'routed', 'claim_code', 'pickup_reminder', 'picked_up'].sort(),
    );
    // The waitlist is one campaign row, not a row per entrant (the dispatcher expands it).
    const campaigns = (await rowsOf(dropId)).filter((r) => r.kind === 'waitlist_campaign');
    expect(campaigns).toHaveLength(1);
    expect(campaigns[0]!.entry_id).toBeNull();
    // No row carries a contact detail.
    expect(JSON.stringify(await rowsOf(dropId))).not.toMatch(/example\.org/);
  });

  it('writes nothing twice when a trigger is retried', async () => {
    const dropId = 'outbox-path';
    const before = await rowsOf(dropId);
    const order = await stack.db.selectFrom('orders').selectAll().where('drop_id', '=', dropId).executeTakeFirstOrThrow();
    // A retried recordOrderState of a state already recorded (same seq) finds its message there.
    await stack.db.transaction().execute((trx) => enqueueOrderStateMessages(trx, order.order_id, order.state_seq, order.state));
    const after = await rowsOf(dropId);
    expect(after.length).toBe(before.length);
    const keys = await sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT message_key FROM notifications GROUP BY 1 HAVING count(*) > 1) d`.execute(stack.db);
    expect(Number(keys.rows[0]!.n)).toBe(0);
  });

  it('rolls the message back with its trigger', async () => {
    const order = await stack.db.selectFrom('orders').selectAll().where('drop_id', '=', 'outbox-path').executeTakeFirstOrThrow();
    const count = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM notifications`.execute(stack.db)).rows[0]!.n);
    const before = await count();
    await expect(
      stack.db.transaction().execute(async (trx) => {
        await enqueueOrderStateMessages(trx, order.order_id, order.state_seq + 100, 'refunded');
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await count()).toBe(before);
  });

  it('tells a promoted entrant, and a cancelled drop tells everyone in one campaign row (no order_cancelled beside it)', async () => {
    const dropId = 'outbox-promote';
    await launch(dropId, { windows: { paymentSeconds: 2, pickupSeconds: 60 } });
    const receipts: Receipt[] = [];
    for (const i of [0, 1, 2]) {
      const r = await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `promote-${i}@example.org`, region: 'north' } });
      receipts.push(r.body);
    }
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    // The winner lets the 2 s pay window lapse: the next on the waitlist is promoted and told.
    const promoted = await eventually('a promotion message', async () => (await rowsOf(dropId)).find((r) => r.kind === 'promoted'));
    const order = await stack.db.selectFrom('orders').selectAll().where('entry_id', '=', promoted.entry_id!).executeTakeFirstOrThrow();
    expect(order.promoted_from_order_id).not.toBeNull();
    expect(promoted.order_id).toBe(order.order_id);
    // The lapsed winner is told their window closed and the unit went on, with their order's `unpaid`
    // (promoted first, so the drop never sees every order final while a unit is in flight).
    const missed = await eventually('the lapsed winner told', async () => (await rowsOf(dropId)).find((r) => r.kind === 'pay_window_missed'));
    const lapsed = await stack.db.selectFrom('orders').selectAll().where('order_id', '=', order.promoted_from_order_id!).executeTakeFirstOrThrow();
    expect(lapsed.state).toBe('unpaid');
    expect([missed.entry_id, missed.order_id, missed.data]).toEqual([lapsed.entry_id, lapsed.order_id, { releasedToWaitlist: true }]);
    const cancel = await stack.api.call('POST', `/v1/drops/${dropId}/cancel`, { as: 'ops', body: { reasonCode: 'ops_decision', reason: 'venue closed' } });
    expect(cancel.status).toBe(200);
    await eventually('the drop cancelled', async () =>
      (await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === 'cancelled' ? true : undefined,
    );
    const rows = await rowsOf(dropId);
    expect(rows.filter((r) => r.kind === 'drop_cancelled_campaign')).toHaveLength(1);
    expect(rows.filter((r) => r.kind === 'order_cancelled')).toEqual([]);
    expect(rows.filter((r) => r.kind === 'won')).toHaveLength(1);
    expect(rows.filter((r) => r.kind === 'pay_window_missed')).toHaveLength(1);
    expect(rows.filter((r) => r.kind === 'entry_received')).toHaveLength(receipts.length);
  });

  it('support cancelling a winner tells them (order_cancelled) and the promoted; the one still waiting is next in line on their page', async () => {
    const dropId = 'outbox-support-cancel';
    await launch(dropId, { windows: { paymentSeconds: 300, pickupSeconds: 60 } });
    const receipts: Receipt[] = [];
    for (const i of [0, 1, 2])
      receipts.push((await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `sc-${i}@example.org`, region: 'north' } })).body);
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    const winner = await eventually('the winner', async () => {
      for (const r of receipts) if ((await status(dropId, r)).order?.state === 'awaiting_payment') return r;
      return undefined;
    });
    const order = await orderIn(dropId, winner, ['awaiting_payment']);
    expect((await resolve(order.orderId, 'cancel_order')).status).toBe(200);
    const promoted = await eventually('a promotion message', async () => (await rowsOf(dropId)).find((r) => r.kind === 'promoted'));
    await eventually("the winner's cancellation message", async () => ((await kindsOf(dropId, winner.entryId)).includes('order_cancelled') ? true : undefined));
    // Drawn third, the one still waiting is now next in line: the page counts the promotion ahead of them.
    const waiting = receipts.find((r) => r.entryId !== winner.entryId && r.entryId !== promoted.entry_id)!;
    expect((await status(dropId, waiting)).status).toBe('waitlisted');
    const page = await (await fetch(`${stack.apiUrl}${entrantPagePath(dropId, waiting.entryId, waiting.receiptSecret)}`)).text();
    expect(textOf(page, 'waitlist-position')).toBe('1');
  });
});
