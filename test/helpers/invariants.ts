import { sql } from 'kysely';
import type { Stack } from '../../src/devstack/stack';
import { FINAL_ORDER_STATES } from '../../workflows/definitions';

/**
 * What must hold for a drop once its orders settled, whatever failed on the way. Returns the
 * violations (empty when all hold), checked against our Postgres and the simulators' own state.
 */
export async function checkOrderInvariants(stack: Pick<Stack, 'db' | 'simulator'>, dropId: string): Promise<string[]> {
  const problems: string[] = [];
  const { db, simulator } = stack;
  const orders = await db.selectFrom('orders').selectAll().where('drop_id', '=', dropId).execute();
  const byId = new Map(orders.map((o) => [o.order_id, o]));

  // Every winner has exactly one order, and every order is in exactly one final state.
  const winnersWithoutOrder = await sql<{ entry_id: string }>`
    SELECT w.entry_id FROM draw_winners w
    WHERE w.drop_id = ${dropId} AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.drop_id = w.drop_id AND o.entry_id = w.entry_id)`.execute(db);
  if (winnersWithoutOrder.rows.length > 0) problems.push(`${winnersWithoutOrder.rows.length} winners have no order`);
  const notFinal = orders.filter((o) => !FINAL_ORDER_STATES.includes(o.state));
  if (notFinal.length > 0)
    problems.push(
      `${notFinal.length} orders not final: ${notFinal
        .slice(0, 5)
        .map((o) => `${o.order_id}=${o.state}`)
        .join(', ')}`,
    );

  // Each lapsed or declined unit was offered on exactly once.
  const released = orders.filter(
    (o) =>
      ((o.state === 'unpaid' || o.state === 'declined') && !o.final_reason?.startsWith('compensated_after_failure')) || o.final_reason === 'paid_after_window',
  );
  const promotions = await db.selectFrom('promotions').selectAll().where('drop_id', '=', dropId).execute();
  if (promotions.length !== released.length) problems.push(`${released.length} units released but ${promotions.length} promotions`);
  const promotedOrders = orders.filter((o) => o.promoted_from_order_id !== null);
  if (promotedOrders.length !== promotions.filter((p) => p.entry_id !== null).length) {
    problems.push(`${promotedOrders.length} promoted orders for ${promotions.length} promotions`);
  }

  // The provider's side: one payment intent per order, at most one charge.
  const intents = [...simulator.payments.intents.values()].filter((i) => i.metadata.drop_id === dropId);
  const intentsPerOrder = new Map<string, number>();
  const chargesPerOrder = new Map<string, number>();
  for (const i of intents) {
    intentsPerOrder.set(i.metadata.order_id!, (intentsPerOrder.get(i.metadata.order_id!) ?? 0) + 1);
    if (i.amountReceived > 0) chargesPerOrder.set(i.metadata.order_id!, (chargesPerOrder.get(i.metadata.order_id!) ?? 0) + 1);
  }
  const manyIntents = [...intentsPerOrder].filter(([, n]) => n > 1);
  if (manyIntents.length > 0) problems.push(`${manyIntents.length} orders have more than one payment intent`);
  const doubleCharged = [...chargesPerOrder].filter(([, n]) => n > 1);
  if (doubleCharged.length > 0) problems.push(`${doubleCharged.length} orders charged twice`);
  for (const i of intents) {
    const o = byId.get(i.metadata.order_id!);
    if (!o) problems.push(`intent ${i.id} names no order of the drop`);
  }

  // Stock: what left each node is exactly what its orders hold (picked up or shipped).
  const nodes = await db.selectFrom('nodes').selectAll().where('drop_id', '=', dropId).execute();
  for (const n of nodes) {
    const holding = orders.filter((o) => o.stock_held && o.node_id === n.node_id);
    if (n.stock_total - n.stock_remaining !== holding.length) {
      problems.push(`node ${n.node_id}: ${n.stock_total - n.stock_remaining} units gone but ${holding.length} orders hold one`);
    }
    const wrong = holding.filter((o) => o.state !== 'picked_up' && o.state !== 'shipped');
    if (wrong.length > 0) problems.push(`node ${n.node_id}: ${wrong.length} ${wrong[0]!.state} orders still hold stock`);
  }

  // Carriers: a shipped order's label is live; any other live label of an order (bought by a
  // request that landed after we gave up on it) was voided by the sweep or handed to support.
  const labels = [...simulator.carriers.values()].flatMap((c) => [...c.labels.values()]).filter((l) => !l.voided && byId.has(l.orderId));
  const flagged = new Set(
    (await db.selectFrom('exceptions').select('dedupe_key').where('drop_id', '=', dropId).where('kind', '=', 'stray_label').execute()).map((e) => e.dedupe_key),
  );
  for (const o of orders) {
    const live = labels.filter((l) => l.orderId === o.order_id);
    if (o.state === 'shipped' && !live.some((l) => l.labelId === o.label_id)) problems.push(`${o.order_id} shipped without a live label`);
    const strays = live.filter((l) => l.labelId !== o.label_id || o.state !== 'shipped');
    const unflagged = strays.filter((l) => !flagged.has(`stray-label:${l.carrier}:${l.labelId}`));
    if (unflagged.length > 0) problems.push(`${o.order_id} (${o.state}) has ${unflagged.length} stray live labels nobody was told about`);
  }

  // Lockers: no compartment left reserved for a settled order.
  const held = [...simulator.lockers.reservations.values()].filter((r) => byId.has(r.orderId) && r.status === 'reserved');
  if (held.length > 0) problems.push(`${held.length} compartments still reserved`);

  // The ledger: every posting sums to zero, and no money movement is posted twice.
  const unbalanced = await sql<{ n: string }>`
    SELECT count(*) AS n FROM (SELECT p.posting_id FROM ledger_postings p JOIN ledger_lines l USING (posting_id)
      WHERE p.drop_id = ${dropId} GROUP BY p.posting_id HAVING sum(l.amount_cents) <> 0) x`.execute(db);
  if (Number(unbalanced.rows[0]!.n) > 0) problems.push(`${unbalanced.rows[0]!.n} unbalanced postings`);
  const twice = await sql<{ n: string }>`
    SELECT count(*) AS n FROM (SELECT order_id, kind FROM ledger_postings WHERE drop_id = ${dropId} GROUP BY 1, 2 HAVING count(*) > 1) x`.execute(db);
  if (Number(twice.rows[0]!.n) > 0) problems.push(`${twice.rows[0]!.n} money movements posted twice`);
  return problems;
}
