import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryExists, findContact, findMessageDrop, findMessageNode, findMessageOrder, messageExists } from '../../db/repositories/notification-dispatch';
import type { Db } from '../../db/connection';
import type { NotificationRow, OrderRow } from '../../db/schema';
import { nodePlaceOf } from '../../domain/drop/launch';
import { deriveKey, receiptSecretFor } from '../../domain/identity';
import { MESSAGE_KINDS, messageKey, type MessageKind } from '../../domain/notification/kinds';
import { entrantPageUrl } from '../../domain/notification/links';
import { claimCodeOf, offerCodeOf } from '../registration/entrant-secrets';
import { formatInZone, money, zoneOrUtc } from '../../lib/entrant-format';

/** templates/email/<kind>.{subject,text,html}.hbs (the folder ships in the production image). */
export const EMAIL_TEMPLATES_DIR = join(__dirname, '..', '..', '..', 'templates', 'email');

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

type Compiled = { subject: HandlebarsTemplateDelegate; text: HandlebarsTemplateDelegate; html: HandlebarsTemplateDelegate };

/** Every kind's three templates, compiled once: HTML escaped, subject and text not (they are not HTML). */
export class EmailTemplates {
  private readonly compiled = new Map<MessageKind, Compiled>();
  /** The page around each kind's HTML body (`{{{body}}}`: the body is escaped already). */
  private readonly layout: HandlebarsTemplateDelegate;

  constructor(dir: string = EMAIL_TEMPLATES_DIR) {
    const hbs = Handlebars.create();
    this.layout = hbs.compile(readFileSync(join(dir, '_layout.html.hbs'), 'utf8'));
    const read = (kind: string, part: string) => readFileSync(join(dir, `${kind}.${part}.hbs`), 'utf8');
    for (const kind of MESSAGE_KINDS) {
      this.compiled.set(kind, {
        subject: hbs.compile(read(kind, 'subject'), { noEscape: true, strict: true }),
        text: hbs.compile(read(kind, 'text'), { noEscape: true }),
        html: hbs.compile(read(kind, 'html')),
      });
    }
  }

  render(kind: MessageKind, view: MessageView): RenderedEmail {
    const t = this.compiled.get(kind);
    if (!t) throw new Error(`no e-mail templates for ${kind}`);
    return {
      // One line, whatever the drop's name holds.
      subject: t.subject(view).replace(/\s+/g, ' ').trim(),
      text: t.text(view).replace(/\n{3,}/g, '\n\n'),
      // The formatter drops a doctype from the template file: added here.
      html: `<!doctype html>\n${this.layout({ ...view, body: t.html(view) })}`,
    };
  }
}

/** What a template may show: this entrant's own data only. */
export interface MessageView {
  kind: MessageKind;
  dropName: string;
  /** The entrant's IANA zone the deadlines are given in (UTC when they gave none). */
  timeZone: string;
  statusUrl: string;
  verifyUrl: string;
  payUrl: string | null;
  claimUrl: string | null;
  payDeadline: string | null;
  pickupDeadline: string | null;
  waitlistPosition: number | null;
  amount: string | null;
  nodeId: string | null;
  nodeKind: string | null;
  nodeRegion: string | null;
  /** The node's public name and address from the launch spec (else its id and region), as the claim page shows them. */
  nodeName: string | null;
  nodeAddress: string | null;
  /** A pop-up counter (staff scan the QR code), not a locker. */
  atPopup: boolean;
  fulfillment: 'pickup' | 'ship' | null;
  carrier: string | null;
  trackingNumber: string | null;
  refundAmount: string | null;
  creditAmount: string | null;
  offerCode: string | null;
  claimCode: string | null;
  missedPickupPolicy: string | null;
  /** A lapsed or declined order's unit went to the next entrant on the waitlist (set when the order ended). */
  releasedToWaitlist: boolean;
  /** The reminder's lead, as "10 minutes". */
  leadTime: string | null;
}

export interface RenderSecrets {
  identitySecret: string;
  claimSecret: string;
}

/** What to do with a due row: send it to `to`, skip it (why), or wait for its moved deadline. */
export type Prepared =
  { action: 'send'; to: string; view: MessageView } | { action: 'skip'; reason: string } | { action: 'reschedule'; at: Date; reason: string };

/**
 * Builds the message of one outbox row from the rows as they are now (the entrant's contact
 * and zone, the drop, the order, the node). Reminders check their order first: one that left
 * the awaited state is skipped; one whose deadline moved later is rescheduled to deadline − lead.
 */
export async function prepareMessage(db: Db, secrets: RenderSecrets, publicUrl: string, row: NotificationRow, now = new Date()): Promise<Prepared> {
  const kind = row.kind as MessageKind;
  if (!MESSAGE_KINDS.includes(kind)) return { action: 'skip', reason: `not a message kind: ${row.kind}` };
  if (!row.entry_id) return { action: 'skip', reason: 'no entry' };
  const entryId = row.entry_id;
  if (!(await entryExists(db, row.drop_id, entryId))) return { action: 'skip', reason: 'entry not found' };
  const [contact, drop] = await Promise.all([findContact(db, row.drop_id, entryId), findMessageDrop(db, row.drop_id)]);
  if (!contact) return { action: 'skip', reason: 'no contact' };
  if (!drop) return { action: 'skip', reason: 'drop not found' };
  const order = await findMessageOrder(db, row.drop_id, entryId, row.order_id);

  if (kind === 'pay_reminder' || kind === 'pickup_reminder') {
    const r = await reminderCheck(db, row, kind, order, now);
    if (r) return r;
  }

  const timeZone = zoneOrUtc(contact.time_zone);
  const token = receiptSecretFor(deriveKey(secrets.identitySecret, 'receipt'), row.drop_id, entryId);
  const link = (page: 'status' | 'pay' | 'claim' | 'verify') => entrantPageUrl(publicUrl, row.drop_id, entryId, token, page);
  const node = order?.node_id ? await findMessageNode(db, row.drop_id, order.node_id) : undefined;
  const currency = order?.currency ?? drop.currency;
  const spec = drop.spec as { policies?: { missedPickup?: string }; nodes?: Array<{ nodeId: string; region: string; name?: string; address?: string }> } | null;
  const place = node ? nodePlaceOf(spec ?? {}, node.node_id, node.region) : null;
  const data = row.data ?? {};
  const position = Number(data.waitlistPosition ?? NaN);
  const lead = Number(data.leadSeconds ?? NaN);
  const view: MessageView = {
    kind,
    dropName: drop.name,
    timeZone,
    statusUrl: link('status'),
    verifyUrl: link('verify'),
    payUrl: order ? link('pay') : null,
    claimUrl: order?.node_id ? link('claim') : null,
    payDeadline: formatDeadline(order?.pay_deadline ?? null, timeZone),
    pickupDeadline: formatDeadline(order?.pickup_deadline ?? null, timeZone),
    waitlistPosition: Number.isFinite(position) ? position : null,
    amount: order ? money(order.amount_cents, currency) : null,
    nodeId: node?.node_id ?? null,
    nodeKind: node?.kind ?? null,
    nodeRegion: node?.region ?? null,
    nodeName: place?.name ?? null,
    nodeAddress: place?.address ?? null,
    atPopup: node?.kind === 'popup',
    fulfillment: order?.fulfillment ?? null,
    carrier: order?.carrier ?? null,
    trackingNumber: order?.tracking_number ?? null,
    refundAmount: order && order.refunded_cents > 0 ? money(order.refunded_cents, currency) : order ? money(order.amount_cents, currency) : null,
    creditAmount: order?.credit_cents ? money(order.credit_cents, currency) : null,
    offerCode: order ? offerCodeOf(secrets.claimSecret, order) : null,
    claimCode: order ? claimCodeOf(secrets.claimSecret, order) : null,
    missedPickupPolicy: MISSED_PICKUP_TEXT[spec?.policies?.missedPickup ?? ''] ?? null,
    leadTime: Number.isFinite(lead) ? duration(lead) : null,
    releasedToWaitlist: data.releasedToWaitlist === true,
  };
  return { action: 'send', to: contact.email, view };
}

async function reminderCheck(db: Db, row: NotificationRow, kind: 'pay_reminder' | 'pickup_reminder', order: OrderRow | undefined, now: Date) {
  const awaited = kind === 'pay_reminder' ? 'awaiting_payment' : 'awaiting_pickup';
  if (!order) return { action: 'skip' as const, reason: 'order not found' };
  if (order.state !== awaited) return { action: 'skip' as const, reason: `order is ${order.state}, no longer ${awaited}` };
  // The key's last part is the order's step that opened this window: a later step in the same
  // state (a support retry) wrote its own reminder, which replaces this one.
  const n = Number(row.message_key.split(':').at(-1));
  if (Number.isInteger(n) && order.state_seq > n && row.entry_id && (await messageExists(db, messageKey(kind, row.drop_id, row.entry_id, order.state_seq)))) {
    return { action: 'skip' as const, reason: 'a later window has its own reminder' };
  }
  const deadline = kind === 'pay_reminder' ? order.pay_deadline : order.pickup_deadline;
  const lead = Number(row.data?.leadSeconds ?? NaN);
  if (deadline && Number.isFinite(lead)) {
    const due = new Date(new Date(deadline).getTime() - lead * 1000);
    // Moved later (ops or support changed the deadline): wait for the new reminder time.
    if (due.getTime() > now.getTime() + 1000) return { action: 'reschedule' as const, at: due, reason: 'the deadline moved' };
  }
  return null;
}

/** What happens if the pickup window is missed, per the drop's published policy. */
const MISSED_PICKUP_TEXT: Record<string, string> = {
  refund: 'If you miss the pickup window, your payment is refunded in full.',
  reship: 'If you miss the pickup window, we ship the item to you instead.',
  credit: 'If you miss the pickup window, you get store credit and an offer code instead.',
};

/** "Tue, 1 Dec 2026, 14:30 (Europe/Paris)": the deadline in the entrant's zone, the zone named. */
export function formatDeadline(at: Date | string | null, timeZone: string): string | null {
  if (!at) return null;
  const text = formatInZone(at, timeZone, false);
  return `${text} (${timeZone})`;
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} seconds`;
}
