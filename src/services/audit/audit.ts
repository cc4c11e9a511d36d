import { finishAuditEntry, insertAuditEntry, listAuditEntries, type AuditFilter } from '../../db/repositories/audit';
import { DomainError, invalid } from '../../domain/errors';
import { decodeCursor, encodeCursor, readPage } from '../keyset-cursor';
import type { Actor, ReasonCode } from '../../domain/staff/staff';
import type { ServiceDeps } from '../deps';

/** What an ops or support action is about, and why (the free-text reason stays in the audit log). */
export interface AuditedAction {
  action: string;
  dropId?: string;
  orderId?: string;
  exceptionId?: number;
  reasonCode?: ReasonCode;
  reason?: string;
}

/**
 * Runs an ops or support action under an audit entry written BEFORE it acts (so no action is
 * ever done unrecorded: if the entry cannot be written, nothing is done), then records how it
 * ended: `ok`, `refused` (a DomainError: its code) or `failed` (anything else). A failure to
 * record the end is logged, not thrown: the action has happened and its answer stands.
 */
export async function audited<T>(deps: Pick<ServiceDeps, 'db'>, actor: Actor, what: AuditedAction, run: () => Promise<T>): Promise<T> {
  const auditId = await insertAuditEntry(deps.db, { ...what, staffId: actor.staffId, role: actor.role, requestId: actor.requestId });
  const finish = (outcome: 'ok' | 'refused' | 'failed', detail: string | null) =>
    finishAuditEntry(deps.db, auditId, outcome, detail).catch((e) => console.error(`[audit] entry ${auditId}: could not record its outcome: ${String(e)}`));
  try {
    const result = await run();
    await finish('ok', null);
    return result;
  } catch (err) {
    if (err instanceof DomainError) await finish('refused', `${err.code}: ${err.message}`.slice(0, 1000));
    else await finish('failed', (err instanceof Error ? err.message : String(err)).slice(0, 1000));
    throw err;
  }
}

/** An audit entry as the API shows it (times ISO 8601). */
export interface AuditEntryView {
  auditId: string;
  at: string;
  actor: { staffId: string; role: string };
  action: string;
  target: { dropId: string | null; orderId: string | null; exceptionId: number | null };
  reasonCode: string | null;
  reason: string | null;
  requestId: string;
  outcome: string;
  outcomeDetail: string | null;
  finishedAt: string | null;
}

/** One page of the audit log, newest first; `nextCursor` fetches the next (older) page. */
export async function listAudit(deps: Pick<ServiceDeps, 'db'>, filter: Omit<AuditFilter, 'beforeId'> & { cursor?: string }) {
  const beforeId = filter.cursor === undefined ? undefined : decodeCursor('audit', filter.cursor, 1)[0];
  if (beforeId !== undefined && !/^\d{1,19}$/.test(beforeId)) throw invalid('invalid_cursor', 'the cursor is not one this list gave out');
  const rows = await readPage(filter.cursor, () => listAuditEntries(deps.db, { ...filter, beforeId, limit: filter.limit + 1 }));
  const page = rows.slice(0, filter.limit);
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  const entries: AuditEntryView[] = page.map((r) => ({
    auditId: String(r.audit_id),
    at: new Date(r.at).toISOString(),
    actor: { staffId: r.actor_staff_id, role: r.actor_role },
    action: r.action,
    target: { dropId: r.drop_id, orderId: r.order_id, exceptionId: r.exception_id === null ? null : Number(r.exception_id) },
    reasonCode: r.reason_code,
    reason: r.reason,
    requestId: r.request_id,
    outcome: r.outcome,
    outcomeDetail: r.outcome_detail,
    finishedAt: iso(r.finished_at),
  }));
  const last = page[page.length - 1];
  return { entries, nextCursor: rows.length > filter.limit && last ? encodeCursor('audit', [String(last.audit_id)]) : null };
}
