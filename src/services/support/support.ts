import {
  assignException as assignExceptionRow,
  findException,
  listExceptions,
  resolveExceptionByStaff,
  type ExceptionFilter,
  type ExceptionRow,
} from '../../db/repositories/exceptions';
import { findOrder } from '../../db/repositories/orders';
import { findStaff } from '../../db/repositories/staff';
import { conflict, DomainError, invalid, notFound } from '../../domain/errors';
import { isFinalOrderState } from '../../domain/order/order-states';
import type { Actor, ReasonCode } from '../../domain/staff/staff';
import { closingOf, type ExceptionKindInfo, type ExceptionResolution } from '../../domain/support/exception-kinds';
import { audited } from '../audit/audit';
import { decodeCursor, encodeCursor, readPage } from '../keyset-cursor';
import type { ServiceDeps } from '../deps';

/** An exception in support's queue, as the API shows it (times as ISO 8601). */
export interface SupportException {
  exceptionId: number;
  dropId: string;
  orderId: string | null;
  kind: string;
  detail: string;
  status: 'open' | 'resolved';
  slaDeadline: string;
  createdAt: string;
  /** Past its SLA: open after the deadline, or resolved after it. */
  overdue: boolean;
  /** The staff id working it, and since when. */
  assignedTo: string | null;
  claimedAt: string | null;
  /** When the SLA escalation happened (once). */
  escalatedAt: string | null;
  resolution: string | null;
  resolvedAt: string | null;
  /** Who resolved it through the queue (null: the order's workflow or a provider event did). */
  resolvedBy: string | null;
  resolutionReasonCode: string | null;
  /** How it closes: `{by: 'resolve'}` (POST /v1/exceptions/:id/resolve) or the order's resolve action. */
  closes: ExceptionKindInfo['closes'];
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function exceptionView(e: ExceptionRow, nowMs = Date.now()): SupportException {
  const deadline = new Date(e.sla_deadline).getTime();
  const endedAt = e.resolved_at === null ? nowMs : new Date(e.resolved_at).getTime();
  return {
    exceptionId: Number(e.exception_id),
    dropId: e.drop_id,
    orderId: e.order_id,
    kind: e.kind,
    detail: e.detail,
    status: e.status,
    slaDeadline: new Date(e.sla_deadline).toISOString(),
    createdAt: new Date(e.created_at).toISOString(),
    overdue: deadline < endedAt,
    assignedTo: e.assigned_to,
    claimedAt: iso(e.claimed_at),
    escalatedAt: iso(e.escalated_at),
    resolution: e.resolution,
    resolvedAt: iso(e.resolved_at),
    resolvedBy: e.resolved_by,
    resolutionReasonCode: e.resolution_reason_code,
    closes: closingOf(e.kind),
  };
}

/** The queue's filters, as the API parsed them; `assignee` is a staff id, `me` or `none`. */
export interface QueueQuery {
  dropId?: string;
  kind?: string;
  status: 'open' | 'resolved' | 'all';
  overdue?: boolean;
  assignee?: string;
  cursor?: string;
  limit: number;
}

const SLA_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const EXCEPTION_ID = /^[1-9]\d{0,14}$/;

/**
 * Support's queue: the nearest SLA deadline first (then the exception id), filtered, one page of
 * `limit`; `nextCursor` (null on the last page) fetches the next. 400 `invalid_cursor`.
 */
export async function listSupportQueue(deps: Pick<ServiceDeps, 'db'>, actor: Actor, q: QueueQuery) {
  let after: ExceptionFilter['after'];
  if (q.cursor !== undefined) {
    const [slaKey, id] = decodeCursor('exceptions', q.cursor, 2) as [string, string];
    if (!SLA_KEY.test(slaKey) || !EXCEPTION_ID.test(id)) throw invalid('invalid_cursor', 'the cursor is not one this list gave out');
    after = { slaKey, exceptionId: Number(id) };
  }
  const assignee = q.assignee === undefined ? undefined : q.assignee === 'none' ? null : q.assignee === 'me' ? actor.staffId : q.assignee;
  const rows = await readPage(q.cursor, () => listExceptions(deps.db, { ...q, assignee, after, limit: q.limit + 1 }));
  const page = rows.slice(0, q.limit);
  const now = Date.now();
  const last = page[page.length - 1];
  return {
    exceptions: page.map((r) => exceptionView(r, now)),
    nextCursor: rows.length > q.limit && last ? encodeCursor('exceptions', [last.sla_key, String(last.exception_id)]) : null,
  };
}

/** A path's exception id: a positive integer, else the exception cannot exist (404). */
export function parseExceptionId(raw: string): number {
  if (!EXCEPTION_ID.test(raw)) throw notFound('exception_not_found', `no exception ${raw.slice(0, 40)}`);
  return Number(raw);
}

async function requireOpenException(deps: Pick<ServiceDeps, 'db'>, exceptionId: number): Promise<ExceptionRow> {
  const row = await findException(deps.db, exceptionId);
  if (!row) throw notFound('exception_not_found', `no exception ${exceptionId}`);
  if (row.status !== 'open') throw resolvedAlready(row);
  return row;
}

/** An update that matched no open row: the exception went away or was resolved meanwhile. */
async function whyNotOpen(deps: Pick<ServiceDeps, 'db'>, exceptionId: number): Promise<DomainError> {
  const row = await findException(deps.db, exceptionId);
  if (!row) return notFound('exception_not_found', `no exception ${exceptionId}`);
  return resolvedAlready(row);
}

const resolvedAlready = (row: ExceptionRow) =>
  conflict('exception_resolved', `exception ${row.exception_id} is already resolved (${row.resolution ?? 'no resolution'})`, {
    resolvedBy: row.resolved_by,
    resolvedAt: iso(row.resolved_at),
  });

/** The audit entry's target: the exception, and its drop and order when it exists. */
async function auditTarget(deps: Pick<ServiceDeps, 'db'>, exceptionId: number) {
  const row = await findException(deps.db, exceptionId);
  return { exceptionId, ...(row && { dropId: row.drop_id }), ...(row?.order_id && { orderId: row.order_id }) };
}

/** Why a staff member claims or assigns (optional for these). */
export interface Why {
  reasonCode?: ReasonCode;
  reason?: string;
}

/**
 * The caller takes an open exception. Claiming one already theirs changes nothing (200).
 * Errors: 404 `exception_not_found`; 409 `exception_resolved`; 409 `exception_claimed` (someone
 * else has it: `details.assignedTo`), unless `force`.
 */
export async function claimException(deps: Pick<ServiceDeps, 'db'>, actor: Actor, exceptionId: number, o: Why & { force?: boolean }) {
  const target = await auditTarget(deps, exceptionId);
  return audited(deps, actor, { action: 'claim_exception', ...target, reasonCode: o.reasonCode, reason: o.reason }, async () => {
    const row = await requireOpenException(deps, exceptionId);
    if (row.assigned_to === actor.staffId) return exceptionView(row);
    const claimed = await assignExceptionRow(deps.db, exceptionId, actor.staffId, { onlyIfFree: !o.force });
    if (claimed) return exceptionView(claimed);
    const now = await requireOpenException(deps, exceptionId);
    throw conflict('exception_claimed', `exception ${exceptionId} is being worked by ${now.assigned_to}; send force: true to take it over`, {
      assignedTo: now.assigned_to,
      claimedAt: iso(now.claimed_at),
    });
  });
}

/**
 * Assigns an open exception to an active staff member (any role). Errors: 404
 * `exception_not_found`; 409 `exception_resolved`; 422 `staff_not_assignable` (no such member, or revoked).
 */
export async function assignException(deps: Pick<ServiceDeps, 'db'>, actor: Actor, exceptionId: number, o: Why & { staffId: string }) {
  const target = await auditTarget(deps, exceptionId);
  return audited(deps, actor, { action: 'assign_exception', ...target, reasonCode: o.reasonCode, reason: o.reason }, async () => {
    await requireOpenException(deps, exceptionId);
    const member = await findStaff(deps.db, o.staffId);
    if (!member || member.revoked_at !== null) {
      throw new DomainError('unprocessable', 'staff_not_assignable', `${o.staffId} is not an active staff member`, { staffId: o.staffId });
    }
    const assigned = await assignExceptionRow(deps.db, exceptionId, o.staffId, { onlyIfFree: false });
    if (!assigned) throw await whyNotOpen(deps, exceptionId);
    return exceptionView(assigned);
  });
}

/**
 * Closes an open exception whose kind closes here (src/domain/support/exception-kinds.ts).
 * Errors: 404 `exception_not_found`; 409 `exception_resolved`; 409 `resolve_with_order_action`
 * when its order waits for one of its own resolve actions (`details.resolveWith` names it,
 * `details.orderId` the order): once that order is final, the exception closes here too.
 */
export async function resolveException(
  deps: Pick<ServiceDeps, 'db'>,
  actor: Actor,
  exceptionId: number,
  r: { resolution: ExceptionResolution; reasonCode: ReasonCode; reason: string },
) {
  const target = await auditTarget(deps, exceptionId);
  return audited(deps, actor, { action: 'resolve_exception', ...target, reasonCode: r.reasonCode, reason: r.reason }, async () => {
    const row = await requireOpenException(deps, exceptionId);
    const closes = closingOf(row.kind);
    if (closes.by === 'order_action' && row.order_id !== null) {
      const order = await findOrder(deps.db, row.order_id);
      if (order && !isFinalOrderState(order.state)) {
        throw conflict(
          'resolve_with_order_action',
          `a ${row.kind} exception closes when its order is resolved: POST /v1/orders/${row.order_id}/resolve with action ${closes.action}`,
          { resolveWith: closes.action, orderId: row.order_id, orderState: order.state },
        );
      }
    }
    const resolved = await resolveExceptionByStaff(deps.db, exceptionId, { staffId: actor.staffId, resolution: r.resolution, reasonCode: r.reasonCode });
    if (!resolved) throw await whyNotOpen(deps, exceptionId);
    return exceptionView(resolved);
  });
}
