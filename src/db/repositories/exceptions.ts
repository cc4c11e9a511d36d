import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema';

type Q = Kysely<Database>;

/**
 * Opens an exception for support once: per business event when it has a `dedupeKey` (a
 * dispute id, a webhook event id), else once per order and kind while one is open.
 */
export async function openException(
  db: Q,
  e: { dropId: string; orderId: string | null; kind: string; detail: string; slaMinutes: number; dedupeKey?: string },
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

export async function listOpenExceptions(db: Q, limit = 200) {
  return db.selectFrom('exceptions').selectAll().where('status', '=', 'open').orderBy('sla_deadline').limit(limit).execute();
}
