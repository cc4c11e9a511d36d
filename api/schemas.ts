import { z } from 'zod';
import { RESOLVE_ACTIONS } from '../workflows/definitions';
import { slug } from '../src/domain/drop/launch';

/** The launch and registration bodies are the domain's; the API validates with them. */
export { launchDropSchema, type LaunchDrop } from '../src/domain/drop/launch';
export { registerEntrySchema, type RegisterEntry } from '../src/domain/registration/registration';

export const issuePassesSchema = z.strictObject({ tier: slug, count: z.number().int().min(1).max(10_000) });

/** Client-chosen, printable ASCII, up to 255 characters (as Stripe accepts). */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'printable ASCII, 1 to 255 characters');

export const extendSchema = z.strictObject({
  seconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400),
});
/** close, pause, resume take no body: none, or `{}`; anything else is a 400, not ignored. */
export const noBodySchema = z.strictObject({}).optional();

export const resolveSchema = z.strictObject({
  action: z.enum(RESOLVE_ACTIONS as [string, ...string[]]),
  note: z.string().max(1000).optional(),
});

export const dropIdParam = z.object({ dropId: slug });
