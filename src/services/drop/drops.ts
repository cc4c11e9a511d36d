import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { isDeepStrictEqual } from 'node:util';
import { DomainError, conflict, notFound } from '../../domain/errors';
import type { LaunchDrop } from '../../domain/drop/launch';
import {
  DROP_ID,
  DROP_PHASE,
  closeRegistrationUpdate,
  dropWorkflowId,
  extendRegistrationUpdate,
  pauseRegistrationUpdate,
  resumeRegistrationUpdate,
  type DropWorkflowInput,
} from '../../../workflows/definitions';
import { countEntries } from '../../db/repositories/entries';
import { findDrop, insertDrop, listNodes } from '../../db/repositories/drops';
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
  const created = await insertDrop(deps.db, {
    dropId: spec.dropId,
    name: spec.name,
    units: spec.units,
    priceCents: spec.priceCents,
    currency: spec.currency,
    spec,
    beacon: spec.beacon,
    nodes: spec.nodes,
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
        { key: DROP_PHASE, value: 'announcing' },
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
  counts: { entries: number; orders: Record<string, number> };
  nodes: Array<{ nodeId: string; region: string; kind: string; stockTotal: number; stockRemaining: number }>;
  workflowId: string;
  /** The drop's workflow in the Temporal UI; null when no UI is configured (DROPS_TEMPORAL_UI_URL). */
  links: { workflow: string | null };
}

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
    counts: { entries, orders: Object.fromEntries(orders.map((o) => [o.state, Number(o.n)])) },
    nodes: nodes.map((n) => ({ nodeId: n.node_id, region: n.region, kind: n.kind, stockTotal: n.stock_total, stockRemaining: n.stock_remaining })),
    workflowId: dropWorkflowId(dropId),
    links: { workflow: deps.temporalUi ? temporalUiLink(deps.temporalUi.baseUrl, deps.temporalUi.namespace, dropWorkflowId(dropId)) : null },
  };
}

export type DropControl = 'close' | 'pause' | 'resume' | 'extend';

/** Phases after which no ops Update can change anything: the drop's workflow has moved on for good. */
const FINISHED_PHASES = new Set(['completed']);

/**
 * Ops steer a running drop through Workflow Updates; the workflow's validators say no.
 * Errors: 404 `drop_not_found`; 409 `wrong_phase` when the workflow refuses the action in its
 * phase, or has finished ("drop is completed").
 */
export async function controlDrop(deps: ServiceDeps, actor: Actor, dropId: string, action: DropControl, why: StaffReason, seconds?: number) {
  return audited(deps, actor, { action: `${action}_registration`, dropId, ...why }, () => sendControl(deps, dropId, action, seconds));
}

/** Why a staff member acted: a reason code (into history) and free text (the audit log only). */
export interface StaffReason {
  reasonCode?: ReasonCode;
  reason?: string;
}

async function sendControl(deps: ServiceDeps, dropId: string, action: DropControl, seconds?: number) {
  const drop = await findDrop(deps.db, dropId);
  if (!drop) throw notFound('drop_not_found', `no drop ${dropId}`);
  const cannot = (why: string) => `cannot ${action} now: ${why}`;
  if (FINISHED_PHASES.has(drop.phase)) throw conflict('wrong_phase', cannot(`drop is ${drop.phase}`));
  if (action === 'extend' && Number.isInteger(seconds)) checkExtension(drop, seconds!);
  const handle = deps.temporal.workflow.getHandle(dropWorkflowId(dropId));
  const send = () => {
    switch (action) {
      case 'close':
        return handle.executeUpdate(closeRegistrationUpdate);
      case 'pause':
        return handle.executeUpdate(pauseRegistrationUpdate);
      case 'resume':
        return handle.executeUpdate(resumeRegistrationUpdate);
      case 'extend':
        return handle.executeUpdate(extendRegistrationUpdate, { args: [{ seconds: seconds! }] });
    }
  };
  return messageWorkflow(send, {
    rejectedCode: 'wrong_phase',
    explain: cannot,
    goneCode: 'wrong_phase',
    // The workflow finished between our read and the Update: it wrote its last phase before it did.
    gone: async () => cannot(`drop is ${(await findDrop(deps.db, dropId))?.phase ?? 'completed'}`),
  });
}

/** The drop's post-mortem (JSON, Markdown and HTML); 404 report_not_ready until it is written. */
export async function getReport(deps: Pick<ServiceDeps, 'db'>, dropId: string) {
  const report = await findReport(deps.db, dropId);
  if (!report) throw notFound('report_not_ready', `no post-mortem for ${dropId} yet`);
  return report;
}
