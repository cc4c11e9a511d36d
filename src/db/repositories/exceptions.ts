import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, ExceptionsTable } from '../schema';
import type { ExceptionKind } from '../../domain/support/exception-kinds';

type Q = Kysely<Database>;
export type ExceptionRow = Selectable<ExceptionsTable>;

/**
 * Opens an exception for support once: per business event when it has a `dedupeKey` (a
 * dispute id, a webhook event id), else once per order and kind while one is open. The kind
 * must be in the domain's table (src/domain/support/exception-kinds.ts), which says how it closes.
 */
export async function openException(
  db: Q,
  e: { dropId: string; orderId: string | null; kind: ExceptionKind; detail: string; slaMinutes: number; dedupeKey?: string },
): Promise<void> {
  if (e.dedupeKey) {
    await db
      .insertInto('exceptions')
      .values({
        drop_id: e.dropId,
        order_id: e.orderId,
        kind: e.kind,
        detail: e.detail,
        dedupe_key: e.dedupeKey,
        sla_deadline: sql<Date>`now() + make_interval(mins => ${e.slaMinutes})`,
      })
      .onConflict((oc) => oc.column('dedupe_key').where('dedupe_key', 'is not', null).doNothing())
      .execute();
    return;
  }
  const existing = await db
    .selectFrom('exceptions')
    .select('exception_id')
    .where('drop_id', '=', e.dropId)
    .where('order_id', e.orderId === null ? 'is' : '=', e.orderId)
    .where('kind', '=', e.kind)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (existing) return;
  await db
    .insertInto('exceptions')
    .values({
      drop_id: e.dropId,
      order_id: e.orderId,
      kind: e.kind,
      detail: e.detail,
      sla_deadline: sql<Date>`now() + make_interval(mins => ${e.slaMinutes})`,
    })
    .execute();
}

export async function resolveExceptionsForOrder(db: Q, orderId: string, resolution: string): Promise<void> {
  await db
    .updateTable('exceptions')
    .set({ status: 'resolved', resolution, resolved_at: sql`now()` })
    .where('order_id', '=', orderId)
    .where('status', '=', 'open')
    .execute();
}

export async function resolveExceptionByKey(db: Q, dedupeKey: string, resolution: string): Promise<void> {
  await db
    .updateTable('exceptions')
    .set({ status: 'resolved', resolution, resolved_at: sql`now()` })
    .where('dedupe_key', '=', dedupeKey)
    .where('status', '=', 'open')
    .execute();
}

/** The SLA deadline to the microsecond, as text Postgres reads back exactly (a JS Date keeps milliseconds only). */
const slaKey = sql<string>`to_char(sla_deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface ExceptionFilter {
  dropId?: string;
  kind?: string;
  status: 'open' | 'resolved' | 'all';
  /** true: past its SLA (open past the deadline, or resolved after it); false: within it. */
  overdue?: boolean;
  /** A staff id; null: nobody's. */
  assignee?: string | null;
  /** Keyset: rows after this (sla_deadline as `slaKey` text, exception id). */
  after?: { slaKey: string; exceptionId: number };
  limit: number;
}

/** The queue: nearest SLA deadline first, then the exception id; keyset-paged on both. */
export async function listExceptions(db: Q, f: ExceptionFilter) {
  let q = db.selectFrom('exceptions').selectAll().select(slaKey.as('sla_key'));
  if (f.status !== 'all') q = q.where('status', '=', f.status);
  if (f.dropId !== undefined) q = q.where('drop_id', '=', f.dropId);
  if (f.kind !== undefined) q = q.where('kind', '=', f.kind);
  if (f.overdue === true) q = q.where(sql<boolean>`sla_deadline < coalesce(resolved_at, now())`);
  if (f.overdue === false) q = q.where(sql<boolean>`sla_deadline >= coalesce(resolved_at, now())`);
  if (f.assignee === null) q = q.where('assigned_to', 'is', null);
  else if (f.assignee !== undefined) q = q.where('assigned_to', '=', f.assignee);
  if (f.after) q = q.where(sql<boolean>`(sla_deadline, exception_id) > (${f.after.slaKey}::timestamptz, ${f.after.exceptionId}::bigint)`);
  return q.orderBy('sla_deadline').orderBy('exception_id').limit(f.limit).execute();
}

export async function findException(db: Q, exceptionId: number): Promise<ExceptionRow | undefined> {
  return db.selectFrom('exceptions').selectAll().where('exception_id', '=', exceptionId).executeTakeFirst();
}

/** An order's exceptions, oldest first. */
export async function listOrderExceptions(db: Q, orderId: string): Promise<ExceptionRow[]> {
  return db.selectFrom('exceptions').selectAll().where('order_id', '=', orderId).orderBy('exception_id').execute();
}

/**
 * Assigns an open exception to `staffId`. `onlyIfFree`: only when nobody else has it (a claim
 * without force). Returns the updated row, or undefined when nothing changed (gone, resolved, taken).
 */
export async function assignException(db: Q, exceptionId: number, staffId: string, o: { onlyIfFree: boolean }): Promise<ExceptionRow | undefined> {
  let q = db
    .updateTable('exceptions')
    .set({ assigned_to: staffId, claimed_at: sql`now()` })
    .where('exception_id', '=', exceptionId)
    .where('status', '=', 'open')
    // Only to an active member, checked in the same statement as the write (a revoke may race it).
    .where(({ exists, selectFrom }) => exists(selectFrom('staff').select('staff_id').where('staff_id', '=', staffId).where('revoked_at', 'is', null)));
  if (o.onlyIfFree) q = q.where((eb) => eb.or([eb('assigned_to', 'is', null), eb('assigned_to', '=', staffId)]));
  return q.returningAll().executeTakeFirst();
}

/** Support closes an open exception; undefined when it is not open (any more). */
export async function resolveExceptionByStaff(
  db: Q,
  exceptionId: number,
  r: { staffId: string; resolution: string; reasonCode: string },
): Promise<ExceptionRow | undefined> {
  return db
    .updateTable('exceptions')
    .set({ status: 'resolved', resolution: r.resolution, resolved_at: sql`now()`, resolved_by: r.staffId, resolution_reason_code: r.reasonCode })
    .where('exception_id', '=', exceptionId)
    .where('status', '=', 'open')
    .returningAll()
    .executeTakeFirst();
}

/**
 * Escalates the open exceptions whose SLA deadline has passed, each exactly once however many
 * sweeps run at the same time: the UPDATE sets `escalated_at` only where it is still null (a row
 * another sweep is escalating is skipped, one it escalated no longer matches), and writes an
 * `exception.escalated` event per row in the same transaction. Returns the rows escalated now.
 */
export async function escalateOverdueExceptions(db: Q, limit: number): Promise<ExceptionRow[]> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<ExceptionRow>`
      UPDATE exceptions SET escalated_at = now()
      WHERE escalated_at IS NULL AND status = 'open' AND sla_deadline <= now()
        AND exception_id IN (
          SELECT exception_id FROM exceptions
          WHERE escalated_at IS NULL AND status = 'open' AND sla_deadline <= now()
          ORDER BY sla_deadline LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
      RETURNING *`.execute(trx);
    if (rows.length > 0) {
      await trx
        .insertInto('events')
        .values(
          rows.map((r) => ({
            drop_id: r.drop_id,
            order_id: r.order_id,
            kind: 'exception.escalated',
            data: JSON.stringify({ exceptionId: Number(r.exception_id), kind: r.kind, slaDeadline: new Date(r.sla_deadline).toISOString() }),
          })),
        )
        .execute();
    }
    return rows;
  });
}

/** The escalation outbox: escalated exceptions whose ops webhook has not been answered 2xx yet, oldest first. */
export async function listUnnotifiedEscalations(db: Q, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('exceptions')
    .select('exception_id')
    .where('escalated_at', 'is not', null)
    .where('escalation_notified_at', 'is', null)
    .orderBy('escalated_at')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.exception_id));
}

/** Marks the escalation's webhook as delivered; false when it was marked already. */
export async function markEscalationNotified(db: Q, exceptionId: number): Promise<boolean> {
  const r = await db
    .updateTable('exceptions')
    .set({ escalation_notified_at: sql`now()` })
    .where('exception_id', '=', exceptionId)
    .where('escalation_notified_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
