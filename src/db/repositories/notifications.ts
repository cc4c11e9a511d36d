import { sql, type Kysely } from 'kysely';
import {
  DEFAULT_PAY_REMINDER_SECONDS,
  DEFAULT_PICKUP_REMINDER_SECONDS,
  messageKey,
  NOTIFICATION_KINDS,
  type NotificationKind,
} from '../../domain/notification/kinds';
import type { OrderState } from '../../domain/order/order-states';
import type { Database } from '../schema';

type Q = Kysely<Database>;

/**
 * Writing to the notification outbox. Every function here runs on the caller's transaction
 * (`trx`), the one that makes the state change the message tells of: a committed change has its
 * message, a rolled-back one has none. A retried trigger writes nothing twice (`message_key`).
 */

export interface OutboxMessage {
  kind: NotificationKind;
  dropId: string;
  entryId: string | null;
  orderId?: string | null;
  /** Tells apart repeatable messages of one kind (see messageKey). */
  n?: number | string;
  /** No secrets, no contact details: the template reads those when it sends. */
  data?: Record<string, unknown>;
  /** Due time; now when absent. */
  at?: Date;
}

function rowOf(m: OutboxMessage) {
  const { lane, priority } = NOTIFICATION_KINDS[m.kind];
  return {
    message_key: messageKey(m.kind, m.dropId, m.entryId, m.n),
    drop_id: m.dropId,
    entry_id: m.entryId,
    order_id: m.orderId ?? null,
    kind: m.kind,
    lane,
    priority,
    data: JSON.stringify(m.data ?? {}),
    next_attempt_at: m.at ?? new Date(),
    last_error: null,
    finished_at: null,
  };
}

export async function enqueueNotifications(trx: Q, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await trx
    .insertInto('notifications')
    .values(messages.map(rowOf))
    .onConflict((oc) => oc.column('message_key').doNothing())
    .execute();
}

/** The message an order's new state sends, if any (reminders are scheduled beside two of them). */
const ORDER_STATE_MESSAGES: Partial<Record<OrderState, NotificationKind>> = {
  awaiting_payment: 'pay_link',
  unpaid: 'pay_window_missed',
  declined: 'payment_declined',
  paid: 'paid',
  awaiting_pickup: 'claim_code',
  picked_up: 'picked_up',
  shipped: 'shipped',
  refunded: 'refunded',
  credited: 'credited',
  cancelled: 'order_cancelled',
};

/**
 * The messages of an order's move to `state` (its `seq`): the state's own message and, entering
 * awaiting_payment or awaiting_pickup, its reminder, due the drop's lead time before the deadline
 * (launch `notifications.payReminderSeconds`, default 600; `pickupReminderSeconds`, default 1800).
 * A reminder whose time is already past when the window opens (a window shorter than the lead)
 * is not written: the first message gives the deadline. An order cancelled, lapsed or declined
 * while its drop is cancelled sends nothing here: the drop's cancellation tells every entrant.
 */
export async function enqueueOrderStateMessages(trx: Q, orderId: string, seq: number, state: OrderState): Promise<void> {
  const kind = ORDER_STATE_MESSAGES[state];
  if (!kind) return;
  const order = await trx
    .selectFrom('orders')
    .innerJoin('drops', 'drops.drop_id', 'orders.drop_id')
    .select(['orders.drop_id', 'orders.entry_id', 'orders.pay_deadline', 'orders.pickup_deadline', 'drops.spec', 'drops.cancelled_at'])
    .where('orders.order_id', '=', orderId)
    .executeTakeFirst();
  if (!order || ((kind === 'order_cancelled' || kind === 'pay_window_missed' || kind === 'payment_declined') && order.cancelled_at)) return;
  const base = { dropId: order.drop_id, entryId: order.entry_id, orderId, n: seq };
  // A lapsed or declined order promotes before it finishes (promoteNext): its message says the unit
  // went on only when it did (not after a provider failure, which ends `unpaid` without promoting).
  const data = kind === 'pay_window_missed' || kind === 'payment_declined' ? { releasedToWaitlist: await wasReleasedToWaitlist(trx, orderId) } : undefined;
  const messages: OutboxMessage[] = [{ kind, ...base, ...(data && { data }) }];
  const leads = reminderLeadsOf(order.spec);
  const reminder =
    state === 'awaiting_payment'
      ? { kind: 'pay_reminder' as const, deadline: order.pay_deadline, lead: leads.payReminderSeconds }
      : state === 'awaiting_pickup'
        ? { kind: 'pickup_reminder' as const, deadline: order.pickup_deadline, lead: leads.pickupReminderSeconds }
        : null;
  if (reminder?.deadline) {
    const at = new Date(new Date(reminder.deadline).getTime() - reminder.lead * 1000);
    if (at.getTime() > Date.now()) messages.push({ kind: reminder.kind, ...base, at, data: { leadSeconds: reminder.lead } });
  }
  await enqueueNotifications(trx, messages);
}

async function wasReleasedToWaitlist(trx: Q, orderId: string): Promise<boolean> {
  const row = await trx.selectFrom('promotions').select('replaces_order_id').where('replaces_order_id', '=', orderId).executeTakeFirst();
  return row !== undefined;
}

/** The drop's reminder lead times in seconds (launch `notifications`, else the defaults). */
export function reminderLeadsOf(spec: unknown): { payReminderSeconds: number; pickupReminderSeconds: number } {
  const n = (spec as { notifications?: { payReminderSeconds?: number; pickupReminderSeconds?: number } } | undefined)?.notifications;
  return {
    payReminderSeconds: n?.payReminderSeconds ?? DEFAULT_PAY_REMINDER_SECONDS,
    pickupReminderSeconds: n?.pickupReminderSeconds ?? DEFAULT_PICKUP_REMINDER_SECONDS,
  };
}

/** One campaign row for a drop's bulk message (the dispatcher expands it in batches). */
export async function enqueueCampaign(trx: Q, kind: 'waitlist_campaign' | 'drop_cancelled_campaign', dropId: string): Promise<void> {
  await enqueueNotifications(trx, [{ kind, dropId, entryId: null, data: { cursor: null } }]);
}

/** SQL for the intake statement: the receipt rows of the entries it inserted (see insertEntryBatch). */
export const RECEIPT_OUTBOX_INSERT = (insertedCte: string) => {
  const { lane, priority } = NOTIFICATION_KINDS.entry_received;
  return `INSERT INTO notifications (message_key, drop_id, entry_id, kind, lane, priority)
      SELECT 'entry_received:' || drop_id || ':' || entry_id, drop_id, entry_id, 'entry_received', '${lane}', ${priority} FROM ${insertedCte}
      ON CONFLICT (message_key) DO NOTHING`;
};

/** How many messages of each kind and status a drop has (the demo's counts, the dispatcher's tests). */
export async function countNotifications(db: Q, dropId: string) {
  const rows = await db
    .selectFrom('notifications')
    .select(['kind', 'status', sql<string>`count(*)`.as('n')])
    .where('drop_id', '=', dropId)
    .groupBy(['kind', 'status'])
    .execute();
  return rows.map((r) => ({ kind: r.kind, status: r.status, n: Number(r.n) }));
}

/**
 * An entrant's messages for support (`GET /v1/orders/:orderId`), oldest first: kind, status,
 * attempts, times and last error; never the address or a body (the rows hold neither).
 * At most `limit` rows (an entrant gets a few dozen at most).
 */
export async function listEntrantMessages(db: Q, dropId: string, entryId: string, limit = 200) {
  return db
    .selectFrom('notifications')
    .select(['kind', 'status', 'attempts', 'created_at', 'finished_at', 'last_error'])
    .where('drop_id', '=', dropId)
    .where('entry_id', '=', entryId)
    .orderBy('created_at')
    .orderBy('notification_id')
    .limit(limit)
    .execute();
}
