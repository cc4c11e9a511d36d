import { commitmentOf, newSeed } from '../../src/domain/draw/lottery';
import {
  announceScheduledDrop,
  closeDropRegistration,
  ensureSeed,
  findDrop,
  markDropCancelled,
  openDropRegistration,
  setDropPhase,
  setOrderWindows,
  setRegistrationClosesAt,
} from '../../src/db/repositories/drops';
import { recordEvent } from '../../src/db/repositories/events';
import { takeFreezeLock } from '../../src/db/repositories/intake-lock';
import type { DropPhase } from '../../src/db/schema';
import type { ActivityDeps } from '../deps';

export function createDropActivities({ db }: ActivityDeps) {
  return {
    /**
     * Announce: create the seed once, publish its commitment, open registration. Idempotent: a
     * retry keeps the first seed and the first window.
     */
    async announceDrop(input: { dropId: string; registrationSeconds: number; registrationOpensAt?: number }) {
      const seed = await ensureSeed(db, input.dropId, newSeed());
      const commitment = commitmentOf(seed);
      // A scheduled launch: announced now, registration opens later (the workflow's timer moves the phase then).
      const closesAt =
        input.registrationOpensAt === undefined
          ? await openDropRegistration(db, input.dropId, commitment, input.registrationSeconds)
          : await announceScheduledDrop(db, input.dropId, commitment, new Date(input.registrationOpensAt), input.registrationSeconds);
      await recordEvent(db, { dropId: input.dropId, kind: 'drop.announced', data: { commitment } });
      return { commitment, registrationClosesAt: closesAt.getTime() };
    },

    /**
     * `from`, when given, guards the move: a late pause never overwrites a closed drop.
     * `allocating` is the close, written by its one writer (closeDropRegistration).
     */
    async recordDropPhase(input: { dropId: string; phase: DropPhase; from?: DropPhase[] }) {
      const moved =
        input.phase === 'allocating' ? await closeDropRegistration(db, input.dropId) : await setDropPhase(db, input.dropId, input.phase, input.from);
      if (moved) {
        await recordEvent(db, { dropId: input.dropId, kind: 'drop.phase', data: { phase: input.phase } });
      }
    },

    /** Ops moved the end of registration; the API's intake checks this time too. */
    async setRegistrationClosesAt(input: { dropId: string; closesAt: number }) {
      await setRegistrationClosesAt(db, input.dropId, new Date(input.closesAt));
      await recordEvent(db, { dropId: input.dropId, kind: 'drop.registration_moved', data: { closesAt: new Date(input.closesAt).toISOString() } });
    },

    /**
     * Freezes the entrant list: after this commits no entry can be added (intake holds a shared
     * advisory lock on the drop while it inserts, so this waits for in-flight registrations).
     */
    async closeRegistration(input: { dropId: string }) {
      await db.transaction().execute(async (trx) => {
        await takeFreezeLock(trx, input.dropId);
        await closeDropRegistration(trx, input.dropId);
      });
      await recordEvent(db, { dropId: input.dropId, kind: 'drop.registration_closed' });
    },

    /**
     * Ops cancelled the drop: registration stops (in the freeze lock, so in-flight registrations
     * finish first), nobody is promoted from now on. Idempotent. Returns the phase it was cancelled in.
     */
    async cancelDrop(input: { dropId: string; reasonCode: string }) {
      const inPhase = await db.transaction().execute(async (trx) => {
        await takeFreezeLock(trx, input.dropId);
        return markDropCancelled(trx, input.dropId, input.reasonCode);
      });
      if (inPhase === null) {
        const drop = await findDrop(db, input.dropId);
        // A retry after the row moved on (cancelled already): nothing to do.
        return { cancelledInPhase: drop?.cancelled_in_phase ?? null };
      }
      await recordEvent(db, { dropId: input.dropId, kind: 'drop.cancelled', data: { reasonCode: input.reasonCode, inPhase } });
      return { cancelledInPhase: inPhase };
    },

    /** Ops changed the pay or pickup window; orders read it when they enter that phase. */
    async changeOrderWindows(input: { dropId: string; paymentSeconds?: number; pickupSeconds?: number; reasonCode?: string }) {
      await setOrderWindows(db, input.dropId, input);
      await recordEvent(db, { dropId: input.dropId, kind: 'drop.windows_changed', data: { ...input, dropId: undefined } });
    },

    /** The pay and pickup windows an order entering that phase now gets (seconds; null: its own). */
    async currentOrderWindows(input: { dropId: string }) {
      const drop = await findDrop(db, input.dropId);
      return { paymentSeconds: drop?.payment_seconds ?? null, pickupSeconds: drop?.pickup_seconds ?? null };
    },
  };
}
