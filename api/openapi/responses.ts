import { z } from 'zod';
import type { DropPhase, DropWorkflowPhase } from '../../src/domain/drop/phases';
import type { OrderState } from '../../src/domain/order/order-states';
import { DRAW_ALGORITHM } from '../../src/domain/draw/lottery';
import { WEBHOOK_PROVIDERS } from '../../src/services/provider-events/webhooks';

/**
 * The answers' shapes, for the API contract (`GET /openapi.json`). The services return plain
 * TypeScript objects; these zod schemas say the same in a form `z.toJSONSchema` can publish.
 * Schemas registered in `components` are published once under `#/components/schemas/{id}`.
 */
export const components = z.registry<{ id: string }>();

/** Every member of a string union, checked by the compiler both ways (none missing, none extra). */
const enumOf = <T extends string>(members: Record<T, true>) => z.enum(Object.keys(members) as [T, ...T[]]);

const orderState = enumOf<OrderState>({
  created: true,
  awaiting_payment: true,
  paid: true,
  awaiting_pickup: true,
  needs_support: true,
  refunding_by_support: true,
  refunding_missed_pickup: true,
  reshipping_missed_pickup: true,
  reshipping_by_support: true,
  cancelling: true,
  crediting_missed_pickup: true,
  unpaid: true,
  picked_up: true,
  shipped: true,
  refunded: true,
  declined: true,
  credited: true,
  cancelled: true,
});
const dropPhase = enumOf<DropPhase>({
  scheduled: true,
  announced: true,
  registration: true,
  paused: true,
  allocating: true,
  settling: true,
  post_mortem_pending: true,
  completed: true,
  cancelling: true,
  cancelled: true,
});
const dropWorkflowPhase = enumOf<DropWorkflowPhase>({
  scheduled: true,
  announced: true,
  announcing: true,
  registration: true,
  paused: true,
  allocating: true,
  settling: true,
  post_mortem_pending: true,
  completed: true,
  cancelling: true,
  cancelled: true,
});

const int = () => z.number().int();
const cents = () => int().describe('in cents of the currency');
const time = () => z.iso.datetime().describe('ISO 8601, UTC');

/** `{ "error": { "code", "message", "details"? } }`: every error the API answers (api/errors.ts). */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe("stable, for programs: each operation's error responses list theirs"),
      message: z.string().describe('for people; may change'),
      details: z.unknown().optional().describe('for invalid_request: [{ path, message }]; for invalid_action: { allowed, stepUnderWay? }'),
    }),
  })
  .register(components, { id: 'Error' });

/** What narrows the Error schema to an operation's codes for one status. */
export const errorCodesSchema = (codes: readonly [string, ...string[]]) => z.object({ error: z.object({ code: z.enum(codes) }) });

export const healthSchema = z.object({ ok: z.literal(true) });
export const readinessSchema = z.object({ postgres: z.enum(['ok', 'down']), temporal: z.enum(['ok', 'down']) });

export const dropViewSchema = z
  .object({
    dropId: z.string(),
    name: z.string(),
    phase: dropPhase,
    units: int(),
    priceCents: cents(),
    currency: z.string().describe('ISO 4217, lower case'),
    commitment: z.string().nullable().describe("sha256 of the draw's seed (hex), published at announce"),
    entrantsDigest: z.string().nullable().describe('digest of the frozen entrant list, set at close'),
    registration: z.object({ opensAt: time().nullable(), closesAt: time().nullable() }),
    schedule: z
      .object({ announceAt: time(), registrationOpensAt: time() })
      .nullable()
      .describe('a scheduled launch as ops sent it; null: announced and opened at once'),
    counts: z.object({ entries: int(), orders: z.partialRecord(orderState, int()).describe('orders per state; states with none are absent') }),
    nodes: z.array(z.object({ nodeId: z.string(), region: z.string(), kind: z.enum(['locker', 'popup']), stockTotal: int(), stockRemaining: int() })),
    cancelled: z
      .object({ at: time().nullable(), reasonCode: z.string().nullable(), inPhase: z.string().nullable() })
      .nullable()
      .describe('set once ops cancelled the drop: when, the reason code and the phase it was in'),
    workflowId: z.string().describe("the drop workflow's id in Temporal"),
    links: z.object({ workflow: z.string().nullable().describe('the drop workflow in the Temporal UI (null: DROPS_TEMPORAL_UI_URL not set)') }),
  })
  .register(components, { id: 'DropView' });

export const dropStatusSchema = z
  .object({
    phase: dropWorkflowPhase,
    registrationClosesAt: int().nullable().describe('milliseconds since the Unix epoch'),
  })
  .register(components, { id: 'DropStatus' });

export const passesSchema = z.object({ tier: z.string(), tokens: z.array(z.string()).describe('shown once; not stored') });

export const receiptSchema = z
  .object({
    dropId: z.string(),
    entryId: z.string(),
    registeredAt: time(),
    tier: z.string(),
    receiptSecret: z.string().optional().describe('only to the request that created the entry (and its Idempotency-Key replays): send it as x-receipt-secret'),
    duplicate: z.boolean().describe('true: this person had already entered; the first entry is answered, without its secret'),
  })
  .register(components, { id: 'Receipt' });

export const entryStatusSchema = z
  .object({
    dropId: z.string(),
    entryId: z.string(),
    tier: z.string(),
    weight: int().describe('tickets held in the draw'),
    status: z.enum(['registered', 'waitlisted', 'won', 'promoted']),
    drawPosition: int().nullable(),
    round: z.string().nullable(),
    order: z
      .object({
        orderId: z.string(),
        state: orderState,
        payLink: z.string().nullable().describe('while the pay window is open'),
        payDeadline: time().nullable(),
        nodeId: z.string().nullable(),
        fulfillment: z.enum(['pickup', 'ship']).nullable(),
        claimCode: z.string().nullable().describe('the QR payload to show at the locker, while the pickup window is open'),
        pickupDeadline: time().nullable(),
        carrier: z.string().nullable(),
        trackingNumber: z.string().nullable(),
        trackingStatus: z.enum(['label_created', 'in_transit', 'delivered']).nullable(),
        creditCents: cents().nullable(),
        offerCode: z.string().nullable().describe('with store credit (missed pickup, credit policy)'),
      })
      .optional()
      .describe('absent until the entry has an order (a win, or a promotion from the waitlist)'),
  })
  .register(components, { id: 'EntryStatus' });

export const entryTicketSchema = z
  .object({
    algorithm: z.literal(DRAW_ALGORITHM),
    dropId: z.string(),
    entryId: z.string(),
    weight: int().describe('tickets held: the entry key is the smallest of its weight ticket keys'),
    commitment: z.string().nullable().describe('sha256(seed), published at announce'),
    seed: z.string().nullable().describe('revealed with the draw; null before'),
    entrantsDigest: z.string().nullable().describe('sha256 of the frozen entrant list; null until registration closes'),
    beacon: z.string().nullable(),
    drawSeed: z.string().nullable().describe('sha256(seed ":" entrantsDigest [":" beacon]); null before the draw'),
    key: z.string().nullable().describe("the server's key for this entry: min over t < weight of sha256(drawSeed:dropId:entryId:t); null before the draw"),
    position: int().nullable().describe('0-based place in the ranking; null before the draw'),
    entrants: int().nullable().describe('entries in the frozen list; null before the draw'),
  })
  .register(components, { id: 'EntryTicket' });

export const entryAuthorizationSchema = z
  .object({
    dropId: z.string(),
    entryId: z.string(),
    amountCents: cents(),
    currency: z.string(),
    status: z.enum(['pending', 'authorized', 'captured', 'voided']),
    payLink: z.string().nullable().describe('where the entrant authorises the hold, while the provider waits for it'),
  })
  .register(components, { id: 'EntryAuthorization' });

const tierRule = z.object({ tier: z.string(), weight: int(), requiresPass: z.boolean(), maxWinners: int().optional() });
export const drawRecordSchema = z
  .object({
    algorithm: z.literal(DRAW_ALGORITHM),
    dropId: z.string(),
    commitment: z.string(),
    seed: z.string(),
    entrantsDigest: z.string(),
    beacon: z.string().nullable(),
    drawSeed: z.string(),
    rules: z.object({
      units: int(),
      tiers: z.array(tierRule),
      rounds: z.array(z.object({ round: z.string(), tiers: z.array(z.string()), units: int() })),
      regionQuotas: z.record(z.string(), int()),
    }),
    rounds: z.array(z.object({ round: z.string(), units: int(), winners: z.array(z.string()).describe('in draw order') })),
    winners: z.array(z.string()).describe('in draw order'),
    entries: z.array(z.object({ entryId: z.string(), weight: int(), tier: z.string(), region: z.string() })).describe('sorted by entryId'),
    ranking: z.array(z.string()).describe('every entryId in draw order'),
    waitlist: z.array(z.string()).describe('everyone else, in draw order'),
  })
  .describe('drops-lottery-v1: enough to recompute the ranking and the winners (`drops verify-draw`)')
  .register(components, { id: 'DrawRecord' });

export const postMortemSchema = z
  .object({
    dropId: z.string(),
    name: z.string(),
    generatedAt: time(),
    draw: z.object({
      algorithm: z.string(),
      commitment: z.string().nullable(),
      seed: z.string().nullable(),
      entrantsDigest: z.string().nullable(),
      beacon: z.string().nullable(),
      recordUrl: z.string(),
    }),
    counts: z.object({
      entrants: int(),
      units: int(),
      winners: int(),
      waitlisted: int(),
      paid: int(),
      unpaid: int(),
      declined: int(),
      promoted: int(),
      pickedUp: int(),
      refunded: int(),
      shipped: int(),
      credited: int(),
      cancelled: int().optional().describe('reports written before cancellation existed lack it'),
      unsettled: int(),
    }),
    rates: z.object({ payRate: z.number(), pickupRate: z.number(), sellThrough: z.number() }).describe('fractions from 0 to 1'),
    money: z.object({
      currency: z.string(),
      capturedCents: cents(),
      refundedCents: cents(),
      chargedBackCents: cents(),
      netCents: cents(),
      storeCreditCents: cents(),
      ledgerBalanced: z.boolean(),
    }),
    timings: z.object({ medianSecondsToPay: z.number().nullable(), medianSecondsToPickup: z.number().nullable() }),
    nodes: z.array(
      z.object({
        nodeId: z.string(),
        region: z.string(),
        kind: z.string(),
        stockTotal: int(),
        stockRemaining: int(),
        pickedUp: int(),
        shippedFrom: int(),
      }),
    ),
    exceptions: z.object({ opened: int(), open: int() }),
  })
  .register(components, { id: 'PostMortem' });

export const supportExceptionSchema = z
  .object({
    exceptionId: int(),
    dropId: z.string(),
    orderId: z.string().nullable(),
    kind: z.string().describe('e.g. compensation_failed, refund_blocked_by_dispute, claim_code_rejected, stray_label, unplaced_provider_event'),
    detail: z.string(),
    status: z.enum(['open', 'resolved']),
    slaDeadline: time(),
    createdAt: time(),
    overdue: z.boolean().describe('open after its SLA deadline, or resolved after it'),
    assignedTo: z.string().nullable().describe('the staff id working it'),
    claimedAt: time().nullable(),
    escalatedAt: time().nullable().describe('when the SLA escalation happened (once)'),
    resolution: z.string().nullable(),
    resolvedAt: time().nullable(),
    resolvedBy: z.string().nullable().describe("the staff id that resolved it through the queue (null: the order's workflow or a provider event did)"),
    resolutionReasonCode: z.string().nullable(),
    closes: z
      .union([
        z.object({ by: z.literal('order_action'), action: z.enum(['retry_compensation', 'close_without_refund']) }),
        z.object({ by: z.literal('resolve') }),
      ])
      .describe("how it closes: the order's resolve action, or POST /v1/exceptions/{exceptionId}/resolve"),
  })
  .register(components, { id: 'SupportException' });

export const exceptionsListSchema = z.object({
  exceptions: z.array(supportExceptionSchema).describe('the nearest SLA deadline first'),
  nextCursor: z.string().nullable().describe('the next page: pass as `cursor`'),
});

export const orderStatusSchema = z.object({ orderId: z.string(), state: orderState });

/** A provider's signed event, as webhooks receive it (the signature covers its exact bytes). */
export const providerEventSchema = z.object({
  id: z.string(),
  type: z.string().describe('e.g. payment_intent.succeeded, charge.dispute.created (payments), tracking.delivered (carriers), pickup.completed (lockers)'),
  created: int().optional(),
  data: z.record(z.string(), z.unknown()),
});
export const webhookOutcomeSchema = z.object({ outcome: z.enum(['delivered', 'duplicate', 'ignored', 'rejected', 'exception']) });
export { WEBHOOK_PROVIDERS };

/** `GET /v1/audit`: one page of the audit log (src/services/audit/audit.ts AuditEntryView). */
export const auditPageSchema = z
  .object({
    entries: z.array(
      z.object({
        auditId: z.string(),
        at: time(),
        actor: z.object({ staffId: z.string(), role: z.enum(['ops', 'support', 'admin']) }),
        action: z.string(),
        target: z.object({ dropId: z.string().nullable(), orderId: z.string().nullable(), exceptionId: z.number().int().nullable() }),
        reasonCode: z.string().nullable(),
        reason: z.string().nullable().describe('free text; kept here only, never in workflow history'),
        requestId: z.string(),
        outcome: z.enum(['pending', 'ok', 'refused', 'failed']),
        outcomeDetail: z.string().nullable(),
        finishedAt: time().nullable(),
      }),
    ),
    nextCursor: z.string().nullable().describe('the next (older) page: pass as `cursor`'),
  })
  .register(components, { id: 'AuditPage' });

/** `POST /v1/drops/{dropId}/nodes/{nodeId}/restock`. */
export const restockOutcomeSchema = z.object({
  nodeId: z.string(),
  units: int(),
  promotedEntryIds: z.array(z.string()).describe('entries promoted from the waitlist, in draw order (fewer than units when it ran out)'),
});

/** `GET /v1/drops`: one page of drop summaries, newest first. */
export const dropListSchema = z
  .object({
    drops: z.array(
      z.object({
        dropId: z.string(),
        name: z.string(),
        phase: dropPhase,
        units: int(),
        priceCents: cents(),
        currency: z.string(),
        registration: z.object({ opensAt: time().nullable(), closesAt: time().nullable() }),
        cancelled: z.object({ at: time().nullable(), reasonCode: z.string().nullable() }).nullable(),
        createdAt: time(),
      }),
    ),
    nextCursor: z.string().nullable().describe('the next (older) page: pass as `cursor`'),
  })
  .register(components, { id: 'DropList' });

/** `GET /v1/orders/{orderId}`: the whole order for support (never the claim code, pay link or offer code). */
export const supportOrderViewSchema = z
  .object({
    orderId: z.string(),
    dropId: z.string(),
    entryId: z.string(),
    state: orderState,
    finalReason: z.string().nullable(),
    region: z.string(),
    promotedFromOrderId: z.string().nullable(),
    createdAt: time().nullable(),
    updatedAt: time().nullable(),
    timeline: z.array(z.object({ at: time(), kind: z.string(), data: z.record(z.string(), z.unknown()) })).describe('the events table, oldest first'),
    payment: z.object({
      paymentIntentId: z.string().nullable(),
      amountCents: cents(),
      currency: z.string(),
      payDeadline: time().nullable(),
      capturedCents: cents(),
      refundedCents: cents(),
      chargedBackCents: cents(),
      creditCents: cents().nullable(),
    }),
    route: z.object({
      nodeId: z.string().nullable(),
      fulfillment: z.enum(['pickup', 'ship']).nullable(),
      compartmentReservationId: z.string().nullable(),
      carrier: z.string().nullable(),
      trackingNumber: z.string().nullable(),
      trackingStatus: z.string().nullable(),
      labelId: z.string().nullable(),
      labelCarriersTried: z.array(z.string()),
    }),
    claimCode: z
      .object({ status: z.enum(['issued', 'active', 'used', 'revoked', 'expired']), nodeId: z.string().nullable(), deadline: time() })
      .nullable()
      .describe('the status only, never the code'),
    exceptions: z.array(supportExceptionSchema),
    audit: auditPageSchema.shape.entries,
    auditNextCursor: z.string().nullable(),
    messages: z
      .array(
        z.object({
          kind: z.string().describe('the message kind (src/domain/notification/kinds.ts), e.g. `pay_link`, `claim_code`'),
          status: z.enum(['pending', 'delivered', 'bounced', 'failed', 'skipped', 'expanded']),
          attempts: int(),
          createdAt: time(),
          finishedAt: time().nullable().describe('null while pending'),
          lastError: z.string().nullable().describe("a bounce's or failure's reason, a skip's why (addresses masked)"),
        }),
      )
      .describe("the entrant's e-mails in this drop (the outbox rows), oldest first; never the address or the body"),
    allowedResolveActions: z.array(z.string()).describe('the resolve actions its state allows now'),
    links: z
      .object({ orderWorkflow: z.string(), dropWorkflow: z.string() })
      .nullable()
      .describe('the workflows in the Temporal UI (null: DROPS_TEMPORAL_UI_URL not set)'),
  })
  .register(components, { id: 'SupportOrderView' });
