import { issueClaimCode } from '../../src/domain/claim-code';
import { ProviderRejectedError } from '../../src/integrations/providers';
import { orderKeys } from '../../src/domain/idempotency-keys';
import type { ActivityDeps } from '../deps';
import { failFastOnRejection } from '../provider-errors';

export function createPickupActivities({ lockers, claimSecret }: ActivityDeps) {
  return {
    /**
     * Reserves a compartment until the pickup deadline, opened by a claim code we sign (bound to
     * the order, the node and the deadline). The same inputs give the same code, so a retry
     * sends the locker exactly what the first attempt did. The code is a bearer secret: it goes
     * to the locker only and is not returned (it would enter workflow history); the API derives
     * it again for the entrant from the order's node, pickup deadline and claim code version.
     * `claimCodeVersion` (absent: 0) is set when support replaced the code: a new reservation
     * under a key of its own, for a code that differs from every earlier one.
     */
    async reserveCompartment(input: { dropId: string; orderId: string; nodeId: string; expiresAt: number; claimCodeVersion?: number }) {
      const version = input.claimCodeVersion ?? 0;
      const claimCode = issueClaimCode(claimSecret, { orderId: input.orderId, nodeId: input.nodeId, expiresAt: input.expiresAt, version });
      const reservation = await failFastOnRejection(() =>
        lockers.reserveCompartment({
          dropId: input.dropId,
          nodeId: input.nodeId,
          orderId: input.orderId,
          expiresAt: new Date(input.expiresAt).toISOString(),
          claimCode,
          idempotencyKey:
            version === 0 ? orderKeys.compartment(input.dropId, input.orderId) : orderKeys.compartmentForCode(input.dropId, input.orderId, version),
        }),
      );
      return reservation;
    },

    async releaseCompartment(input: { nodeId: string; reservationId: string }) {
      await failFastOnRejection(async () => {
        try {
          await lockers.releaseCompartment(input);
        } catch (err) {
          // The locker has no such reservation: nothing is held, so this undo is done. (Where it
          // matters whether the unit left, releaseCompartmentUnlessPickedUp still refuses.)
          if (err instanceof ProviderRejectedError && err.status === 404) return;
          throw err;
        }
      });
    },

    /**
     * Frees the compartment and says whether the entrant had already opened it (the locker's
     * word, not our webhooks'): once released its door no longer opens, so the answer is final.
     * `{ pickedUp: true }` means the unit left the node and must not go back into stock.
     */
    async releaseCompartmentUnlessPickedUp(input: { nodeId: string; reservationId: string }): Promise<{ pickedUp: boolean }> {
      const { pickedUp } = await failFastOnRejection(() => lockers.releaseCompartment(input));
      return { pickedUp };
    },
  };
}
