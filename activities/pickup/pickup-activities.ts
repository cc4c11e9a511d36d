import type { ActivityDeps } from '../deps';
import { failFastOnRejection } from '../provider-errors';

export function createPickupActivities({ lockers }: ActivityDeps) {
  return {
    /** Reserves a compartment until the pickup deadline; the locker issues the one-time claim code. */
    async reserveCompartment(input: { dropId: string; orderId: string; nodeId: string; expiresAt: number }) {
      return failFastOnRejection(() =>
        lockers.reserveCompartment({
          nodeId: input.nodeId,
          orderId: input.orderId,
          expiresAt: new Date(input.expiresAt).toISOString(),
          idempotencyKey: `drop:${input.dropId}:order:${input.orderId}:compartment:v1`,
        }),
      );
    },

    async releaseCompartment(input: { nodeId: string; reservationId: string }) {
      await failFastOnRejection(() => lockers.releaseCompartment(input));
    },
  };
}
