import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/connection';
import type { OrderState } from '../../src/domain/order/order-states';

/**
 * Rows written straight into a fresh database for the notification tests: a drop, its
 * entrants with their contacts, orders and nodes, without running a drop's workflows.
 */
export async function insertDrop(
  db: Db,
  dropId: string,
  opts: { name?: string; payReminderSeconds?: number; missedPickup?: string; node?: { kind?: 'locker' | 'popup'; name?: string; address?: string } } = {},
) {
  await db
    .insertInto('drops')
    .values({
      drop_id: dropId,
      name: opts.name ?? `Drop ${dropId}`,
      phase: 'settling',
      units: 10,
      price_cents: 4999,
      currency: 'eur',
      spec: JSON.stringify({
        notifications: { payReminderSeconds: opts.payReminderSeconds ?? 600, pickupReminderSeconds: 1800 },
        policies: { missedPickup: opts.missedPickup ?? 'refund' },
        // The launch spec's node, with the public name and address the claim page and e-mails show.
        nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 10, ...opts.node }],
      }),
    })
    .execute();
  await db
    .insertInto('nodes')
    .values({ drop_id: dropId, node_id: 'north-locker', region: 'north', kind: opts.node?.kind ?? 'locker', stock_total: 10, stock_remaining: 10 })
    .execute();
}

export async function insertEntrant(db: Db, dropId: string, entryId: string, contact: { email: string; phone?: string | null; timeZone?: string | null }) {
  await db
    .insertInto('entries')
    .values({
      drop_id: dropId,
      entry_id: entryId,
      identity_hash: randomBytes(32),
      phone_hash: null,
      tier: 'general',
      weight: 1,
      region: 'north',
      pass_id: null,
      idempotency_key_hash: null,
      request_hash: null,
    })
    .execute();
  await db
    .insertInto('entrant_contacts')
    .values({ drop_id: dropId, entry_id: entryId, email: contact.email, phone: contact.phone ?? null, time_zone: contact.timeZone ?? null })
    .execute();
}

export async function insertOrder(
  db: Db,
  dropId: string,
  entryId: string,
  o: { state: OrderState; seq?: number; payDeadline?: Date | null; pickupDeadline?: Date | null; nodeId?: string | null; creditCents?: number | null },
) {
  const orderId = `ord-${entryId}`;
  await db
    .insertInto('orders')
    .values({
      order_id: orderId,
      drop_id: dropId,
      entry_id: entryId,
      state: o.state,
      state_seq: o.seq ?? 1,
      amount_cents: 4999,
      currency: 'eur',
      region: 'north',
      pay_deadline: o.payDeadline ?? null,
      pickup_deadline: o.pickupDeadline ?? null,
      node_id: o.nodeId ?? null,
      fulfillment: o.nodeId ? 'pickup' : null,
      credit_cents: o.creditCents ?? null,
      carrier: 'swiftship',
      tracking_number: 'TRACK123',
    })
    .execute();
  return orderId;
}

export async function notificationRows(db: Db, dropId: string) {
  return db.selectFrom('notifications').selectAll().where('drop_id', '=', dropId).orderBy('notification_id').execute();
}
