import { z } from 'zod';
import { RESOLVE_ACTIONS } from '../workflows/definitions';
import { slug } from '../src/domain/drop/launch';
import { DROP_PHASES } from '../src/domain/drop/phases';
import { REASON_CODES, STAFF_ID } from '../src/domain/staff/staff';
import { EXCEPTION_KINDS, EXCEPTION_RESOLUTIONS, type ExceptionKind } from '../src/domain/support/exception-kinds';

/** The launch and registration bodies are the domain's; the API validates with them. */
export { launchDropSchema, type LaunchDrop } from '../src/domain/drop/launch';
export { registerEntrySchema, type RegisterEntry } from '../src/domain/registration/registration';

/**
 * Why a staff member acts: a stable `reasonCode` (it goes into the workflow's history) and a
 * free-text `reason` (kept in the audit log only). Both are required for money-moving and
 * cancelling actions (`requireReason`); optional elsewhere.
 */
export const reasonFields = {
  reasonCode: z.enum(REASON_CODES).optional(),
  reason: z.string().trim().min(3).max(1000).optional(),
};

export const issuePassesSchema = z.strictObject({ tier: slug, count: z.number().int().min(1).max(10_000) });

/** Client-chosen, printable ASCII, up to 255 characters (as Stripe accepts). */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'printable ASCII, 1 to 255 characters');

export const extendSchema = z.strictObject({
  seconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400),
  ...reasonFields,
});
/** close, pause, resume: no body, `{}`, or a reason; anything else is a 400, not ignored. */
export const controlSchema = z.strictObject({ ...reasonFields }).default({});

/** Adds the "reason required" rule to a body schema with `reasonFields`. */
export const requireReason = (body: { reasonCode?: unknown; reason?: unknown }, ctx: z.RefinementCtx, why: string) => {
  if (body.reasonCode === undefined) ctx.addIssue({ code: 'custom', path: ['reasonCode'], message: `a reasonCode is required: ${why}` });
  if (body.reason === undefined) ctx.addIssue({ code: 'custom', path: ['reason'], message: `a reason (3 to 1000 characters) is required: ${why}` });
};

/** Actions that move money or cancel: each needs a reasonCode and a reason. */
export const MONEY_OR_CANCEL_ACTIONS: ReadonlySet<string> = new Set([
  'retry_payment',
  'refund',
  'reship',
  'cancel_order',
  'close_without_refund',
  'retry_compensation',
]);

export const resolveSchema = z
  .strictObject({
    action: z.enum(RESOLVE_ACTIONS),
    ...reasonFields,
    /** `refund`: a partial refund, in cents (absent: all that is left). */
    amountCents: z.number().int().min(1).max(10_000_000).optional(),
    /** `extend_pickup` / `retry_payment`: the new window, in seconds from now. */
    seconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .optional(),
    /** The reason's former name, still accepted: read as `reason`. */
    note: z.string().trim().min(3).max(1000).optional(),
  })
  .superRefine((body, ctx) => {
    // A field the action does not read is refused, never accepted and ignored.
    if (body.note !== undefined && body.reason !== undefined)
      ctx.addIssue({ code: 'custom', path: ['note'], message: 'note is the former name of reason: send one' });
    if (body.amountCents !== undefined && body.action !== 'refund')
      ctx.addIssue({ code: 'custom', path: ['amountCents'], message: 'only refund takes amountCents' });
    if (body.seconds !== undefined && body.action !== 'extend_pickup' && body.action !== 'retry_payment') {
      ctx.addIssue({ code: 'custom', path: ['seconds'], message: 'only extend_pickup and retry_payment take seconds' });
    }
  })
  .transform(({ note, ...rest }) => ({ ...rest, reason: rest.reason ?? note }))
  .superRefine((body, ctx) => {
    if (MONEY_OR_CANCEL_ACTIONS.has(body.action)) requireReason(body, ctx, `${body.action} moves money or cancels`);
  });

/** `GET /v1/audit`: filters and keyset paging (`cursor` from the previous page's `nextCursor`). */
export const auditQuerySchema = z.strictObject({
  dropId: slug.optional(),
  orderId: z.string().min(1).max(200).optional(),
  staffId: z.string().regex(STAFF_ID).optional(),
  action: z
    .string()
    .regex(/^[a-z_]{1,64}$/)
    .optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const dropIdParam = z.object({ dropId: slug });

/** `POST /v1/drops/:dropId/cancel`: a reason code and a reason are required (cancelling). */
export const cancelDropSchema = z.strictObject({ ...reasonFields }).superRefine((b, ctx) => requireReason(b, ctx, 'cancelling a drop'));

/** `POST /v1/drops/:dropId/nodes/:nodeId/restock`: units to add (and to promote while settling). */
export const restockSchema = z.strictObject({ units: z.number().int().min(1).max(100_000), ...reasonFields });

/** `POST /v1/drops/:dropId/windows`: the new pay and/or pickup window in seconds; reason required. */
export const changeWindowsSchema = z
  .strictObject({
    paymentSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .optional(),
    pickupSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .optional(),
    ...reasonFields,
  })
  .superRefine((b, ctx) => {
    if (b.paymentSeconds === undefined && b.pickupSeconds === undefined) {
      ctx.addIssue({ code: 'custom', path: ['paymentSeconds'], message: 'paymentSeconds and/or pickupSeconds' });
    }
    requireReason(b, ctx, "changing orders' windows");
  });

/** `GET /v1/drops`: phase filter and keyset paging. */
export const listDropsQuerySchema = z.strictObject({
  phase: z.enum(DROP_PHASES).optional(),
  cursor: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const nodeParams = z.object({ dropId: slug, nodeId: slug });
/** `GET /v1/exceptions`: filters and keyset paging (`cursor` from the previous page's `nextCursor`). */
export const exceptionsQuerySchema = z.strictObject({
  dropId: slug.optional(),
  /** One of the kinds in src/domain/support/exception-kinds.ts; anything else is a 400, not an empty page. */
  kind: z.enum(Object.keys(EXCEPTION_KINDS) as [ExceptionKind, ...ExceptionKind[]]).optional(),
  status: z.enum(['open', 'resolved', 'all']).default('open'),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  /** A staff id, `me` (the caller) or `none` (nobody's). */
  assignee: z.union([z.string().regex(STAFF_ID), z.enum(['me', 'none'])]).optional(),
  cursor: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** `POST /v1/exceptions/:exceptionId/claim`: `force` takes it over from whoever has it. */
export const claimExceptionSchema = z.strictObject({ force: z.boolean().optional(), ...reasonFields }).default({});

/** `POST /v1/exceptions/:exceptionId/assign`. */
export const assignExceptionSchema = z.strictObject({ staffId: z.string().regex(STAFF_ID), ...reasonFields });

/** `POST /v1/exceptions/:exceptionId/resolve`: what was done, and why (both required). */
export const resolveExceptionSchema = z
  .strictObject({ resolution: z.enum(EXCEPTION_RESOLUTIONS), ...reasonFields })
  .superRefine((body, ctx) => requireReason(body, ctx, 'resolving an exception'))
  .transform((b) => ({ ...b, reasonCode: b.reasonCode!, reason: b.reason! }));
