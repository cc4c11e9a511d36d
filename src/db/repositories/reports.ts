import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema';

export async function saveReport(db: Kysely<Database>, r: { dropId: string; report: unknown; markdown: string; html: string }): Promise<void> {
  const values = { drop_id: r.dropId, report: JSON.stringify(r.report), markdown: r.markdown, html: r.html };
  await db
    .insertInto('reports')
    .values(values)
    .onConflict((oc) => oc.column('drop_id').doUpdateSet({ report: values.report, markdown: values.markdown, html: values.html }))
    .execute();
}

export async function findReport(db: Kysely<Database>, dropId: string) {
  return db.selectFrom('reports').selectAll().where('drop_id', '=', dropId).executeTakeFirst();
}

/**
 * The post-mortem's raw figures for one drop: entrants and winners drawn, orders per state and
 * per node, median seconds to pay and to pick up, the money through `clearingAccount` per
 * posting kind (cents), exceptions opened and still open, promoted orders, cancelled orders that had been paid.
 */
export async function readReportFigures(db: Kysely<Database>, dropId: string, clearingAccount: string) {
  const entryCounts = await sql<{ entrants: string; drawn: string }>`
      SELECT (SELECT count(*) FROM entries WHERE drop_id = ${dropId}) AS entrants,
             (SELECT count(*) FROM draw_winners WHERE drop_id = ${dropId}) AS drawn`.execute(db);
  const orderCounts = await sql<{ state: string; n: string }>`
      SELECT state, count(*) AS n FROM orders WHERE drop_id = ${dropId} GROUP BY state`.execute(db);
  const perNode = await sql<{ node_id: string; picked_up: string; shipped: string; refunded_pickups: string }>`
      SELECT node_id, count(*) FILTER (WHERE state = 'picked_up') AS picked_up,
             count(*) FILTER (WHERE state = 'shipped') AS shipped,
             count(*) FILTER (WHERE state = 'refunded' AND fulfillment = 'pickup') AS refunded_pickups
      FROM orders WHERE drop_id = ${dropId} AND node_id IS NOT NULL GROUP BY node_id`.execute(db);
  const timings = await sql<{ to_pay: number | null; to_pickup: number | null }>`
      WITH t AS (
        SELECT order_id,
          min(at) FILTER (WHERE data->>'state' = 'awaiting_payment') AS offered,
          min(at) FILTER (WHERE data->>'state' = 'paid') AS paid,
          min(at) FILTER (WHERE data->>'state' = 'awaiting_pickup') AS ready,
          min(at) FILTER (WHERE data->>'state' = 'picked_up') AS picked
        FROM events WHERE drop_id = ${dropId} AND kind = 'order.state' GROUP BY order_id)
      SELECT
        round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM paid - offered))::numeric, 1)::float AS to_pay,
        round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM picked - ready))::numeric, 1)::float AS to_pickup
      FROM t`.execute(db);
  const money = await sql<{ kind: string; total: string }>`
      SELECT p.kind, sum(l.amount_cents) AS total FROM ledger_postings p
      JOIN ledger_lines l ON l.posting_id = p.posting_id
      WHERE p.drop_id = ${dropId} AND l.account = ${clearingAccount} GROUP BY p.kind`.execute(db);
  const exceptions = await sql<{ opened: string; open: string }>`
      SELECT count(*) AS opened, count(*) FILTER (WHERE status = 'open') AS open
      FROM exceptions WHERE drop_id = ${dropId}`.execute(db);
  const promoted = await db
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('drop_id', '=', dropId)
    .where('promoted_from_order_id', 'is not', null)
    .executeTakeFirstOrThrow();
  // Cancelled orders that had been paid (their money went back): they count among the paid.
  const cancelledPaid = await sql<{ n: string }>`
      SELECT count(DISTINCT o.order_id) AS n FROM orders o
      JOIN events e ON e.order_id = o.order_id AND e.kind = 'order.state' AND e.data->>'state' = 'paid'
      WHERE o.drop_id = ${dropId} AND o.state = 'cancelled'`.execute(db);
  return { entryCounts, orderCounts, perNode, timings, money, exceptions, promoted, cancelledPaid: Number(cancelledPaid.rows[0]?.n ?? 0) };
}
