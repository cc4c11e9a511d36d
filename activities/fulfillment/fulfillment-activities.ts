import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { openException } from '../../src/db/repositories/exceptions';
import { exceptionKeys } from '../../src/domain/idempotency-keys';
import { recordEvent } from '../../src/db/repositories/events';
import {
  carriersTried,
  findOrderOrThrow,
  forgetCarrierTried,
  listOrdersWithLabelRequests,
  markCarrierTried,
  releaseStock,
  reserveStock,
} from '../../src/db/repositories/orders';
import { ProviderRejectedError, ProviderUnavailableError, type ShippingLabel } from '../../src/integrations/providers';
import type { ActivityDeps } from '../deps';
import { askAgainOnTransientFailure } from '../provider-errors';

const STRAY_LABEL_SLA_MINUTES = 24 * 60;

export function createFulfillmentActivities({ db, carriers }: ActivityDeps) {
  const carrierById = (id: string) => {
    const carrier = carriers.find((c) => c.carrierId === id);
    if (!carrier) throw ApplicationFailure.nonRetryable(`unknown carrier ${id}`, 'UnknownCarrier');
    return carrier;
  };

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
     * Buys one label for the order. Label purchase has no idempotency key, so: every carrier
     * already asked is checked first (check before buy); a carrier is written down before it is
     * asked and never asked to sell twice; it is crossed off only when it certainly did not sell
     * (an outage or a refusal). After an unknown outcome (timeout, 500, cut connection) the
     * activity fails and its retry, a backoff later, checks that carrier before going to the
     * next one, so a slow request has time to land first. What still slips through (a request
     * landing later than that) is caught by the drop's stray-label sweep.
     */
    async shipOrder(input: { orderId: string; nodeId: string; region: string }): Promise<ShippingLabel> {
      const tried = await carriersTried(db, input.orderId);
      // The label's metadata names the order and its drop, so tracking that overtakes our own
      // write of the label id still finds the order (src/services/provider-events/webhooks.ts).
      const { drop_id: dropId } = await findOrderOrThrow(db, input.orderId);
      for (const id of tried) {
        const existing = await carrierById(id).findLabel(input.orderId);
        if (existing) return existing;
      }
      const failures: string[] = [];
      for (const carrier of carriers) {
        if (tried.includes(carrier.carrierId)) continue;
        await markCarrierTried(db, input.orderId, carrier.carrierId);
        try {
          return await carrier.purchaseLabel({ dropId, orderId: input.orderId, fromNodeId: input.nodeId, toRegion: input.region });
        } catch (err) {
          if (err instanceof ProviderUnavailableError || err instanceof ProviderRejectedError) {
            await forgetCarrierTried(db, input.orderId, carrier.carrierId);
            failures.push(`${carrier.carrierId}: ${err.message}`);
            continue;
          }
          throw new Error(`label purchase at ${carrier.carrierId} ended unknown (${(err as Error).message}); checking it again before another carrier`, {
            cause: err,
          });
        }
      }
      throw new Error(`no carrier sold a label: ${failures.join('; ') || 'every carrier was asked already'}`);
    },

    async voidLabel(input: { carrier: string; labelId: string }) {
      await carrierById(input.carrier).voidLabel(input.labelId);
    },

    /**
     * Once every order of the drop is final: any live label that is not its order's label (a
     * purchase that landed after we had given up on it) is voided; one the carrier will not void
     * any more becomes an exception for support (a label refund to claim). Resumes from its
     * heartbeat.
     */
    async voidStrayLabels(input: { dropId: string }) {
      let after = (Context.current().info.heartbeatDetails as { after: string } | undefined)?.after ?? '';
      let voided = 0;
      let flagged = 0;
      /** Hands a label we cannot settle to support (a refund to claim); one exception per key. */
      const flagStrayLabel = async (orderId: string, detail: string, dedupeKey: string) => {
        flagged += 1;
        await openException(db, { dropId: input.dropId, orderId, kind: 'stray_label', detail, slaMinutes: STRAY_LABEL_SLA_MINUTES, dedupeKey });
      };
      for (;;) {
        const page = await listOrdersWithLabelRequests(db, input.dropId, after, 50);
        if (page.length === 0) break;
        for (const order of page) {
          for (const carrierId of order.label_carriers_tried) {
            const carrier = carrierById(carrierId);
            let labels: Awaited<ReturnType<typeof carrier.listLabels>>;
            try {
              labels = await askAgainOnTransientFailure(() => carrier.listLabels(order.order_id));
            } catch (err) {
              // A carrier that refuses to list an order's labels must not fail the drop: support checks it.
              if (!(err instanceof ProviderRejectedError)) throw err;
              await flagStrayLabel(
                order.order_id,
                `${carrierId} would not list this order's labels (${err.message}); check for a label bought twice and claim its refund`,
                `stray-label-check:${carrierId}:${order.order_id}`,
              );
              continue;
            }
            for (const label of labels) {
              if (label.labelId === order.label_id) continue;
              try {
                await askAgainOnTransientFailure(() => carrier.voidLabel(label.labelId));
                voided += 1;
                await recordEvent(db, {
                  dropId: input.dropId,
                  orderId: order.order_id,
                  kind: 'order.stray_label_voided',
                  data: { carrier: carrierId, labelId: label.labelId },
                });
              } catch (err) {
                if (!(err instanceof ProviderRejectedError)) throw err;
                await flagStrayLabel(
                  order.order_id,
                  `${carrierId} label ${label.labelId} was bought twice for this order and cannot be voided (${err.message}); claim its refund`,
                  exceptionKeys.strayLabel(carrierId, label.labelId),
                );
              }
            }
          }
          // Progress per order: a retry of the activity starts after the last order swept.
          after = order.order_id;
          heartbeat({ after });
        }
      }
      return { voided, flagged };
    },
  };
}
