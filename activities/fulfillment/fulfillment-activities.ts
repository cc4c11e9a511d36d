import { ApplicationFailure } from '@temporalio/common';
import { releaseStock, reserveStock } from '../../src/db/repositories/orders';
import type { ShippingLabel } from '../../src/integrations/providers';
import type { ActivityDeps } from '../deps';

export function createFulfillmentActivities({ db, carriers }: ActivityDeps) {
  return {
    /** Takes a unit from a node in the entrant's region, else from the fullest node to ship. */
    async routeOrder(input: { orderId: string }) {
      const route = await reserveStock(db, input.orderId);
      if (!route) throw ApplicationFailure.nonRetryable(`no stock left for ${input.orderId}`, 'OutOfStock');
      return route;
    },

    async releaseOrderStock(input: { orderId: string }) {
      await releaseStock(db, input.orderId);
    },

    /**
     * Buys a label, checking first (label purchase has no idempotency key), and falls back to
     * the next carrier when one fails.
     */
    async shipOrder(input: { orderId: string; nodeId: string; region: string }): Promise<ShippingLabel> {
      const failures: string[] = [];
      for (const carrier of carriers) {
        try {
          const existing = await carrier.findLabel(input.orderId);
          if (existing) return existing;
          return await carrier.purchaseLabel({ orderId: input.orderId, fromNodeId: input.nodeId, toRegion: input.region });
        } catch (err) {
          failures.push(`${carrier.carrierId}: ${(err as Error).message}`);
        }
      }
      throw new Error(`every carrier failed: ${failures.join('; ')}`);
    },

    async voidLabel(input: { carrier: string; labelId: string }) {
      const carrier = carriers.find((c) => c.carrierId === input.carrier);
      if (!carrier) throw ApplicationFailure.nonRetryable(`unknown carrier ${input.carrier}`, 'UnknownCarrier');
      await carrier.voidLabel(input.labelId);
    },
  };
}
