import { sql, type Kysely } from 'kysely';
import type { AuditOutcome, Database } from '../schema';
import type { StaffRole } from '../../domain/staff/staff';

type Q = Kysely<Database>;

export interface NewAuditEntry {
  staffId: string;
  role: StaffRole;
  action: string;
  dropId?: string | null;
  orderId?: string | null;
  exceptionId?: number | null;
  reasonCode?: string | null;
  reason?: string | null;
  requestId: string;
}

/** Writes the entry as `pending` (before the action runs); returns its id. */
export async function insertAuditEntry(db: Q, e: NewAuditEntry): Promise<string> {
  const row = await db
    .insertInto('audit_log')
    .values({
      actor_staff_id: e.staffId,
      actor_role: e.role,
      action: e.action,
      drop_id: e.dropId ?? null,
      order_id: e.orderId ?? null,
      exception_id: e.exceptionId === undefined || e.exceptionId === null ? null : String(e.exceptionId),
      reason_code: e.reasonCode ?? null,
      reason: e.reason ?? null,
      request_id: e.requestId,
    })
    .returning('audit_id')
    .executeTakeFirstOrThrow();
  return String(row.audit_id);
}

/** Records how the action ended (once: a finished entry is not rewritten). */
export async function finishAuditEntry(db: Q, auditId: string, outcome: Exclude<AuditOutcome, 'pending'>, detail: string | null): Promise<void> {
  await db
    .updateTable('audit_log')
    .set({ outcome, outcome_detail: detail, finished_at: sql`now()` })
    .where('audit_id', '=', auditId)
    .where('outcome', '=', 'pending')
    .execute();
}

export interface AuditFilter {
  dropId?: string;
  orderId?: string;
  staffId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  /** Keyset: entries older than this id (the previous page's last). */
  beforeId?: string;
  limit: number;
}

/** Newest first, keyset-paged on the id. */
export async function listAuditEntries(db: Q, f: AuditFilter) {
  let q = db.selectFrom('audit_log').selectAll();
  if (f.dropId !== undefined) q = q.where('drop_id', '=', f.dropId);
  if (f.orderId !== undefined) q = q.where('order_id', '=', f.orderId);
  if (f.staffId !== undefined) q = q.where('actor_staff_id', '=', f.staffId);
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.from !== undefined) q = q.where('at', '>=', f.from);
  if (f.to !== undefined) q = q.where('at', '<', f.to);
  if (f.beforeId !== undefined) q = q.where('audit_id', '<', f.beforeId);
  return q.orderBy('audit_id', 'desc').limit(f.limit).execute();
}
