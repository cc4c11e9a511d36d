import { z } from 'zod';
import { RESOLVE_ACTIONS } from '../workflows/definitions';

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{2,63}$/, 'lowercase letters, digits and dashes, 3 to 64 characters');

export const launchDropSchema = z
  .object({
    dropId: slug,
    name: z.string().min(1).max(200),
    units: z.number().int().min(1).max(100_000),
    priceCents: z.number().int().min(0).max(10_000_000),
    currency: z.string().regex(/^[a-z]{3}$/).default('usd'),
    nodes: z
      .array(
        z.strictObject({
          nodeId: slug,
          region: z.string().min(1).max(64),
          kind: z.enum(['locker', 'popup']).default('locker'),
          stock: z.number().int().min(0).max(100_000),
        }),
      )
      .min(1)
      .max(100),
    windows: z.strictObject({
      registrationSeconds: z.number().int().min(1).max(30 * 86_400),
      paymentSeconds: z.number().int().min(1).max(7 * 86_400),
      pickupSeconds: z.number().int().min(1).max(7 * 86_400),
      postMortemDelaySeconds: z.number().int().min(0).max(30 * 86_400).default(72 * 3600),
    }),
    policies: z.strictObject({ missedPickup: z.enum(['refund']).default('refund') }).default({ missedPickup: 'refund' }),
    beacon: z.string().min(1).max(256).nullable().default(null),
  })
  .strict()
  .superRefine((d, ctx) => {
    const ids = new Set(d.nodes.map((n) => n.nodeId));
    if (ids.size !== d.nodes.length) ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'node ids must be unique' });
    const stock = d.nodes.reduce((s, n) => s + n.stock, 0);
    if (stock < d.units) ctx.addIssue({ code: 'custom', path: ['units'], message: `units (${d.units}) exceed the nodes' stock (${stock})` });
  });
export type LaunchDrop = z.infer<typeof launchDropSchema>;

export const registerEntrySchema = z.strictObject({
  email: z.string().trim().max(254).email(),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()-]{6,24}$/)
    .optional(),
  region: z.string().min(1).max(64),
});
export type RegisterEntry = z.infer<typeof registerEntrySchema>;

export const extendSchema = z.strictObject({ seconds: z.number().int().min(1).max(7 * 86_400) });

export const resolveSchema = z.strictObject({
  action: z.enum(RESOLVE_ACTIONS as [string, ...string[]]),
  note: z.string().max(1000).optional(),
});

export const dropIdParam = z.object({ dropId: slug });
