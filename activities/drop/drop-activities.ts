import { commitmentOf, newSeed } from '../../src/domain/draw/lottery';
import { closeDropRegistration, ensureSeed, openDropRegistration, setDropPhase, setRegistrationClosesAt } from '../../src/db/repositories/drops';
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
    async announceDrop(input: { dropId: string; registrationSeconds: number }) {
      const seed = await ensureSeed(db, input.dropId, newSeed());
      const commitment = commitmentOf(seed);
      const closesAt = await openDropRegistration(db, input.dropId, commitment, input.registrationSeconds);
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
  };
}
