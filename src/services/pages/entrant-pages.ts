import QRCode from 'qrcode';
import { notFound } from '../../domain/errors';
import { nodePlaceOf } from '../../domain/drop/launch';
import type { MissedPickupPolicy } from '../../domain/drop/policies';
import { entrantPagePath } from '../../domain/notification/links';
import { findDrop } from '../../db/repositories/drops';
import { countHoldingUnitsBefore } from '../../db/repositories/draws';
import { findEntrantTimeZone } from '../../db/repositories/entries';
import { findOrderByEntry } from '../../db/repositories/orders';
import type { DropRow } from '../../db/schema';
import type { ServiceDeps } from '../deps';
import { entryStatus } from '../registration/registration';
import { money, zoneOrUtc } from '../../lib/entrant-format';
import { pageTime, timeLeft } from './page-format';

/**
 * The view models of the entrant's pages (api/routes/pages.ts renders them with
 * templates/pages/*.hbs). Each starts from the receipt token in the path, checked like the JSON
 * status route (a wrong token and an unknown entry are the same 404). They hold only the
 * entrant's own entry, order and the drop's public facts: nothing of any other entrant, and no
 * contact detail (not even the entrant's own e-mail, which a forwarded link would show).
 */

type Deps = Pick<ServiceDeps, 'db' | 'secrets' | 'payments'>;
type Status = Awaited<ReturnType<typeof entryStatus>>;

interface DropSpec {
  nodes?: Array<{ nodeId: string; region: string; kind?: 'locker' | 'popup'; name?: string; address?: string }>;
  policies?: { missedPickup?: MissedPickupPolicy };
}

async function load(deps: Deps, dropId: string, entryId: string, token: string) {
  const status = await entryStatus(deps, dropId, entryId, token);
  const drop = await findDrop(deps.db, dropId);
  if (!drop) throw notFound('entry_not_found', 'no entry with that id and receipt secret');
  const timeZone = zoneOrUtc(await findEntrantTimeZone(deps.db, dropId, entryId));
  const paths = {
    status: entrantPagePath(dropId, entryId, token),
    pay: entrantPagePath(dropId, entryId, token, 'pay'),
    claim: entrantPagePath(dropId, entryId, token, 'claim'),
    verify: entrantPagePath(dropId, entryId, token, 'verify'),
  };
  return { status, drop, timeZone, paths };
}

/**
 * What happens when a paid winner misses the pickup window, in the entrant's words (`popup`: the
 * node is a pop-up counter, where staff hold the item, not a locker compartment).
 */
export function missedPickupText(policy: MissedPickupPolicy, popup = false): string {
  const released = popup ? 'the counter stops holding your item' : 'the compartment is released';
  switch (policy) {
    case 'refund':
      return `If you miss the pickup window, ${released} and your payment is refunded in full.`;
    case 'credit':
      return `If you miss the pickup window, ${released} and you get store credit for the full price, with an offer code for a later drop.`;
    case 'reship':
      return `If you miss the pickup window, ${released} and the item is shipped to you instead.`;
  }
}

/** A lapsed or declined order: what happened and where the unit went (the status and pay pages, and the e-mails, say the same). */
function releasedText(state: 'unpaid' | 'declined'): string {
  return state === 'unpaid'
    ? 'The pay window closed without a payment: the unit went to the next entrant on the waitlist.'
    : 'Your payment was declined and the pay window has closed: the unit went to the next entrant on the waitlist.';
}

const policyOf = (drop: DropRow): MissedPickupPolicy => (drop.spec as DropSpec).policies?.missedPickup ?? 'refund';
/** Whether the order's node is a pop-up counter (the launch spec's `kind`; a locker when absent). */
const isPopup = (drop: DropRow, nodeId: string | null | undefined) =>
  nodeId != null && (drop.spec as DropSpec).nodes?.find((n) => n.nodeId === nodeId)?.kind === 'popup';

/** The next step for an order in `state`, one sentence. */
function orderNextStep(
  order: NonNullable<Status['order']>,
  payBy: string | null,
  pickUpBy: string | null,
  policy: MissedPickupPolicy,
  amount: string,
  popup: boolean,
): string {
  switch (order.state) {
    case 'created':
      return 'Your order is being set up: the pay link appears here in a moment.';
    case 'awaiting_payment':
      return order.payLink ? `Pay ${amount} before ${payBy}, or the unit goes to the next entrant on the waitlist.` : 'Your payment is being confirmed.';
    case 'paid':
      return order.fulfillment === 'ship'
        ? 'Paid. Your item is being shipped.'
        : 'Paid. A compartment is being reserved for you: your claim code appears here when it is ready.';
    case 'awaiting_pickup':
      return popup
        ? `Your item is waiting for you at the pop-up counter. Show your claim code to the staff before ${pickUpBy}.`
        : `Your item is waiting for you. Open the compartment with your claim code before ${pickUpBy}.`;
    case 'picked_up':
      return 'Picked up. Enjoy!';
    case 'shipped':
      return order.carrier && order.trackingNumber ? `Shipped with ${order.carrier}, tracking number ${order.trackingNumber}.` : 'Shipped.';
    case 'refunded':
    case 'refunding_by_support':
    case 'refunding_missed_pickup':
      return 'Your payment is refunded.';
    case 'credited':
    case 'crediting_missed_pickup':
      return 'You have store credit for the full price.';
    case 'reshipping_by_support':
    case 'reshipping_missed_pickup':
      return 'Your item is being shipped to you.';
    case 'unpaid':
    case 'declined':
      return releasedText(order.state);
    case 'cancelled':
    case 'cancelling':
      return 'This order is cancelled; any payment is returned.';
    case 'needs_support':
      return `Our support team is looking at your order. ${missedPickupText(policy, popup)}`;
  }
}

/**
 * The entry status page: registered / won / waitlisted (with the place on the waitlist, 1 = next)
 * / promoted, the next step, the order's state and deadlines, and links to the pay, claim and
 * verify pages when they apply. Errors: 404 `entry_not_found`.
 */
export async function statusPageView(deps: Deps, dropId: string, entryId: string, token: string, now = Date.now()) {
  const { status, drop, timeZone, paths } = await load(deps, dropId, entryId, token);
  const order = status.order ?? null;
  const row = order ? await findOrderByEntry(deps.db, dropId, entryId) : undefined;
  const amount = row ? money(row.amount_cents, row.currency) : money(drop.price_cents, drop.currency);
  const payBy = pageTime(order?.payDeadline ?? null, timeZone);
  const pickUpBy = pageTime(order?.pickupDeadline ?? null, timeZone);
  const closesAt = pageTime(drop.registration_closes_at, timeZone);
  const waitlistPosition =
    status.status === 'waitlisted' && status.drawPosition !== null
      ? status.drawPosition - (await countHoldingUnitsBefore(deps.db, dropId, status.drawPosition)) + 1
      : null;
  const cancelled = drop.cancelled_at !== null;
  let nextStep: string;
  if (order) nextStep = orderNextStep(order, payBy?.text ?? null, pickUpBy?.text ?? null, policyOf(drop), amount, isPopup(drop, order.nodeId));
  else if (cancelled) nextStep = 'This drop was cancelled: there will be no draw for it.';
  else if (status.status === 'waitlisted')
    nextStep =
      'You did not win this time. If a winner does not pay in time, their unit goes to the next entrant on the waitlist: we will tell you if it is you.';
  else
    nextStep = closesAt ? `You are in the draw. It runs when registration closes, ${closesAt.text}.` : 'You are in the draw. It runs when registration closes.';
  return {
    title: `${drop.name}: your entry`,
    dropName: drop.name,
    entryId,
    tier: status.tier,
    status: status.status,
    waitlistPosition,
    nextStep,
    timeZone,
    order: order && {
      state: order.state.replace(/_/g, ' '),
      amount,
      payDeadline: payBy,
      pickupDeadline: pickUpBy,
      pickupLeft: order.claimCode && order.pickupDeadline ? timeLeft(Date.parse(order.pickupDeadline), now) : null,
      carrier: order.carrier,
      trackingNumber: order.trackingNumber,
      credit: order.creditCents !== null && row ? money(order.creditCents, row.currency) : null,
      offerCode: order.offerCode,
    },
    payLink: order?.payLink ? paths.pay : null,
    claimLink: order?.claimCode ? paths.claim : null,
    verifyLink: paths.verify,
  };
}

export type PayPage =
  | { kind: 'form'; view: Record<string, unknown> & { title: string } }
  | { kind: 'redirect'; url: string }
  | { kind: 'closed'; view: Record<string, unknown> & { title: string } };

/**
 * The pay page. Simulator: the amount, the deadline and a form that posts to the payment
 * simulator's hosted checkout (the order's pay link). Stripe: a redirect to the order's pay link
 * (our payment page bound to the order's own intent; not a Checkout Session, see PaymentProvider.payPage).
 * No pay link (not won, window closed, already paid): a page that says so and what is next.
 * Errors: 404 `entry_not_found`; the provider's errors (503 when it is down).
 */
export async function payPageView(deps: Deps, dropId: string, entryId: string, token: string): Promise<PayPage> {
  const { status, drop, timeZone, paths } = await load(deps, dropId, entryId, token);
  const order = status.order ?? null;
  const row = order?.payLink ? await findOrderByEntry(deps.db, dropId, entryId) : undefined;
  if (!order || !order.payLink || !row) {
    const why = !order
      ? status.status === 'waitlisted'
        ? 'You are on the waitlist: there is nothing to pay unless a unit is offered to you.'
        : 'There is nothing to pay: the draw has not picked you (yet).'
      : order.state === 'awaiting_payment' || order.state === 'created'
        ? 'Your pay link is not ready yet: reload this page in a moment.'
        : order.state === 'unpaid' || order.state === 'declined'
          ? `There is nothing to pay now. ${releasedText(order.state)}`
          : `There is nothing to pay now: your order is ${order.state.replace(/_/g, ' ')}.`;
    return { kind: 'closed', view: { title: `${drop.name}: payment`, dropName: drop.name, checkoutUrl: null, message: why, statusLink: paths.status } };
  }
  // Stripe: our payment page for the order's own intent (see PaymentProvider.payPage).
  if (deps.payments.payPage === 'redirect') return { kind: 'redirect', url: order.payLink };
  return {
    kind: 'form',
    view: {
      title: `${drop.name}: pay`,
      dropName: drop.name,
      amount: money(row.amount_cents, row.currency),
      payDeadline: pageTime(order.payDeadline, timeZone),
      checkoutUrl: order.payLink,
      statusLink: paths.status,
    },
  };
}

/** The QR code of a claim code, as a PNG data URL (what the locker's scanner, or the pop-up's staff, read). */
export function claimQrDataUrl(claimCode: string): Promise<string> {
  return QRCode.toDataURL(claimCode, { errorCorrectionLevel: 'M', margin: 4, scale: 6 });
}

/**
 * The claim page: the claim code as a QR code and as text, the node's name and address, the
 * expiry in the entrant's zone (and a countdown, kept live by /assets/countdown.js), and the
 * drop's missed-pickup policy. No claim code (not routed yet, picked up, expired): what is next.
 * Errors: 404 `entry_not_found`.
 */
export async function claimPageView(deps: Deps, dropId: string, entryId: string, token: string, now = Date.now()) {
  const { status, drop, timeZone, paths } = await load(deps, dropId, entryId, token);
  const order = status.order ?? null;
  const policy = policyOf(drop);
  const popup = isPopup(drop, order?.nodeId);
  const base = { title: `${drop.name}: pick up`, dropName: drop.name, missedPolicy: missedPickupText(policy, popup), statusLink: paths.status };
  if (!order?.claimCode || !order.nodeId || !order.pickupDeadline) {
    let message: string;
    if (!order) message = 'You have no order in this drop: there is nothing to pick up.';
    else if (order.state === 'picked_up') message = 'Already picked up. Enjoy!';
    else if (order.state === 'created' || order.state === 'awaiting_payment')
      message = 'Pay first: your claim code appears here once your payment is in and a compartment is reserved.';
    else if (order.state === 'paid') message = 'Paid. A compartment is being reserved for you: your claim code appears here when it is ready.';
    else message = `There is no claim code now: your order is ${order.state.replace(/_/g, ' ')}.`;
    return { ...base, claim: null, message };
  }
  const node = (drop.spec as DropSpec).nodes?.find((n) => n.nodeId === order.nodeId);
  const place = nodePlaceOf(drop.spec as DropSpec, order.nodeId, node?.region ?? '');
  return {
    ...base,
    message: null,
    claim: {
      code: order.claimCode,
      qr: await claimQrDataUrl(order.claimCode),
      nodeName: place.name,
      nodeAddress: place.address,
      // A pop-up counter's staff scan the code; a locker has its own scanner.
      howToShow: popup
        ? 'Show this QR code to the staff at the pop-up counter, or tell them the code below.'
        : "Show this code at the locker's scanner, or type the code below.",
      expires: pageTime(order.pickupDeadline, timeZone)!,
      left: timeLeft(Date.parse(order.pickupDeadline), now),
    },
  };
}

/**
 * The verify page's server half: the drop's name and commitment; the script
 * (/assets/verify-entry.js) fetches the entry's ticket and recomputes it in the browser.
 * Errors: 404 `entry_not_found`.
 */
export async function verifyPageView(deps: Deps, dropId: string, entryId: string, token: string, publicApiUrl: string) {
  const { drop, paths } = await load(deps, dropId, entryId, token);
  return {
    title: `${drop.name}: verify the draw`,
    dropName: drop.name,
    dropId,
    entryId,
    commitment: drop.commitment,
    verifyCommand: `drops verify-draw ${dropId} --api ${publicApiUrl}`,
    drawRecordPath: `/v1/drops/${encodeURIComponent(dropId)}/draw`,
    statusLink: paths.status,
    scripts: ['/assets/verify-entry.js'],
  };
}
