import { sql, type Kysely } from 'kysely';
import { FINAL_ORDER_STATES } from '../../domain/order/order-states';
import { chooseRoute, type Route } from '../../domain/routing';
import type { Database, NewOrder, OrderRow, OrderState, OrdersTable } from '../schema';
import type { Updateable } from 'kysely';
import { enqueueNotifications } from './notifications';

type Q = Kysely<Database>;

export async function insertOrders(db: Q, orders: NewOrder[]): Promise<void> {
  if (orders.length === 0) return;
  await db
    .insertInto('orders')
    .values(orders)
    .onConflict((oc) => oc.column('order_id').doNothing())
    .execute();
}

export async function findOrder(db: Q, orderId: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

export async function findOrderOrThrow(db: Q, orderId: string): Promise<OrderRow> {
  return db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
}

export async function findOrderByLabel(db: Q, labelId: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('label_id', '=', labelId).executeTakeFirst();
}

export async function findOrderByEntry(db: Q, dropId: string, entryId: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('drop_id', '=', dropId).where('entry_id', '=', entryId).executeTakeFirst();
}

export async function findOrderByPaymentIntent(db: Q, paymentIntentId: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('payment_intent_id', '=', paymentIntentId).executeTakeFirst();
}

export async function findOrderByReservation(db: Q, reservationId: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('compartment_reservation_id', '=', reservationId).executeTakeFirst();
}

/**
 * Moves an order to a later step. `seq` only grows, so a retried or late write of an earlier
 * step changes nothing. Returns whether the row changed.
 */
export async function advanceOrder(
  db: Q,
  orderId: string,
  seq: number,
  state: OrderState,
  patch: Omit<Updateable<OrdersTable>, 'order_id' | 'state' | 'state_seq'> = {},
): Promise<boolean> {
  const res = await db
    .updateTable('orders')
    .set({ ...patch, state, state_seq: seq, updated_at: sql`now()` })
    .where('order_id', '=', orderId)
    .where('state_seq', '<', seq)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * Keeps the order's pay link (a bearer secret: it lets anyone pay, and Stripe's carries the
 * intent's client secret) for the entrant's status page. Written by the activity that made the
 * intent, so the link never travels through workflow history.
 */
export async function savePayLink(db: Q, orderId: string, payLink: string): Promise<void> {
  await db.updateTable('orders').set({ pay_link: payLink }).where('order_id', '=', orderId).execute();
}

/**
 * Records that the order has refunded `totalCents` so far (a retried write, or a late one
 * carrying a smaller total, never lowers it).
 */
export async function recordRefundedCents(db: Q, orderId: string, totalCents: number): Promise<void> {
  await db
    .updateTable('orders')
    .set((eb) => ({ refunded_cents: sql<number>`greatest(${eb.ref('refunded_cents')}, ${totalCents})` }))
    .where('order_id', '=', orderId)
    .execute();
}

/** How many of the drop's orders are in each state. */
export async function countOrdersByState(db: Q, dropId: string) {
  return db
    .selectFrom('orders')
    .select(['state', (eb) => eb.fn.countAll<string>().as('n')])
    .where('drop_id', '=', dropId)
    .groupBy('state')
    .execute();
}

export async function countUnsettledOrders(db: Q, dropId: string): Promise<number> {
  const row = await db
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('drop_id', '=', dropId)
    .where('state', 'not in', FINAL_ORDER_STATES)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Takes one unit of stock for the order, once: the order row is locked, so a retried activity
 * sees the unit it already holds and no unit is ever promised twice. The entrant's `routed`
 * message is written in the same transaction.
 */
export async function reserveStock(db: Q, orderId: string): Promise<Route> {
  return db.transaction().execute(async (trx) => {
    const order = await trx.selectFrom('orders').selectAll().where('order_id', '=', orderId).forUpdate().executeTakeFirstOrThrow();
    if (order.stock_held && order.node_id && order.fulfillment) return { fulfillment: order.fulfillment, nodeId: order.node_id };
    const nodes = await trx.selectFrom('nodes').select(['node_id', 'region', 'stock_remaining']).where('drop_id', '=', order.drop_id).forUpdate().execute();
    const route = chooseRoute(
      nodes.map((n) => ({ nodeId: n.node_id, region: n.region, stockRemaining: n.stock_remaining })),
      order.region,
    );
    if (!route) return null;
    await trx
      .updateTable('nodes')
      .set((eb) => ({ stock_remaining: eb('stock_remaining', '-', 1) }))
      .where('drop_id', '=', order.drop_id)
      .where('node_id', '=', route.nodeId)
      .execute();
    await trx.updateTable('orders').set({ node_id: route.nodeId, fulfillment: route.fulfillment, stock_held: true }).where('order_id', '=', orderId).execute();
    // Told once per node it is routed to (a reship to the same node tells nothing new).
    await enqueueNotifications(trx, [
      {
        kind: 'routed',
        dropId: order.drop_id,
        entryId: order.entry_id,
        orderId,
        n: route.nodeId,
        data: { nodeId: route.nodeId, fulfillment: route.fulfillment },
      },
    ]);
    return route;
  });
}

/** Gives the order's unit back to its node, once. */
export async function releaseStock(db: Q, orderId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const order = await trx.selectFrom('orders').selectAll().where('order_id', '=', orderId).forUpdate().executeTakeFirstOrThrow();
    if (!order.stock_held || !order.node_id) return;
    await trx
      .updateTable('nodes')
      .set((eb) => ({ stock_remaining: eb('stock_remaining', '+', 1) }))
      .where('drop_id', '=', order.drop_id)
      .where('node_id', '=', order.node_id)
      .execute();
    await trx.updateTable('orders').set({ stock_held: false }).where('order_id', '=', orderId).execute();
  });
}

/** Carriers a label may have been bought from for this order (see shipOrder). */
export async function carriersTried(db: Q, orderId: string): Promise<string[]> {
  const row = await db.selectFrom('orders').select('label_carriers_tried').where('order_id', '=', orderId).executeTakeFirstOrThrow();
  return row.label_carriers_tried;
}

export async function markCarrierTried(db: Q, orderId: string, carrierId: string): Promise<void> {
  await sql`UPDATE orders SET label_carriers_tried = array_append(label_carriers_tried, ${carrierId}::text)
    WHERE order_id = ${orderId} AND NOT (${carrierId}::text = ANY(label_carriers_tried))`.execute(db);
}

export async function forgetCarrierTried(db: Q, orderId: string, carrierId: string): Promise<void> {
  await sql`UPDATE orders SET label_carriers_tried = array_remove(label_carriers_tried, ${carrierId}::text) WHERE order_id = ${orderId}`.execute(db);
}

const TRACKING_ORDER = ['label_created', 'in_transit', 'delivered'] as const;

/** Moves an order's tracking forward only: a late "in transit" after "delivered" changes nothing. */
export async function advanceTracking(db: Q, labelId: string, status: (typeof TRACKING_ORDER)[number]): Promise<OrderRow | undefined> {
  const rank = TRACKING_ORDER.indexOf(status);
  const earlier = TRACKING_ORDER.slice(0, rank);
  return db
    .updateTable('orders')
    .set({ tracking_status: status, updated_at: sql`now()` })
    .where('label_id', '=', labelId)
    .where((eb) => (earlier.length > 0 ? eb.or([eb('tracking_status', 'is', null), eb('tracking_status', 'in', earlier)]) : eb('tracking_status', 'is', null)))
    .returningAll()
    .executeTakeFirst();
}

/** Orders of a drop that asked a carrier for a label, a page at a time (the stray-label sweep). */
export async function listOrdersWithLabelRequests(db: Q, dropId: string, afterOrderId: string, limit: number) {
  return db
    .selectFrom('orders')
    .select(['order_id', 'label_id', 'label_carriers_tried'])
    .where('drop_id', '=', dropId)
    .where('order_id', '>', afterOrderId)
    .where(sql<boolean>`cardinality(label_carriers_tried) > 0`)
    .orderBy('order_id')
    .limit(limit)
    .execute();
}

/** Orders of the drop not yet final, a page at a time in order id order (after `afterOrderId`). */
export async function listOpenOrders(db: Q, dropId: string, afterOrderId: string, limit: number): Promise<Array<{ order_id: string; entry_id: string }>> {
  return db
    .selectFrom('orders')
    .select(['order_id', 'entry_id'])
    .where('drop_id', '=', dropId)
    .where('state', 'not in', FINAL_ORDER_STATES)
    .where('order_id', '>', afterOrderId)
    .orderBy('order_id')
    .limit(limit)
    .execute();
}
