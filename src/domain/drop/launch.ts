import { z } from 'zod';
import { DEFAULT_PAY_REMINDER_SECONDS, DEFAULT_PICKUP_REMINDER_SECONDS } from '../notification/kinds';
import { MISSED_PICKUP_POLICIES, PAYMENT_MODES } from './policies';
import { DEFAULT_PHONE_COUNTRY, isPhoneCountry, type PhoneCountry } from '../registration/contacts';

/** Drop, node, tier and round ids. */
export const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{2,63}$/, 'lowercase letters, digits and dashes, 3 to 64 characters');
/** Regions are published in the draw record beside each entry: short plain names only. */
export const region = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, dashes and underscores, up to 64 characters');

/** What ops send to launch a drop (`POST /v1/drops`); its parsed output is the drop's spec as stored. */
export const launchDropSchema = z
  .object({
    dropId: slug,
    name: z.string().min(1).max(200),
    units: z.number().int().min(1).max(100_000),
    priceCents: z.number().int().min(0).max(10_000_000),
    currency: z
      .string()
      .regex(/^[a-z]{3}$/)
      .default('usd'),
    nodes: z
      .array(
        z.strictObject({
          nodeId: slug,
          region,
          kind: z.enum(['locker', 'popup']).default('locker'),
          stock: z.number().int().min(0).max(100_000),
          /**
           * Shown on the entrant's claim page (issue 15). Optional and kept absent rather than
           * defaulted, so a drop launched before they existed relaunches with the same spec; a
           * page reads them with `nodePlaceOf` (absent: the node id, and the region).
           */
          name: z.string().trim().min(1).max(200).optional(),
          address: z.string().trim().min(1).max(500).optional(),
        }),
      )
      .min(1)
      .max(100),
    windows: z.strictObject({
      registrationSeconds: z
        .number()
        .int()
        .min(1)
        .max(30 * 86_400),
      paymentSeconds: z
        .number()
        .int()
        .min(1)
        .max(7 * 86_400),
      pickupSeconds: z
        .number()
        .int()
        .min(1)
        .max(7 * 86_400),
      postMortemDelaySeconds: z
        .number()
        .int()
        .min(0)
        .max(30 * 86_400)
        .default(72 * 3600),
    }),
    policies: z.strictObject({ missedPickup: z.enum(MISSED_PICKUP_POLICIES).default('refund') }).default({ missedPickup: 'refund' }),
    payment: z.strictObject({ mode: z.enum(PAYMENT_MODES).default('pay_after_win') }).default({ mode: 'pay_after_win' }),
    beacon: z.string().min(1).max(256).nullable().default(null),
    /**
     * When the entrant's reminders go out, in seconds before the deadline (issue 15): the pay
     * reminder 600 s before the pay window ends, the pickup reminder 1800 s before the pickup
     * expires. A window shorter than its lead gets no reminder (the first message gives the deadline).
     */
    notifications: z
      .strictObject({
        payReminderSeconds: z.number().int().min(1).max(86_400).default(DEFAULT_PAY_REMINDER_SECONDS),
        pickupReminderSeconds: z
          .number()
          .int()
          .min(1)
          .max(7 * 86_400)
          .default(DEFAULT_PICKUP_REMINDER_SECONDS),
      })
      .default({ payReminderSeconds: DEFAULT_PAY_REMINDER_SECONDS, pickupReminderSeconds: DEFAULT_PICKUP_REMINDER_SECONDS }),
    /** Entry tiers: weight = tickets held; a pass tier is entered only with an ops-issued pass token. */
    tiers: z
      .array(
        z.strictObject({
          tier: slug,
          weight: z.number().int().min(1).max(100),
          requiresPass: z.boolean().default(false),
          /** At most this many winners from the tier, across all rounds. */
          maxWinners: z.number().int().min(0).max(100_000).optional(),
        }),
      )
      .min(1)
      .max(20)
      .default([{ tier: 'general', weight: 1, requiresPass: false }]),
    /** Allocation rounds in order (e.g. a pass-holder presale, then everyone left); units sum to `units`. */
    rounds: z
      .array(z.strictObject({ round: slug, tiers: z.array(slug).min(1).max(20), units: z.number().int().min(0).max(100_000) }))
      .min(1)
      .max(10)
      .optional(),
    /** At most this many winners per region. */
    regionQuotas: z.record(region, z.number().int().min(0).max(100_000)).default({}),
    /**
     * The country whose national numbers entrants may give without `+` (ISO 3166-1 alpha-2, upper
     * case); absent means `DEFAULT_PHONE_COUNTRY` ("US"). Kept absent rather than defaulted, so a
     * drop launched before the field existed relaunches with the same spec.
     */
    phoneCountry: z.string().refine(isPhoneCountry, 'an upper-case ISO 3166-1 alpha-2 country code, e.g. "US"').optional(),
    /**
     * A scheduled launch (ISO 8601, in the future): the commitment is published at `announceAt`
     * (absent: at once) and registration opens at `registrationOpensAt` (absent: at the announce);
     * `windows.registrationSeconds` counts from the opening.
     */
    announceAt: z.iso.datetime({ offset: true }).optional(),
    registrationOpensAt: z.iso.datetime({ offset: true }).optional(),
    /**
     * Per-region registration windows (ISO 8601): an entry from a listed region is accepted only
     * from its `opensAt` and before its `closesAt`, inside the drop's own window; the draw still
     * freezes the list at the drop's close. Regions not listed follow the drop's window.
     */
    regionWindows: z
      .record(region, z.strictObject({ opensAt: z.iso.datetime({ offset: true }).optional(), closesAt: z.iso.datetime({ offset: true }).optional() }))
      .optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const tierNames = new Set(d.tiers.map((t) => t.tier));
    if (tierNames.size !== d.tiers.length) ctx.addIssue({ code: 'custom', path: ['tiers'], message: 'tier names must be unique' });
    if (d.rounds) {
      const roundUnits = d.rounds.reduce((s, r) => s + r.units, 0);
      if (roundUnits !== d.units) {
        ctx.addIssue({ code: 'custom', path: ['rounds'], message: `round units (${roundUnits}) must add up to units (${d.units})` });
      }
      if (new Set(d.rounds.map((r) => r.round)).size !== d.rounds.length) {
        ctx.addIssue({ code: 'custom', path: ['rounds'], message: 'round names must be unique' });
      }
      for (const [i, r] of d.rounds.entries()) {
        for (const t of r.tiers) {
          if (!tierNames.has(t)) ctx.addIssue({ code: 'custom', path: ['rounds', i, 'tiers'], message: `unknown tier ${t}` });
        }
      }
    }
    const ids = new Set(d.nodes.map((n) => n.nodeId));
    if (ids.size !== d.nodes.length) ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'node ids must be unique' });
    if (d.announceAt && d.registrationOpensAt && Date.parse(d.registrationOpensAt) < Date.parse(d.announceAt)) {
      ctx.addIssue({ code: 'custom', path: ['registrationOpensAt'], message: 'registration cannot open before the announce (announceAt)' });
    }
    for (const [name, w] of Object.entries(d.regionWindows ?? {})) {
      if (w.opensAt && w.closesAt && Date.parse(w.closesAt) <= Date.parse(w.opensAt)) {
        ctx.addIssue({ code: 'custom', path: ['regionWindows', name, 'closesAt'], message: 'closesAt must be after opensAt' });
      }
    }
    const stock = d.nodes.reduce((s, n) => s + n.stock, 0);
    if (stock < d.units) ctx.addIssue({ code: 'custom', path: ['units'], message: `units (${d.units}) exceed the nodes' stock (${stock})` });
  });
export type LaunchDrop = z.infer<typeof launchDropSchema>;

/** The country a drop reads national phone numbers in. */
export function phoneCountryOf(spec: { phoneCountry?: string }): PhoneCountry {
  return spec.phoneCountry !== undefined && isPhoneCountry(spec.phoneCountry) ? spec.phoneCountry : DEFAULT_PHONE_COUNTRY;
}

/** A node's public name and address, for the claim page: the spec's, else its id and its region. */
export function nodePlaceOf(
  spec: { nodes?: ReadonlyArray<{ nodeId: string; region: string; name?: string; address?: string }> },
  nodeId: string,
  region: string,
) {
  const node = spec.nodes?.find((n) => n.nodeId === nodeId);
  return { name: node?.name ?? nodeId, address: node?.address ?? node?.region ?? region };
}

/**
 * A scheduled launch's times as epoch ms, or undefined for an immediate launch; `now` is the
 * launch's time. Absent announceAt: announced at once; absent registrationOpensAt: opens at the announce.
 */
export function scheduleOf(
  spec: Pick<LaunchDrop, 'announceAt' | 'registrationOpensAt'>,
  now: number,
): { announceAt: number; registrationOpensAt: number } | undefined {
  if (spec.announceAt === undefined && spec.registrationOpensAt === undefined) return undefined;
  const announceAt = spec.announceAt === undefined ? now : Date.parse(spec.announceAt);
  return { announceAt, registrationOpensAt: spec.registrationOpensAt === undefined ? announceAt : Date.parse(spec.registrationOpensAt) };
}

/**
 * Checks a new launch's times against `now` (only when the drop is created: a retry of the same
 * launch after its announce is still the same launch). Returns the problems, as zod-style issues.
 */
export function scheduleProblems(spec: Pick<LaunchDrop, 'announceAt' | 'registrationOpensAt'>, now: number): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  for (const field of ['announceAt', 'registrationOpensAt'] as const) {
    const at = spec[field];
    if (at !== undefined && Date.parse(at) <= now) problems.push({ path: field, message: `${field} must be in the future` });
  }
  return problems;
}
