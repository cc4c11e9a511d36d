import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/** Telemetry: every phase transition and order state change, in order. */
export async function recordEvent(
  db: Kysely<Database>,
  e: { dropId: string; orderId?: string | null; kind: string; data?: Record<string, unknown> },
): Promise<void> {
  await db
    .insertInto('events')
    .values({ drop_id: e.dropId, order_id: e.orderId ?? null, kind: e.kind, data: JSON.stringify(e.data ?? {}) })
    .execute();
}

/** One order's events, oldest first (state changes are `order.state`; see recordOrderState). */
export async function listOrderEvents(db: Kysely<Database>, orderId: string, limit = 1000) {
  return db.selectFrom('events').selectAll().where('order_id', '=', orderId).orderBy('event_id').limit(limit).execute();
}
