/**
 * Every message an entrant can be sent, what causes it, and its lane. The outbox row is written
 * in the same transaction as its trigger (src/db/repositories/notifications.ts); templates live
 * in templates/email/<kind>.{subject,text,html}.hbs.
 *
 * Lanes (issue 15): `transactional` rows are claimed on their own, lowest priority number first,
 * so a win, a pay link, a claim code or a reminder never waits behind the waitlist of a million;
 * `bulk` rows are batched and rate-limited.
 */
export const NOTIFICATION_KINDS = {
  entry_received: { lane: 'transactional', priority: 2, trigger: 'the entry is committed (POST /v1/drops/:dropId/entries)' },
  won: { lane: 'transactional', priority: 0, trigger: "the draw's winners get their order rows (startOrderWorkflows)" },
  promoted: { lane: 'transactional', priority: 0, trigger: 'a lapsed unit goes to the next waitlisted entrant (promoteNext)' },
  pay_link: { lane: 'transactional', priority: 0, trigger: 'the order enters awaiting_payment with its pay link' },
  pay_reminder: { lane: 'transactional', priority: 0, trigger: 'payReminderSeconds before the pay deadline, while still unpaid' },
  pay_window_missed: {
    lane: 'transactional',
    priority: 1,
    trigger: 'the pay window closed without a payment (order unpaid): the unit goes to the next entrant on the waitlist',
  },
  payment_declined: {
    lane: 'transactional',
    priority: 1,
    trigger: 'the payment was finally declined (order declined): the unit goes to the next entrant on the waitlist',
  },
  paid: { lane: 'transactional', priority: 1, trigger: 'the order is paid' },
  routed: { lane: 'transactional', priority: 1, trigger: 'the paid order is given a node (pickup) or a shipment (ship)' },
  claim_code: { lane: 'transactional', priority: 0, trigger: 'the order enters awaiting_pickup (and each claim code support replaces)' },
  pickup_reminder: { lane: 'transactional', priority: 0, trigger: 'pickupReminderSeconds before the pickup deadline, while not picked up' },
  picked_up: { lane: 'transactional', priority: 1, trigger: 'the locker reports the compartment opened with the claim code' },
  shipped: { lane: 'transactional', priority: 1, trigger: 'the order is shipped, with carrier and tracking number' },
  refunded: { lane: 'transactional', priority: 1, trigger: 'the order is refunded' },
  credited: { lane: 'transactional', priority: 1, trigger: 'a missed pickup is credited with the fallback offer' },
  order_cancelled: { lane: 'transactional', priority: 1, trigger: 'support cancelled the order (a drop cancellation sends drop_cancelled instead)' },
  waitlisted: { lane: 'bulk', priority: 3, trigger: 'expanded from waitlist_campaign: each entrant drawn without a unit, with their waitlist position' },
  drop_cancelled: { lane: 'bulk', priority: 3, trigger: 'expanded from drop_cancelled_campaign: every entrant of a cancelled drop' },
  waitlist_campaign: { lane: 'bulk', priority: 4, trigger: 'the draw completes (one row per drop)' },
  drop_cancelled_campaign: { lane: 'bulk', priority: 4, trigger: 'ops cancel the drop (one row per drop)' },
} as const satisfies Record<string, { lane: 'transactional' | 'bulk'; priority: number; trigger: string }>;

export type NotificationKind = keyof typeof NOTIFICATION_KINDS;

/** The kinds sent to an entrant (the campaign kinds only expand into others). */
export type MessageKind = Exclude<NotificationKind, 'waitlist_campaign' | 'drop_cancelled_campaign'>;
export const MESSAGE_KINDS = (Object.keys(NOTIFICATION_KINDS) as NotificationKind[]).filter((k): k is MessageKind => !k.endsWith('_campaign'));

/** Reminder lead times when the drop's launch does not set `notifications` (issue 15). */
export const DEFAULT_PAY_REMINDER_SECONDS = 600;
export const DEFAULT_PICKUP_REMINDER_SECONDS = 1800;

/**
 * The outbox key of a message: one per (kind, drop, entrant[, n]), so a retried trigger writes
 * nothing new. `n` tells apart messages of one kind that may repeat (a replaced claim code's
 * version, a pay window after a support retry).
 */
export function messageKey(kind: NotificationKind, dropId: string, entryId: string | null, n?: number | string): string {
  return [kind, dropId, entryId ?? '*', ...(n === undefined ? [] : [String(n)])].join(':');
}
