import type { Db } from '../../src/db/connection';
import type { NotificationRow } from '../../src/db/schema';
import { deriveKey, receiptSecretFor } from '../../src/domain/identity';
import { MESSAGE_KINDS, messageKey, NOTIFICATION_KINDS, type MessageKind } from '../../src/domain/notification/kinds';
import { findOrder } from '../../src/db/repositories/orders';
import type { OrderState } from '../../src/domain/order/order-states';
import { claimCodeOf, offerCodeOf } from '../../src/services/registration/entrant-secrets';
import { EmailTemplates, prepareMessage } from '../../src/services/notification/render';
import { createTestDatabase } from '../helpers/context';
import { insertDrop, insertEntrant, insertOrder } from '../notification/fixtures';

/**
 * Every kind's e-mail renders from the rows as they are at send time, gives its deadline in the
 * entrant's own zone, and carries nothing of another entrant: not their address or phone, not
 * their receipt token or claim code; no secret in a query string.
 */
describe('e-mail templates', () => {
  let db: Db;
  const secrets = { identitySecret: 'identity-secret-for-templates', claimSecret: 'claim-secret-for-templates' };
  const dropId = 'tpl-drop';
  const publicUrl = 'https://drops.example.org';
  const pickupDeadline = new Date('2026-07-01T12:00:00Z');
  const payDeadline = new Date('2026-07-01T09:30:00Z');
  const templates = new EmailTemplates();
  const A = { entryId: 'entry-a', email: 'alice@example.com', phone: '+15550001111', timeZone: 'Asia/Tokyo' };
  const B = { entryId: 'entry-b', email: 'bob@example.com', phone: '+15550002222', timeZone: 'America/New_York' };

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    await insertDrop(db, dropId, {
      name: 'Sneaker <Drop> & Co',
      missedPickup: 'credit',
      node: { name: 'North Station Lockers', address: '1 Rail Square, Level -1' },
    });
    for (const e of [A, B]) {
      await insertEntrant(db, dropId, e.entryId, e);
      await insertOrder(db, dropId, e.entryId, { state: 'awaiting_pickup', payDeadline, pickupDeadline, nodeId: 'north-locker', creditCents: 2500 });
    }
  });
  afterAll(async () => db.destroy());

  const row = (kind: MessageKind, data: Record<string, unknown> = {}): NotificationRow => ({
    notification_id: '1',
    message_key: messageKey(kind, dropId, A.entryId, 1),
    drop_id: dropId,
    entry_id: A.entryId,
    order_id: `ord-${A.entryId}`,
    kind,
    lane: NOTIFICATION_KINDS[kind].lane,
    priority: NOTIFICATION_KINDS[kind].priority,
    channel: 'email',
    data,
    status: 'pending',
    attempts: 1,
    next_attempt_at: new Date(),
    last_error: null,
    created_at: new Date(),
    finished_at: null,
  });
  /** The order state each kind is sent in (reminders check it; the claim and offer codes need theirs). */
  const STATE_OF: Partial<Record<MessageKind, OrderState>> = {
    pay_reminder: 'awaiting_payment',
    credited: 'credited',
    pay_window_missed: 'unpaid',
    payment_declined: 'declined',
  };
  const stateFor = (kind: MessageKind): OrderState => STATE_OF[kind] ?? 'awaiting_pickup';

  const renderFor = async (kind: MessageKind, data: Record<string, unknown> = { releasedToWaitlist: true }) => {
    await db
      .updateTable('orders')
      .set({ state: stateFor(kind) })
      .where('order_id', 'in', [`ord-${A.entryId}`, `ord-${B.entryId}`])
      .execute();
    const prepared = await prepareMessage(
      db,
      secrets,
      publicUrl,
      row(kind, { waitlistPosition: 7, leadSeconds: 600, ...data }),
      new Date('2026-07-01T11:55:00Z'),
    );
    if (prepared.action !== 'send') throw new Error(`${kind}: ${prepared.action}`);
    expect(prepared.to).toBe(A.email);
    return templates.render(kind, prepared.view);
  };

  it.each(MESSAGE_KINDS.map((k) => [k]))('%s renders a subject starting with the drop name, a text and an HTML body', async (kind) => {
    const m = await renderFor(kind);
    expect(m.subject.startsWith('Sneaker <Drop> & Co: ')).toBe(true);
    expect(m.subject).not.toContain('\n');
    expect(m.text).toContain('Sneaker <Drop> & Co');
    // HTML escaped, text not.
    expect(m.html).toContain('Sneaker &lt;Drop&gt; &amp; Co');
    expect(m.html).not.toContain('<Drop>');
    expect(m.html).toMatch(/^<!doctype html>\n<html lang='en'>/);
    // Every link of the text on its own line, to this entrant's own pages.
    const token = receiptSecretFor(deriveKey(secrets.identitySecret, 'receipt'), dropId, A.entryId);
    const links = m.text.split('\n').filter((l) => l.includes('http'));
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(l).toMatch(new RegExp(`^${publicUrl}/entrant/${dropId}/${A.entryId}/${token}(/pay|/claim|/verify)?$`));
  });

  it("gives the deadlines in the entrant's time zone, naming it", async () => {
    const claim = await renderFor('claim_code');
    expect(claim.text).toContain('Wed, 1 Jul 2026, 21:00 (Asia/Tokyo)');
    expect(claim.html).toContain('21:00 (Asia/Tokyo)');
    const pay = await renderFor('pay_link');
    expect(pay.text).toContain('18:30 (Asia/Tokyo)');
    expect(pay.text).not.toContain('09:30');
  });

  it.each(['routed', 'claim_code', 'pickup_reminder'] as const)(
    "%s names the pickup place by the launch spec's name and address, as the claim page does",
    async (kind) => {
      const m = await renderFor(kind);
      for (const part of [m.text, m.html]) {
        expect(part).toContain('North Station Lockers');
        expect(part).toContain('1 Rail Square, Level -1');
        expect(part).not.toContain('north-locker');
      }
    },
  );

  it('tells a pop-up winner to show the QR code to the staff, a locker winner to the scanner', async () => {
    expect((await renderFor('claim_code')).text).toContain("at the locker's scanner");
    await db.updateTable('nodes').set({ kind: 'popup' }).where('drop_id', '=', dropId).execute();
    try {
      const m = await renderFor('claim_code');
      expect(m.text).toContain('to the staff at the pop-up counter');
      expect(m.text).not.toContain('locker');
    } finally {
      await db.updateTable('nodes').set({ kind: 'locker' }).where('drop_id', '=', dropId).execute();
    }
  });

  it('tells a winner whose pay window lapsed, or whose payment was declined, that the unit went to the next entrant', async () => {
    const missed = await renderFor('pay_window_missed');
    expect(missed.subject).toBe('Sneaker <Drop> & Co: your pay window closed');
    expect(missed.text).toContain('closed at Wed, 1 Jul 2026, 18:30 (Asia/Tokyo) without a payment');
    const declined = await renderFor('payment_declined');
    expect(declined.subject).toBe('Sneaker <Drop> & Co: your payment was declined');
    expect(declined.text).toContain('Your payment of €49.99');
    for (const m of [missed, declined]) {
      expect(m.text).toContain('The unit went to the next entrant on the waitlist.');
      expect(m.html).toContain('The unit went to the next entrant on the waitlist.');
    }
    // An order that ended without promoting anyone (a provider failure) does not claim it did.
    expect((await renderFor('pay_window_missed', { releasedToWaitlist: false })).text).not.toContain('waitlist');
  });

  it('says UTC when the entrant gave no zone', async () => {
    await db.updateTable('entrant_contacts').set({ time_zone: null }).where('entry_id', '=', A.entryId).execute();
    try {
      expect((await renderFor('claim_code')).text).toContain('Wed, 1 Jul 2026, 12:00 (UTC)');
    } finally {
      await db.updateTable('entrant_contacts').set({ time_zone: A.timeZone }).where('entry_id', '=', A.entryId).execute();
    }
  });

  it("carries the entrant's own claim code, offer code and waitlist position", async () => {
    await db.updateTable('orders').set({ state: 'awaiting_pickup' }).where('order_id', '=', `ord-${A.entryId}`).execute();
    const code = claimCodeOf(secrets.claimSecret, (await findOrder(db, `ord-${A.entryId}`))!)!;
    expect((await renderFor('claim_code')).text).toContain(`Your claim code: ${code}`);
    const credited = await renderFor('credited');
    expect(credited.text).toContain(offerCodeOf(secrets.claimSecret, (await findOrder(db, `ord-${A.entryId}`))!)!);
    expect(credited.text).toContain('€25.00');
    expect((await renderFor('waitlisted')).subject).toContain('number 7 on the waitlist');
  });

  it.each(MESSAGE_KINDS.map((k) => [k]))('%s holds nothing of another entrant and no secret in a query string', async (kind) => {
    await db
      .updateTable('orders')
      .set({ state: stateFor(kind) })
      .where('order_id', '=', `ord-${B.entryId}`)
      .execute();
    const orderB = (await findOrder(db, `ord-${B.entryId}`))!;
    const bSecrets = [
      B.email,
      B.phone,
      B.entryId,
      receiptSecretFor(deriveKey(secrets.identitySecret, 'receipt'), dropId, B.entryId),
      claimCodeOf(secrets.claimSecret, { ...orderB, state: 'awaiting_pickup' })!,
      offerCodeOf(secrets.claimSecret, { ...orderB, state: 'credited' })!,
    ];
    const m = await renderFor(kind);
    for (const part of [m.subject, m.text, m.html]) {
      for (const s of bSecrets) expect(part).not.toContain(s);
      // Nor the entrant's own phone: only what a message needs.
      expect(part).not.toContain(A.phone);
      expect(part).not.toMatch(/[?&](secret|token|receipt|code)=/i);
    }
  });
});
