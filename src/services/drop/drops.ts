import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { DomainError, conflict, invalid, notFound } from '../../domain/errors';
import { FINISHED_DROP_PHASES, type DropPhase } from '../../domain/drop/phases';
import { decodeCursor, encodeCursor, readPage } from '../keyset-cursor';
import { scheduleOf, scheduleProblems, type LaunchDrop } from '../../domain/drop/launch';
import {
  DROP_ID,
  DROP_PHASE,
  cancelDropUpdate,
  changeOrderWindowsUpdate,
  closeRegistrationUpdate,
  dropWorkflowId,
  extendRegistrationUpdate,
  pauseRegistrationUpdate,
  restockNodeUpdate,
  resumeRegistrationUpdate,
  type DropWorkflowInput,
} from '../../../workflows/definitions';
import { countEntries } from '../../db/repositories/entries';
import { findDrop, findNode, insertDrop, listDrops, listNodes } from '../../db/repositories/drops';
import { countOrdersByState } from '../../db/repositories/orders';
import { findReport } from '../../db/repositories/reports';
import { CAPTURE_ALLOWANCE_SECONDS, HOLD_VALIDITY_SECONDS, holdOutlivesValidity } from '../../domain/payment-holds';
import type { ServiceDeps } from '../deps';
import { messageWorkflow } from '../workflow-messages';
import { audited } from '../audit/audit';
import type { Actor, ReasonCode } from '../../domain/staff/staff';
import { temporalUiLink } from '../temporal-links';

/**
 * Launches a drop: the row first (so reads work at once), then its workflow. Idempotent on the
 * drop id: the same request again answers with the drop; a different one with that id is a 409.
 */
export async function launchDrop(deps: ServiceDeps, spec: LaunchDrop): Promise<{ created: boolean; view: DropView }> {
  checkPaymentTerms(spec);
  const launchedAt = Date.now();
  const schedule = scheduleOf(spec, launchedAt);
  if (schedule && !(await findDrop(deps.db, spec.dropId))) {
    const problems = scheduleProblems(spec, launchedAt);
    if (problems.length > 0) throw invalid('invalid_request', 'the request does not match the schema', problems);
  }
  const created = await insertDrop(deps.db, {
    dropId: spec.dropId,
    name: spec.name,
    units: spec.units,
    priceCents: spec.priceCents,
    currency: spec.currency,
    spec,
    beacon: spec.beacon,
    nodes: spec.nodes,
    regionWindows: spec.regionWindows ?? null,
  });
  if (!created) {
    const existing = await findDrop(deps.db, spec.dropId);
    if (!isDeepStrictEqual(existing?.spec, JSON.parse(JSON.stringify(spec)))) {
      throw conflict('drop_exists', `drop ${spec.dropId} exists with a different launch request`);
    }
  }
  const input: DropWorkflowInput = {
    dropId: spec.dropId,
    windows: spec.windows,
    missedPickupPolicy: spec.policies.missedPickup,
    ...(schedule && { schedule }),
  };
  try {
    // Started even when the row existed: a crash between the insert and the start heals here.
    await deps.temporal.workflow.start('dropWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId: dropWorkflowId(spec.dropId),
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: DROP_ID, value: spec.dropId },
        { key: DROP_PHASE, value: schedule ? 'scheduled' : 'announcing' },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { created, view: (await getDropView(deps, spec.dropId))! };
}

/**
 * Payment terms the saga cannot honour are refused before anything is written: a hold that
 * would expire before its capture (422 `hold_outlives_validity`), a hold on a free drop (422
 * `nothing_to_authorize`). A free drop with `pay_after_win` is fine: its orders skip payment.
 */
function checkPaymentTerms(spec: LaunchDrop) {
  if (spec.payment.mode !== 'authorize_at_entry') return;
  if (spec.priceCents === 0) {
    throw new DomainError('unprocessable', 'nothing_to_authorize', 'a free drop (priceCents 0) places no card hold: use payment.mode pay_after_win', {
      path: ['payment', 'mode'],
    });
  }
  const problem = holdOutlivesValidity(spec.windows.registrationSeconds);
  if (problem) {
    throw new DomainError('unprocessable', 'hold_outlives_validity', problem, {
      path: ['windows', 'registrationSeconds'],
      limitSeconds: HOLD_VALIDITY_SECONDS - CAPTURE_ALLOWANCE_SECONDS,
    });
  }
}

/** Extending an authorize_at_entry drop's registration must keep its holds valid until capture. */
function checkExtension(drop: NonNullable<Awaited<ReturnType<typeof findDrop>>>, seconds: number) {
  if ((drop.spec as LaunchDrop).payment?.mode !== 'authorize_at_entry' || !drop.registration_opens_at) return;
  const closesAt = drop.registration_closes_at ? new Date(drop.registration_closes_at).getTime() : Date.now();
  const total = Math.ceil((closesAt + seconds * 1000 - new Date(drop.registration_opens_at).getTime()) / 1000);
  const problem = holdOutlivesValidity(total);
  if (problem) {
    throw new DomainError('unprocessable', 'hold_outlives_validity', `extending by ${seconds} s: ${problem}`, {
      limitSeconds: HOLD_VALIDITY_SECONDS - CAPTURE_ALLOWANCE_SECONDS,
    });
  }
}

/**
 * A hold-based drop's pay window: the last hold placed (at the latest, when registration closes)
 * must still be valid when an order entering payment now or after the close captures it.
 */
function checkPayWindow(drop: NonNullable<Awaited<ReturnType<typeof findDrop>>>, paymentSeconds: number) {
  if ((drop.spec as LaunchDrop).payment?.mode !== 'authorize_at_entry' || !drop.registration_opens_at) return;
  const closesAt = drop.registration_closes_at ? new Date(drop.registration_closes_at).getTime() : Date.now();
  const heldSince = new Date(drop.registration_opens_at).getTime();
  const total = Math.ceil((Math.max(closesAt, Date.now()) - heldSince) / 1000) + paymentSeconds;
  const problem = holdOutlivesValidity(total);
  if (problem) {
    throw new DomainError('unprocessable', 'hold_outlives_validity', `a pay window of ${paymentSeconds} s: ${problem}`, {
      limitSeconds: HOLD_VALIDITY_SECONDS - CAPTURE_ALLOWANCE_SECONDS,
    });
  }
}

export interface DropView {
  dropId: string;
  name: string;
  phase: string;
  units: number;
  priceCents: number;
  currency: string;
  commitment: string | null;
  entrantsDigest: string | null;
  registration: { opensAt: string | null; closesAt: string | null };
  /** A scheduled launch as ops sent it (ISO 8601): when the commitment is published and registration opens; null: at once. */
  schedule: { announceAt: string; registrationOpensAt: string } | null;
  counts: { entries: number; orders: Record<string, number> };
  nodes: Array<{ nodeId: string; region: string; kind: string; stockTotal: number; stockRemaining: number }>;
  /** Set once ops cancelled the drop: when, why (a reason code) and in which phase. */
  cancelled: { at: string | null; reasonCode: string | null; inPhase: string | null } | null;
  workflowId: string;
  /** The drop's workflow in the Temporal UI; null when no UI is configured (DROPS_TEMPORAL_UI_URL). */
  links: { workflow: string | null };
}

/** The launch's schedule as times (an absent announce was the launch itself). */
const scheduleView = (spec: Partial<LaunchDrop>, launchedAt: Date): DropView['schedule'] => {
  const s = scheduleOf(spec, new Date(launchedAt).getTime());
  return s ? { announceAt: new Date(s.announceAt).toISOString(), registrationOpensAt: new Date(s.registrationOpensAt).toISOString() } : null;
};

/** The drop as the read model knows it; never asks Temporal. */
export async function getDropView(deps: Pick<ServiceDeps, 'db' | 'temporalUi'>, dropId: string): Promise<DropView | undefined> {
  const drop = await findDrop(deps.db, dropId);
  if (!drop) return undefined;
  const [entries, nodes, orders] = await Promise.all([countEntries(deps.db, dropId), listNodes(deps.db, dropId), countOrdersByState(deps.db, dropId)]);
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    dropId,
    name: drop.name,
    phase: drop.phase,
    units: drop.units,
    priceCents: drop.price_cents,
    currency: drop.currency,
    commitment: drop.commitment,
    entrantsDigest: drop.entrants_digest,
    registration: { opensAt: iso(drop.registration_opens_at), closesAt: iso(drop.registration_closes_at) },
    schedule: scheduleView(drop.spec as Partial<LaunchDrop>, drop.created_at),
    counts: { entries, orders: Object.fromEntries(orders.map((o) => [o.state, Number(o.n)])) },
    nodes: nodes.map((n) => ({ nodeId: n.node_id, region: n.region, kind: n.kind, stockTotal: n.stock_total, stockRemaining: n.stock_remaining })),
    cancelled: drop.cancelled_at ? { at: iso(drop.cancelled_at), reasonCode: drop.cancel_reason_code, inPhase: drop.cancelled_in_phase } : null,
    workflowId: dropWorkflowId(dropId),
    links: { workflow: deps.temporalUi ? temporalUiLink(deps.temporalUi.baseUrl, deps.temporalUi.namespace, dropWorkflowId(dropId)) : null },
  };
}

export type DropControl = 'close' | 'pause' | 'resume' | 'extend';

/** Phases after which no ops Update can change anything: the drop's workflow has moved on for good. */
const FINISHED_PHASES = new Set<string>(FINISHED_DROP_PHASES);

/**
 * Ops steer a running drop through Workflow Updates; the workflow's validators say no.
 * Errors: 404 `drop_not_found`; 409 `wrong_phase` when the workflow refuses the action in its
 * phase, or has finished ("drop is completed"); 422 `hold_outlives_validity` (extend).
 */
export async function controlDrop(deps: ServiceDeps, actor: Actor, dropId: string, action: DropControl, why: StaffReason, seconds?: number) {
  return audited(deps, actor, { action: `${action}_registration`, dropId, ...why }, async () => {
    const drop = await requireRunningDrop(deps, dropId, action);
    if (action === 'extend' && Number.isInteger(seconds)) checkExtension(drop, seconds!);
    const request = staffRequest(actor, why);
    return sendUpdate(deps, dropId, action, (handle) => {
      switch (action) {
        case 'close':
          return handle.executeUpdate(closeRegistrationUpdate, { args: [request] });
        case 'pause':
          return handle.executeUpdate(pauseRegistrationUpdate, { args: [request] });
        case 'resume':
          return handle.executeUpdate(resumeRegistrationUpdate, { args: [request] });
        case 'extend':
          return handle.executeUpdate(extendRegistrationUpdate, { args: [{ seconds: seconds!, ...request }] });
      }
    });
  });
}

/**
 * Ops cancel a drop (reasonCode and reason required; only the code enters history). Before the
 * draw: registration stops, holds are voided, no draw; after it: every open order is cancelled
 * and refunded, nobody promoted. The drop ends `cancelled` with its report.
 * Errors: 404 `drop_not_found`; 409 `wrong_phase` (the draw is running, every order is final, or
 * the drop is finished or already cancelling).
 */
export async function cancelDrop(deps: ServiceDeps, actor: Actor, dropId: string, why: Required<StaffReason>) {
  return audited(deps, actor, { action: 'cancel_drop', dropId, ...why }, async () => {
    await requireRunningDrop(deps, dropId, 'cancel');
    const request = { staffId: actor.staffId, reasonCode: why.reasonCode };
    return sendUpdate(deps, dropId, 'cancel', (handle) => handle.executeUpdate(cancelDropUpdate, { args: [request] }));
  });
}

/**
 * Ops add `units` to a node. Before the draw it only adds stock; while settling it also promotes
 * that many next waitlisted entrants in draw order. Errors: 404 `drop_not_found`, `node_not_found`;
 * 409 `wrong_phase` (the draw is running, or every order is final).
 */
export async function restockDropNode(deps: ServiceDeps, actor: Actor, dropId: string, nodeId: string, units: number, why: StaffReason) {
  return audited(deps, actor, { action: 'restock_node', dropId, ...why }, async () => {
    await requireRunningDrop(deps, dropId, 'restock');
    if (!(await findNode(deps.db, dropId, nodeId))) throw notFound('node_not_found', `drop ${dropId} has no node ${nodeId}`);
    // A fresh id per call names the restock: the workflow's activity, retried, adds its stock once.
    // Never the caller's X-Request-Id: a reused one would make a different restock a silent no-op.
    const request = { ...staffRequest(actor, why), restockId: `rst_${randomBytes(8).toString('hex')}`, nodeId, units };
    return sendUpdate(deps, dropId, 'restock', (handle) => handle.executeUpdate(restockNodeUpdate, { args: [request] }));
  });
}

/**
 * Ops change the pay and/or pickup window (seconds) for orders that have not entered that phase
 * yet; an order already in it keeps its deadline. Errors: 404 `drop_not_found`; 409 `wrong_phase`
 * (the drop is finished, cancelling, or wrapping up); 422 `hold_outlives_validity` (a hold-based
 * drop whose holds would expire before a capture after the new pay window).
 */
export async function changeOrderWindows(
  deps: ServiceDeps,
  actor: Actor,
  dropId: string,
  w: { paymentSeconds?: number; pickupSeconds?: number },
  why: StaffReason,
) {
  return audited(deps, actor, { action: 'change_order_windows', dropId, ...why }, async () => {
    const drop = await requireRunningDrop(deps, dropId, 'change the windows');
    if (w.paymentSeconds !== undefined) checkPayWindow(drop, w.paymentSeconds);
    const request = { ...staffRequest(actor, why), ...w };
    return sendUpdate(deps, dropId, 'change the windows', (handle) => handle.executeUpdate(changeOrderWindowsUpdate, { args: [request] }));
  });
}

/** What goes into history of who acted and why: the staff id and the reason code, never the text. */
const staffRequest = (actor: Actor, why: StaffReason) => ({ staffId: actor.staffId, ...(why.reasonCode !== undefined && { reasonCode: why.reasonCode }) });

async function requireRunningDrop(deps: ServiceDeps, dropId: string, action: string) {
  const drop = await findDrop(deps.db, dropId);
  if (!drop) throw notFound('drop_not_found', `no drop ${dropId}`);
  if (FINISHED_PHASES.has(drop.phase)) throw conflict('wrong_phase', `cannot ${action} now: drop is ${drop.phase}`);
  return drop;
}

/** Why a staff member acted: a reason code (into history) and free text (the audit log only). */
export interface StaffReason {
  reasonCode?: ReasonCode;
  reason?: string;
}

type DropHandle = ReturnType<ServiceDeps['temporal']['workflow']['getHandle']>;

async function sendUpdate<T>(deps: ServiceDeps, dropId: string, action: string, send: (handle: DropHandle) => Promise<T>): Promise<T> {
  const cannot = (why: string) => `cannot ${action} now: ${why}`;
  const handle = deps.temporal.workflow.getHandle(dropWorkflowId(dropId));
  return messageWorkflow(() => send(handle), {
    rejectedCode: 'wrong_phase',
    explain: cannot,
    goneCode: 'wrong_phase',
    // The workflow finished between our read and the Update: it wrote its last phase before it did.
    gone: async () => cannot(`drop is ${(await findDrop(deps.db, dropId))?.phase ?? 'completed'}`),
  });
}

/** Drop summaries for ops and support, newest first; `nextCursor` fetches the next (older) page. */
export async function listDropSummaries(deps: Pick<ServiceDeps, 'db'>, q: { phase?: DropPhase; limit: number; cursor?: string }) {
  let before: { cursorAt: string; dropId: string } | undefined;
  if (q.cursor !== undefined) {
    const [cursorAt, dropId] = decodeCursor('drops', q.cursor, 2) as [string, string];
    if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.test(cursorAt)) {
      throw invalid('invalid_cursor', 'the cursor is not one this list gave out');
    }
    before = { cursorAt, dropId };
  }
  const rows = await readPage(q.cursor, () => listDrops(deps.db, { phase: q.phase, before, limit: q.limit + 1 }));
  const page = rows.slice(0, q.limit);
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  const drops = page.map((d) => ({
    dropId: d.drop_id,
    name: d.name,
    phase: d.phase,
    units: d.units,
    priceCents: d.price_cents,
    currency: d.currency,
    registration: { opensAt: iso(d.registration_opens_at), closesAt: iso(d.registration_closes_at) },
    cancelled: d.cancelled_at ? { at: iso(d.cancelled_at), reasonCode: d.cancel_reason_code } : null,
    createdAt: new Date(d.created_at).toISOString(),
  }));
  const last = page[page.length - 1];
  return { drops, nextCursor: rows.length > q.limit && last ? encodeCursor('drops', [last.cursor_at, last.drop_id]) : null };
}

/** The drop's post-mortem (JSON, Markdown and HTML); 404 report_not_ready until it is written. */
export async function getReport(deps: Pick<ServiceDeps, 'db'>, dropId: string) {
  const report = await findReport(deps.db, dropId);
  if (!report) throw notFound('report_not_ready', `no post-mortem for ${dropId} yet`);
  return report;
}
