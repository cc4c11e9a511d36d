import { ApplicationFailure } from '@temporalio/common';
import { forgetCarrierTried, markCarrierTried, carriersTried, releaseStock, reserveStock } from '../../src/db/repositories/orders';
import { ProviderRejectedError, ProviderUnavailableError, type ShippingLabel } from '../../src/integrations/providers';
import type { ActivityDeps } from '../deps';

export function createFulfillmentActivities({ db, carriers }: ActivityDeps) {
  const carrierById = (id: string) => carriers.find((c) => c.carrierId === id);

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
     * Buys one label for the order, never two. Label purchase has no idempotency key, so:
     * every carrier we may already have bought from is asked first (check before buy); a
     * carrier is written down as tried before we buy from it, and crossed off again only when
     * it certainly did not sell (an outage or a refusal). A purchase that failed in an unknown
     * way (timeout, 500, cut connection) is checked with that carrier before we move on; if it
     * cannot be checked, the activity retries rather than risk a second label elsewhere.
     */
    async shipOrder(input: { orderId: string; nodeId: string; region: string }): Promise<ShippingLabel> {
      for (const id of await carriersTried(db, input.orderId)) {
        const carrier = carrierById(id);
        if (!carrier) throw ApplicationFailure.nonRetryable(`unknown carrier ${id}`, 'UnknownCarrier');
        const existing = await carrier.findLabel(input.orderId);
        if (existing) return existing;
      }
      const failures: string[] = [];
      for (const carrier of carriers) {
        await markCarrierTried(db, input.orderId, carrier.carrierId);
        try {
          return await carrier.purchaseLabel({ orderId: input.orderId, fromNodeId: input.nodeId, toRegion: input.region });
        } catch (err) {
          failures.push(`${carrier.carrierId}: ${(err as Error).message}`);
          if (err instanceof ProviderUnavailableError || err instanceof ProviderRejectedError) {
            await forgetCarrierTried(db, input.orderId, carrier.carrierId);
            continue;
          }
          // Unknown outcome: did it sell? Ask; if it cannot tell us, retry the activity later.
          const existing = await carrier.findLabel(input.orderId);
          if (existing) return existing;
          await forgetCarrierTried(db, input.orderId, carrier.carrierId);
        }
      }
      throw new Error(`every carrier failed: ${failures.join('; ')}`);
    },

    async voidLabel(input: { carrier: string; labelId: string }) {
      const carrier = carrierById(input.carrier);
      if (!carrier) throw ApplicationFailure.nonRetryable(`unknown carrier ${input.carrier}`, 'UnknownCarrier');
      await carrier.voidLabel(input.labelId);
    },
  };
}
