import { sql, type Kysely } from 'kysely';
import type { Database, NewOrder } from '../schema';
import { recordEvent } from './events';
import { enqueueNotifications } from './notifications';
import { orderIdFor } from '../../../workflows/definitions';

type Q = Kysely<Database>;

export interface Promotion {
  /** null: the waitlist ran out, the unit stays unsold. */
  entryId: string | null;
  region: string | null;
  orderId: string | null;
  position: number | null;
}

/**
 * Gives the unit of a lapsed or declined order to the next entrant on the published waitlist
 * (the ranking without its winners), in draw order. Exactly once per replaced order: a retry
 * returns the promotion it already made. The drop row is locked, so two promotions never pick
 * the same entrant. The new order row, its telemetry event and the entrant's message are written in the same transaction.
 * In a cancelled drop nobody is promoted: the cancellation locks the same row, so a promotion
 * either commits before it (and the cancellation then reaches its order) or promotes nobody.
 */
export async function promoteNext(
  db: Q,
  dropId: string,
  replacesOrderId: string,
  order: Omit<NewOrder, 'order_id' | 'entry_id' | 'region' | 'drop_id' | 'state' | 'state_seq'>,
): Promise<Promotion> {
  return db.transaction().execute(async (trx) => {
    const drop = await trx.selectFrom('drops').select(['waitlist_cursor', 'cancelled_at']).where('drop_id', '=', dropId).forUpdate().executeTakeFirstOrThrow();
    const done = await found(trx, dropId, replacesOrderId);
    if (done) return done;
    // A cancelled drop promotes nobody (and records no promotion): its units are not offered on.
    if (drop.cancelled_at !== null) return { entryId: null, region: null, orderId: null, position: null };

    const draw = await trx.selectFrom('draws').select(['chunk_size', 'chunks']).where('drop_id', '=', dropId).executeTakeFirstOrThrow();
    let cursor = drop.waitlist_cursor;
    let next: { entryId: string; position: number } | null = null;
    while (!next && cursor < draw.chunk_size * draw.chunks) {
      const chunk = Math.floor(cursor / draw.chunk_size);
      // The first entry at or after the cursor that neither won nor was promoted already.
      const row = await sql<{ entry_id: string; position: number }>`
        SELECT x.entry_id, ${chunk * draw.chunk_size}::int + x.i::int - 1 AS position
        FROM draw_ranking_chunks c,
             unnest(string_to_array(c.entry_ids, E'\\n')) WITH ORDINALITY AS x(entry_id, i)
        WHERE c.drop_id = ${dropId} AND c.chunk = ${chunk}
          AND ${chunk * draw.chunk_size}::int + x.i::int - 1 >= ${cursor}
          AND NOT EXISTS (SELECT 1 FROM draw_winners w WHERE w.drop_id = ${dropId} AND w.entry_id = x.entry_id)
          AND NOT EXISTS (SELECT 1 FROM promotions p WHERE p.drop_id = ${dropId} AND p.entry_id = x.entry_id)
        ORDER BY x.i
        LIMIT 1`.execute(trx);
      const hit = row.rows[0];
      if (hit) next = { entryId: hit.entry_id, position: Number(hit.position) };
      else cursor = (chunk + 1) * draw.chunk_size;
    }

    if (!next) {
      await trx.insertInto('promotions').values({ drop_id: dropId, replaces_order_id: replacesOrderId, entry_id: null, ranking_position: null }).execute();
      await trx.updateTable('drops').set({ waitlist_cursor: cursor }).where('drop_id', '=', dropId).execute();
      return { entryId: null, region: null, orderId: null, position: null };
    }
    const entry = await trx.selectFrom('entries').select('region').where('drop_id', '=', dropId).where('entry_id', '=', next.entryId).executeTakeFirstOrThrow();
    await trx
      .insertInto('promotions')
      .values({ drop_id: dropId, replaces_order_id: replacesOrderId, entry_id: next.entryId, ranking_position: next.position })
      .execute();
    await trx
      .updateTable('drops')
      .set({ waitlist_cursor: next.position + 1 })
      .where('drop_id', '=', dropId)
      .execute();
    await trx
      .insertInto('orders')
      .values({
        ...order,
        order_id: orderIdFor(next.entryId),
        drop_id: dropId,
        entry_id: next.entryId,
        region: entry.region,
        state: 'created',
        state_seq: 0,
        promoted_from_order_id: replacesOrderId,
      })
      .onConflict((oc) => oc.column('order_id').doNothing())
      .execute();
    await recordEvent(trx, {
      dropId,
      orderId: orderIdFor(next.entryId),
      kind: 'order.promoted',
      data: { replaces: replacesOrderId, rankingPosition: next.position },
    });
    await enqueueNotifications(trx, [
      { kind: 'promoted', dropId, entryId: next.entryId, orderId: orderIdFor(next.entryId), data: { rankingPosition: next.position } },
    ]);
    return { entryId: next.entryId, region: entry.region, orderId: orderIdFor(next.entryId), position: next.position };
  });
}

async function found(db: Q, dropId: string, replacesOrderId: string): Promise<Promotion | null> {
  const row = await db
    .selectFrom('promotions as p')
    .leftJoin('entries as e', (j) => j.onRef('e.drop_id', '=', 'p.drop_id').onRef('e.entry_id', '=', 'p.entry_id'))
    .select(['p.entry_id', 'p.ranking_position', 'e.region'])
    .where('p.drop_id', '=', dropId)
    .where('p.replaces_order_id', '=', replacesOrderId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    entryId: row.entry_id,
    region: row.region ?? null,
    orderId: row.entry_id ? orderIdFor(row.entry_id) : null,
    position: row.ranking_position,
  };
}
