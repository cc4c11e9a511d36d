import { conflict, forbidden, invalid, notFound, unprocessable } from '../../domain/errors';
import { findDrop } from '../../db/repositories/drops';
import { findEntry } from '../../db/repositories/entries';
import { findDrawPosition, findWinner } from '../../db/repositories/draws';
import { findOrderByEntry } from '../../db/repositories/orders';
import { drawRulesOf, type DrawRules, type TierRule } from '../../domain/draw/rules';
import { phoneCountryOf } from '../../domain/drop/launch';
import { deriveKey, receiptSecretMatches } from '../../domain/identity';
import { mailboxIdentity, normalisePhone, type PhoneCountry } from '../../domain/registration/contacts';
import type { RegisterEntry } from '../../domain/registration/registration';
import { issuePass, verifyPass } from '../../domain/passes';
import type { ServiceDeps } from '../deps';
import { claimCodeOf, offerCodeOf, payLinkOf } from './entrant-secrets';

export interface Receipt {
  dropId: string;
  entryId: string;
  registeredAt: string;
  tier: string;
  /** Shown to the request that created the entry (and to its Idempotency-Key replays): it unlocks the entry's status. */
  receiptSecret?: string;
  duplicate: boolean;
}

/** What intake needs of a drop: its tiers and its phone country, which never change after launch. */
interface IntakeRules extends DrawRules {
  phoneCountry: PhoneCountry;
}

/** Intake reads them once per drop (per database). */
const rulesCaches = new WeakMap<ServiceDeps['db'], Map<string, IntakeRules>>();

function cachedRules(deps: Pick<ServiceDeps, 'db'>, dropId: string): IntakeRules | undefined {
  return rulesCaches.get(deps.db)?.get(dropId);
}

async function rulesFor(deps: Pick<ServiceDeps, 'db'>, dropId: string): Promise<IntakeRules> {
  let rulesCache = rulesCaches.get(deps.db);
  if (!rulesCache) rulesCaches.set(deps.db, (rulesCache = new Map()));
  const cached = rulesCache.get(dropId);
  if (cached) return cached;
  const drop = await findDrop(deps.db, dropId);
  if (!drop) throw notFound('drop_not_found', `no drop ${dropId}`);
  const spec = drop.spec as Parameters<typeof drawRulesOf>[0] & { phoneCountry?: string };
  const rules = { ...drawRulesOf(spec), phoneCountry: phoneCountryOf(spec) };
  if (rulesCache.size > 10_000) rulesCache.clear();
  rulesCache.set(dropId, rules);
  return rules;
}

const keysCache = new WeakMap<ServiceDeps['secrets'], { receipt: Buffer; pass: Buffer }>();
function keysOf(secrets: ServiceDeps['secrets']) {
  let k = keysCache.get(secrets);
  if (!k) {
    k = { receipt: deriveKey(secrets.identitySecret, 'receipt'), pass: deriveKey(secrets.identitySecret, 'pass') };
    keysCache.set(secrets, k);
  }
  return k;
}

/** The tier an entry joins: the pass's tier with a valid pass, else the drop's open tier. */
function tierOf(rules: DrawRules, dropId: string, passKey: Buffer, passToken: string | undefined): { tier: TierRule; passId: string | null } {
  if (passToken === undefined) {
    const open = rules.tiers.find((t) => !t.requiresPass);
    if (!open) throw forbidden('pass_required', 'this drop is open to pass holders only');
    return { tier: open, passId: null };
  }
  const pass = verifyPass(passKey, dropId, passToken);
  const tier = pass && rules.tiers.find((t) => t.tier === pass.tier && t.requiresPass);
  if (!pass || !tier) throw forbidden('invalid_pass', 'the pass token is not valid for this drop');
  return { tier, passId: pass.passId };
}

/**
 * Registers one entrant. Acknowledged only after the entry is committed (the intake queue
 * writes it in a batch with others). The same person again gets the first entry back
 * (without its secret, unless it is a replay of the same request under the same Idempotency-Key).
 */
export async function register(
  deps: ServiceDeps,
  dropId: string,
  body: RegisterEntry,
  idempotencyKey: string | undefined,
): Promise<{ status: 200 | 201; receipt: Receipt }> {
  // The hot path: no extra await once the drop's rules are cached.
  const rules = cachedRules(deps, dropId) ?? (await rulesFor(deps, dropId));
  const { tier, passId } = tierOf(rules, dropId, keysOf(deps.secrets).pass, body.passToken);
  // Parsed only when given (libphonenumber costs ~20 µs); the schema already normalised the e-mail.
  const phone = body.phone === undefined ? null : normalisePhone(body.phone, rules.phoneCountry);
  if (phone === null && body.phone !== undefined) {
    throw invalid('invalid_request', 'the request does not match the schema', [
      { path: 'phone', message: `not a possible phone number (national numbers are read as ${rules.phoneCountry} numbers)` },
    ]);
  }
  const outcome = await deps.intake.submit({
    dropId,
    email: body.email,
    emailIdentity: mailboxIdentity(body.email),
    phone,
    timeZone: body.timeZone ?? null,
    region: body.region,
    tier: tier.tier,
    weight: tier.weight,
    passId,
    passToken: body.passToken ?? null,
    idempotencyKey: idempotencyKey ?? null,
  });
  const receipt = (entryId: string, at: string, secret: string | null, duplicate: boolean): Receipt => ({
    dropId,
    entryId,
    registeredAt: at,
    tier: tier.tier,
    ...(secret !== null && { receiptSecret: secret }),
    duplicate,
  });
  switch (outcome.kind) {
    case 'created':
    case 'replay': // the same answer as the request that created the entry
      return { status: 201, receipt: receipt(outcome.entryId, outcome.createdAt, outcome.receiptSecret, false) };
    case 'duplicate':
      return { status: 200, receipt: receipt(outcome.entryId, outcome.createdAt, null, true) };
    case 'key_reused':
      throw unprocessable('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
    case 'pass_used':
      throw conflict('pass_already_used', 'this pass has already been used to enter');
    case 'phone_used':
      // Never names the entry that holds the number: the phone is unverified, it may be a stranger's.
      throw conflict('phone_already_used', 'this phone number is already on an entry under another e-mail address; you can enter without it');
    case 'closed':
      throw conflict('registration_closed', 'this drop is not taking registrations now');
    case 'region_closed':
      throw conflict('region_closed', `registration is not open for region ${body.region} now`);
  }
}

const PASS_PHASES = new Set(['announcing', 'registration', 'paused']);

/**
 * Ops issue community passes for a pass tier; the tokens are shown once and not stored.
 * Errors: 404 `drop_not_found`, 409 `wrong_phase` (registration is over), 422 `not_a_pass_tier`.
 */
export async function issuePasses(deps: ServiceDeps, dropId: string, tierName: string, count: number): Promise<{ tier: string; tokens: string[] }> {
  const drop = await findDrop(deps.db, dropId);
  if (!drop) throw notFound('drop_not_found', `no drop ${dropId}`);
  // A pass is only worth anything while the drop can still take its entry.
  if (!PASS_PHASES.has(drop.phase)) throw conflict('wrong_phase', `passes are issued until registration closes; drop is ${drop.phase}`);
  const rules = await rulesFor(deps, dropId);
  const tier = rules.tiers.find((t) => t.tier === tierName);
  if (!tier || !tier.requiresPass) throw unprocessable('not_a_pass_tier', `tier ${tierName} is not a pass tier of this drop`);
  const passKey = keysOf(deps.secrets).pass;
  return { tier: tierName, tokens: Array.from({ length: count }, () => issuePass(passKey, dropId, tierName)) };
}

/** The entry, for the entrant who holds its receipt secret; 404 otherwise. */
export async function requireEntrant(deps: Pick<ServiceDeps, 'db' | 'secrets'>, dropId: string, entryId: string, secret: string | undefined) {
  const entry = await findEntry(deps.db, dropId, entryId);
  // Same answer for "no such entry" and "wrong secret": ids cannot be probed.
  if (!entry || !secret || !receiptSecretMatches(keysOf(deps.secrets).receipt, dropId, entryId, secret)) {
    throw notFound('entry_not_found', 'no entry with that id and receipt secret');
  }
  return entry;
}

/** What an entrant may see of their own entry, with their receipt secret. */
export async function entryStatus(deps: Pick<ServiceDeps, 'db' | 'secrets' | 'payments'>, dropId: string, entryId: string, secret: string | undefined) {
  const entry = await requireEntrant(deps, dropId, entryId, secret);
  const won = await findWinner(deps.db, dropId, entryId);
  const drawn = won ? null : await findDrawPosition(deps.db, dropId, entryId);
  const order = await findOrderByEntry(deps.db, dropId, entryId);
  // A waitlisted entrant with an order was promoted into a lapsed winner's unit.
  const status = won ? 'won' : order ? 'promoted' : drawn ? 'waitlisted' : 'registered';
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    dropId,
    entryId,
    tier: entry.tier,
    weight: entry.weight,
    status,
    drawPosition: won ? won.position : (drawn?.position ?? null),
    round: won?.round ?? null,
    order: order && {
      orderId: order.order_id,
      state: order.state,
      payLink: await payLinkOf(deps, order),
      payDeadline: iso(order.pay_deadline),
      nodeId: order.node_id,
      fulfillment: order.fulfillment,
      /** The QR payload to show at the locker; only while the pickup window is open. */
      claimCode: claimCodeOf(deps.secrets.claimSecret, order),
      pickupDeadline: iso(order.pickup_deadline),
      carrier: order.carrier,
      trackingNumber: order.tracking_number,
      trackingStatus: order.tracking_status,
      creditCents: order.credit_cents,
      /** Refunded so far, in cents (support's partial refunds, then the full refund). */
      refundedCents: order.refunded_cents,
      offerCode: offerCodeOf(deps.secrets.claimSecret, order),
    },
  };
}
