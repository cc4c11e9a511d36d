import { z } from 'zod';
import type { Role } from '../auth';
import type { ErrorCode } from './error-codes';
import {
  dropIdParam,
  extendSchema,
  idempotencyKeySchema,
  issuePassesSchema,
  launchDropSchema,
  controlSchema,
  auditQuerySchema,
  assignExceptionSchema,
  claimExceptionSchema,
  exceptionsQuerySchema,
  resolveExceptionSchema,
  cancelDropSchema,
  changeWindowsSchema,
  listDropsQuerySchema,
  nodeParams,
  restockSchema,
  registerEntrySchema,
  resolveSchema,
} from '../schemas';
import {
  WEBHOOK_PROVIDERS,
  auditPageSchema,
  dropListSchema,
  restockOutcomeSchema,
  dropStatusSchema,
  dropViewSchema,
  drawRecordSchema,
  entryAuthorizationSchema,
  entryStatusSchema,
  entryTicketSchema,
  exceptionsListSchema,
  supportExceptionSchema,
  supportOrderViewSchema,
  healthSchema,
  orderStatusSchema,
  passesSchema,
  postMortemSchema,
  providerEventSchema,
  readinessSchema,
  receiptSchema,
  webhookOutcomeSchema,
} from './responses';

/**
 * One route of the API, as the contract (`GET /openapi.json`) publishes it. To add a route, add
 * one entry to OPERATIONS; `test/api/openapi.test.ts` fails while a served route has none.
 */
export interface Operation {
  /** Unique; client generators name their method after it. */
  id: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI style: `/v1/drops/{dropId}` for Express's `/v1/drops/:dropId`. */
  path: string;
  /** The context (README "The stack"): groups the operations. */
  tag: string;
  summary: string;
  description?: string;
  /** Who may call it (bearer key of one of these roles), or 'public' (no key). */
  roles: readonly Role[] | 'public';
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads (lower case). */
  headers?: z.ZodObject;
  /** A JSON body; a schema that accepts `undefined` makes the body optional. */
  body?: z.ZodType;
  /** Answers other than errors, by status: a JSON `schema` and/or other media types. */
  responses: Record<number, { description: string; schema?: z.ZodType; media?: Record<string, z.ZodType> }>;
  /**
   * The error codes it can answer (their statuses are in error-codes.ts). Added by the document
   * itself: `unauthorized` and `forbidden` for a route with roles, and the JSON body's
   * `invalid_request`, `invalid_json`, `payload_too_large`, `unsupported_media_type` for one with a body.
   */
  errors: readonly ErrorCode[];
}

/** `admin` passes every staff route (api/auth.ts). */
const ops: Role[] = ['ops', 'admin'];
const staff: Role[] = ['ops', 'support', 'admin'];

const entryIdParam = dropIdParam.extend({ entryId: z.string().min(1).describe('from the receipt') });
const orderIdParam = z.object({ orderId: z.string().min(1) });
const exceptionIdParam = z.object({
  exceptionId: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/)
    .describe('from the queue'),
});
const receiptSecretHeader = z.object({ 'x-receipt-secret': z.string().describe("the receipt's secret (never in the query string)") });
/** Services that read Postgres and may find it down. */
const DB: ErrorCode[] = ['database_unavailable'];
/** Services that message a workflow too. */
const DB_TEMPORAL: ErrorCode[] = ['database_unavailable', 'temporal_unavailable'];

const dropControl = (action: 'close' | 'pause' | 'resume', summary: string): Operation => ({
  id: `${action}Registration`,
  method: 'post',
  path: `/v1/drops/{dropId}/${action}`,
  tag: 'drop',
  summary,
  description: 'A Workflow Update to the drop workflow, whose validator has the last word. No body, `{}`, or a reason (`reasonCode`, `reason`); audited.',
  roles: ops,
  params: dropIdParam,
  body: controlSchema,
  responses: { 200: { description: "the drop workflow's phase after the action", schema: dropStatusSchema } },
  errors: ['drop_not_found', 'wrong_phase', ...DB_TEMPORAL],
});

const entrantPageParams = entryIdParam.extend({ token: z.string().min(1).describe("the entry's receipt secret (in the path, never a query string)") });
const html = { 'text/html': z.string() };

/** An entrant page (HTML; api/routes/pages.ts): its errors are pages too, so they are listed as answers. */
const entrantPage = (id: string, suffix: string, summary: string, extra: Operation['responses'] = {}): Operation => ({
  id,
  method: 'get',
  path: `/entrant/{dropId}/{entryId}/{token}${suffix}`,
  tag: 'entrant pages',
  summary,
  description:
    'Server-rendered HTML for the entrant, with `Content-Security-Policy`, `Referrer-Policy: no-referrer` and `Cache-Control: no-store`. ' +
    'A wrong token and an unknown entry get the same 404 page.',
  roles: 'public',
  params: entrantPageParams,
  responses: {
    200: { description: 'the page', media: html },
    ...extra,
    400: { description: 'a path parameter that cannot be stored (an HTML page)', media: html },
    404: { description: 'no entry with that id and token (an HTML page)', media: html },
    503: { description: 'a dependency is down; try again (an HTML page, with Retry-After)', media: html },
  },
  errors: [],
});

export const OPERATIONS: readonly Operation[] = [
  entrantPage('entrantStatusPage', '', 'Entry status page: registered, won, waitlisted (with the place), promoted; the next step; links to pay, claim, verify'),
  entrantPage('entrantPayPage', '/pay', 'Pay page: the simulator’s form, or (Stripe) a redirect to a Checkout Session', {
    303: { description: 'Stripe mode: to the Checkout Session the adapter created for the order' },
  }),
  entrantPage('entrantClaimPage', '/claim', 'Claim page: the claim code as a QR code and text, the node, the expiry and a countdown, the missed-pickup policy'),
  entrantPage('entrantVerifyPage', '/verify', 'Verify page: recomputes the entry’s key in the browser (WebCrypto) from its ticket'),
  {
    id: 'getEntryTicket',
    method: 'get',
    path: '/v1/drops/{dropId}/entries/{entryId}/ticket',
    tag: 'draw',
    summary: "The entrant's own slice of the draw: enough to recompute their key and check the commitment (the verify page's data)",
    roles: 'public',
    params: entryIdParam,
    headers: receiptSecretHeader,
    responses: { 200: { description: 'the ticket', schema: entryTicketSchema } },
    errors: ['invalid_request', 'secret_in_query', 'entry_not_found', ...DB],
  },
  {
    id: 'getPageAsset',
    method: 'get',
    path: '/assets/{name}',
    tag: 'entrant pages',
    summary: "The entrant pages' scripts (countdown.js, verify-entry.js)",
    roles: 'public',
    params: z.object({ name: z.string().describe('countdown.js or verify-entry.js') }),
    responses: {
      200: { description: 'the script', media: { 'text/javascript': z.string() } },
      404: { description: 'no such asset', media: { 'text/plain': z.string() } },
    },
    errors: [],
  },
  {
    id: 'getOpenApi',
    method: 'get',
    path: '/openapi.json',
    tag: 'meta',
    summary: 'This document: the API contract (OpenAPI 3.1)',
    roles: 'public',
    responses: { 200: { description: 'the OpenAPI document', schema: z.object({ openapi: z.string() }).catchall(z.unknown()) } },
    errors: [],
  },
  {
    id: 'healthz',
    method: 'get',
    path: '/healthz',
    tag: 'meta',
    summary: 'Liveness: the process answers (asks no dependency)',
    roles: 'public',
    responses: { 200: { description: 'alive', schema: healthSchema } },
    errors: [],
  },
  {
    id: 'readyz',
    method: 'get',
    path: '/readyz',
    tag: 'meta',
    summary: 'Readiness: Postgres and Temporal both answer within 2 s',
    roles: 'public',
    responses: {
      200: { description: 'both answer', schema: readinessSchema },
      503: { description: 'one does not: it is "down"', schema: readinessSchema },
    },
    errors: [],
  },
  {
    id: 'launchDrop',
    method: 'post',
    path: '/v1/drops',
    tag: 'drop',
    summary: 'Launch a drop (idempotent on dropId)',
    description: 'The row first, then its workflow. The same request again answers 200 with the drop; a different one with that id is 409 drop_exists.',
    roles: ops,
    body: launchDropSchema,
    responses: {
      201: { description: 'launched', schema: dropViewSchema },
      200: { description: 'already launched with this same request', schema: dropViewSchema },
    },
    errors: ['drop_exists', 'hold_outlives_validity', 'nothing_to_authorize', ...DB_TEMPORAL],
  },
  {
    id: 'getDrop',
    method: 'get',
    path: '/v1/drops/{dropId}',
    tag: 'drop',
    summary: 'The drop: phase, counts, commitment, nodes (from the read model)',
    roles: staff,
    params: dropIdParam,
    responses: { 200: { description: 'the drop', schema: dropViewSchema } },
    errors: ['invalid_request', 'drop_not_found', ...DB],
  },
  dropControl('close', 'Close registration now'),
  dropControl('pause', 'Pause registration'),
  dropControl('resume', 'Resume paused registration'),
  {
    id: 'extendRegistration',
    method: 'post',
    path: '/v1/drops/{dropId}/extend',
    tag: 'drop',
    summary: 'Extend registration by some seconds',
    description: 'A Workflow Update to the drop workflow. An authorize_at_entry drop is extended only while its card holds stay valid until capture.',
    roles: ops,
    params: dropIdParam,
    body: extendSchema,
    responses: { 200: { description: "the drop workflow's phase and new closing time", schema: dropStatusSchema } },
    errors: ['drop_not_found', 'wrong_phase', 'hold_outlives_validity', ...DB_TEMPORAL],
  },
  {
    id: 'issuePasses',
    method: 'post',
    path: '/v1/drops/{dropId}/passes',
    tag: 'registration',
    summary: "Issue community passes for one of the drop's pass tiers (until registration closes)",
    roles: ops,
    params: dropIdParam,
    body: issuePassesSchema,
    responses: { 201: { description: 'the pass tokens, shown once', schema: passesSchema } },
    errors: ['drop_not_found', 'wrong_phase', 'not_a_pass_tier', ...DB],
  },
  {
    id: 'getDrawRecord',
    method: 'get',
    path: '/v1/drops/{dropId}/draw',
    tag: 'draw',
    summary: 'The published draw record, once the seed is revealed (streamed)',
    roles: 'public',
    params: dropIdParam,
    responses: { 200: { description: 'the record', schema: drawRecordSchema } },
    errors: ['invalid_request', 'drop_not_found', 'draw_not_ready', ...DB],
  },
  {
    id: 'getReport',
    method: 'get',
    path: '/v1/drops/{dropId}/report',
    tag: 'reporting',
    summary: "The drop's post-mortem (no personal data)",
    roles: 'public',
    params: dropIdParam,
    query: z.object({ format: z.enum(['json', 'html', 'md']).optional().describe('html or md for the rendered note; anything else is JSON') }),
    responses: {
      200: { description: 'the post-mortem', schema: postMortemSchema, media: { 'text/html': z.string(), 'text/markdown': z.string() } },
    },
    errors: ['invalid_request', 'report_not_ready', ...DB],
  },
  {
    id: 'register',
    method: 'post',
    path: '/v1/drops/{dropId}/entries',
    tag: 'registration',
    summary: 'Register for a drop (the hot path)',
    description:
      'Answered once the entry is committed. The same person again gets their first entry back (200, duplicate, without its secret); the same Idempotency-Key with the same request replays the first answer.',
    roles: 'public',
    params: dropIdParam,
    headers: z.object({ 'idempotency-key': idempotencyKeySchema.optional() }),
    body: registerEntrySchema,
    responses: {
      201: { description: 'entered (or a replay of the request that did)', schema: receiptSchema },
      200: { description: 'this person had already entered', schema: receiptSchema },
    },
    errors: [
      'drop_not_found',
      'pass_required',
      'invalid_pass',
      'registration_closed',
      'region_closed',
      'pass_already_used',
      'phone_already_used',
      'idempotency_key_reused',
      'overloaded',
      ...DB,
    ],
  },
  {
    id: 'getEntry',
    method: 'get',
    path: '/v1/drops/{dropId}/entries/{entryId}',
    tag: 'registration',
    summary: "The entrant's own status: draw position, order, pay link, claim code",
    roles: 'public',
    params: entryIdParam,
    headers: receiptSecretHeader,
    responses: { 200: { description: 'the entry', schema: entryStatusSchema } },
    errors: ['invalid_request', 'secret_in_query', 'entry_not_found', ...DB],
  },
  {
    id: 'authorizeEntry',
    method: 'post',
    path: '/v1/drops/{dropId}/entries/{entryId}/authorization',
    tag: 'payment',
    summary: 'authorize_at_entry drops: place (once) a hold of the price on the entrant’s card',
    roles: 'public',
    params: entryIdParam,
    headers: receiptSecretHeader,
    responses: { 200: { description: 'the hold and where to authorise it', schema: entryAuthorizationSchema } },
    errors: [
      'invalid_request',
      'secret_in_query',
      'entry_not_found',
      'drop_not_found',
      'wrong_payment_mode',
      'registration_closed',
      'payment_rejected',
      'payment_provider_unavailable',
      ...DB,
    ],
  },
  {
    id: 'listExceptions',
    method: 'get',
    path: '/v1/exceptions',
    tag: 'support',
    summary: "Support's queue: exceptions filtered by drop, kind, status, overdue and assignee, the nearest SLA deadline first, keyset-paged",
    roles: staff,
    query: exceptionsQuerySchema,
    responses: { 200: { description: 'a page of the queue', schema: exceptionsListSchema } },
    errors: ['invalid_request', 'invalid_cursor', ...DB],
  },
  ...(['claim', 'assign', 'resolve'] as const).map((verb): Operation => ({
    id: `${verb}Exception`,
    method: 'post',
    path: `/v1/exceptions/{exceptionId}/${verb}`,
    tag: 'support',
    summary: {
      claim: 'Take an exception (force: from whoever has it)',
      assign: 'Give an exception to an active staff member',
      resolve: 'Close an exception that nothing waits on, with a resolution and a reason',
    }[verb],
    roles: staff,
    params: exceptionIdParam,
    body: { claim: claimExceptionSchema, assign: assignExceptionSchema, resolve: resolveExceptionSchema }[verb],
    responses: { 200: { description: 'the exception after the action', schema: supportExceptionSchema } },
    errors: [
      'exception_not_found',
      'exception_resolved',
      ...(verb === 'claim' ? (['exception_claimed'] as const) : []),
      ...(verb === 'assign' ? (['staff_not_assignable'] as const) : []),
      ...(verb === 'resolve' ? (['resolve_with_order_action'] as const) : []),
      ...DB,
    ],
  })),
  {
    id: 'getOrder',
    method: 'get',
    path: '/v1/orders/{orderId}',
    tag: 'support',
    summary:
      'The whole order: state timeline, payment, route, claim code status (never the code), exceptions, audit entries, allowed actions, Temporal UI links',
    roles: staff,
    params: orderIdParam,
    responses: { 200: { description: 'the order', schema: supportOrderViewSchema } },
    errors: ['order_not_found', ...DB],
  },
  {
    id: 'resolveOrder',
    method: 'post',
    path: '/v1/orders/{orderId}/resolve',
    tag: 'support',
    summary: 'Resolve an order in one call (a Workflow Update whose validator has the last word)',
    roles: staff,
    params: orderIdParam,
    body: resolveSchema,
    responses: { 200: { description: "the order's state after the action", schema: orderStatusSchema } },
    errors: ['order_not_found', 'order_final', 'invalid_action', ...DB_TEMPORAL],
  },
  {
    id: 'listDrops',
    method: 'get',
    path: '/v1/drops',
    tag: 'drop',
    summary: 'Drops, newest first, filtered by phase and keyset-paged',
    roles: staff,
    query: listDropsQuerySchema,
    responses: { 200: { description: 'a page of drop summaries', schema: dropListSchema } },
    errors: ['invalid_request', 'invalid_cursor', ...DB],
  },
  {
    id: 'cancelDrop',
    method: 'post',
    path: '/v1/drops/{dropId}/cancel',
    tag: 'drop',
    summary: 'Cancel a drop: before the draw registration stops and holds are voided; after it every open order is undone and refunded, nobody promoted',
    description:
      'A Workflow Update (staff id and reason code into history; the reason text stays in the audit log). The drop ends `cancelled` and still writes its report.',
    roles: ops,
    params: dropIdParam,
    body: cancelDropSchema,
    responses: { 200: { description: "the drop workflow's phase after the action", schema: dropStatusSchema } },
    errors: ['drop_not_found', 'wrong_phase', ...DB_TEMPORAL],
  },
  {
    id: 'restockNode',
    method: 'post',
    path: '/v1/drops/{dropId}/nodes/{nodeId}/restock',
    tag: 'drop',
    summary: "Add units to a node's stock; while settling, the next waitlisted entrants in draw order are promoted into them",
    roles: ops,
    params: nodeParams,
    body: restockSchema,
    responses: { 200: { description: 'what was added and who was promoted', schema: restockOutcomeSchema } },
    errors: ['drop_not_found', 'node_not_found', 'wrong_phase', ...DB_TEMPORAL],
  },
  {
    id: 'changeOrderWindows',
    method: 'post',
    path: '/v1/drops/{dropId}/windows',
    tag: 'drop',
    summary: 'Change the pay and/or pickup window (seconds) for orders not yet in that phase',
    roles: ops,
    params: dropIdParam,
    body: changeWindowsSchema,
    responses: { 200: { description: "the drop workflow's phase after the action", schema: dropStatusSchema } },
    errors: ['drop_not_found', 'wrong_phase', 'hold_outlives_validity', ...DB_TEMPORAL],
  },
  {
    id: 'listAudit',
    method: 'get',
    path: '/v1/audit',
    tag: 'audit',
    summary: 'Who did what: the audit log, newest first, filtered and keyset-paged',
    roles: ops,
    query: auditQuerySchema,
    responses: { 200: { description: 'a page of audit entries', schema: auditPageSchema } },
    errors: ['invalid_request', 'invalid_cursor', ...DB],
  },
  ...WEBHOOK_PROVIDERS.map((provider): Operation => ({
    id: `${provider}Webhook`,
    method: 'post',
    path: `/v1/webhooks/${provider}`,
    tag: 'webhooks',
    summary: `A signed event from the ${provider} provider`,
    description:
      'Checked (signature over the exact bytes, timestamp neither stale nor future-dated), deduplicated by event id; answered 2xx only once handled, so the provider retries anything we did not take.',
    roles: 'public',
    headers: z.object({
      'x-drops-signature': z.string().optional().describe("the simulators' signature header"),
      'stripe-signature': z.string().optional().describe("Stripe's signature header"),
    }),
    body: providerEventSchema,
    responses: { 200: { description: 'handled', schema: webhookOutcomeSchema } },
    errors: ['invalid_signature', 'invalid_event', 'event_not_ready', ...DB_TEMPORAL],
  })),
];
