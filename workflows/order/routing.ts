import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { OrderPatch } from '../../activities/order/order-activities';
import { presets } from '../options';
import type { OrderOutcome, OrderRun } from './order-run';

const { routeOrder, shipOrder } = proxyActivities<Activities>(presets.provider);
const { releaseOrderStock } = proxyActivities<Activities>(presets.database);

export type Route = Awaited<ReturnType<Activities['routeOrder']>>;

/**
 * Takes a unit at a node in the entrant's region with stock (`pickup`), or names the node a
 * carrier ships from (`ship`). The stock is taken either way, so its release is the undo.
 */
export async function routeToNode(order: OrderRun): Promise<Route> {
  const { orderId } = order.input;
  const route = await routeOrder({ orderId });
  order.saga.add('release stock', () => releaseOrderStock({ orderId }));
  return route;
}

/**
 * Ships the unit from `nodeId` by carrier (the activity falls back to a second carrier) and ends
 * the order `shipped`; the stock stays taken and the money captured. `patch` comes first in the
 * recorded row's patch, the label after it.
 */
export async function shipByCarrier(order: OrderRun, nodeId: string, reason: string, patch: OrderPatch): Promise<OrderOutcome> {
  const { orderId, region } = order.input;
  const label = await shipOrder({ orderId, nodeId, region });
  return await order.finish('shipped', reason, {
    ...patch,
    carrier: label.carrier,
    trackingNumber: label.trackingNumber,
    labelId: label.labelId,
  });
}
