import { sql } from 'kysely';
import { commitmentOf, newSeed } from '../../src/domain/draw/lottery';
import { ensureSeed, setDropPhase } from '../../src/db/repositories/drops';
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
      const row = await db
        .updateTable('drops')
        .set({
          commitment,
          phase: sql`CASE WHEN phase = 'scheduled' THEN 'registration' ELSE phase END`,
          registration_opens_at: sql`coalesce(registration_opens_at, now())`,
          registration_closes_at: sql`coalesce(registration_closes_at, now() + make_interval(secs => ${input.registrationSeconds}))`,
          updated_at: sql`now()`,
        })
        .where('drop_id', '=', input.dropId)
        .returning(['registration_closes_at'])
        .executeTakeFirstOrThrow();
      await recordEvent(db, { dropId: input.dropId, kind: 'drop.announced', data: { commitment } });
      return { commitment, registrationClosesAt: new Date(row.registration_closes_at!).getTime() };
    },

    /** `from`, when given, guards the move: a late pause never overwrites a closed drop. */
    async recordDropPhase(input: { dropId: string; phase: DropPhase; from?: DropPhase[] }) {
      if (await setDropPhase(db, input.dropId, input.phase, input.from)) {
        await recordEvent(db, { dropId: input.dropId, kind: 'drop.phase', data: { phase: input.phase } });
      }
    },

    /** Ops moved the end of registration; the API's intake checks this time too. */
    async setRegistrationClosesAt(input: { dropId: string; closesAt: number }) {
      await db
        .updateTable('drops')
        .set({ registration_closes_at: new Date(input.closesAt), updated_at: sql`now()` })
        .where('drop_id', '=', input.dropId)
        .execute();
      await recordEvent(db, { dropId: input.dropId, kind: 'drop.registration_moved', data: { closesAt: new Date(input.closesAt).toISOString() } });
    },

    /**
     * Freezes the entrant list: after this commits no entry can be added (intake holds a shared
     * advisory lock on the drop while it inserts, so this waits for in-flight registrations).
     */
    async closeRegistration(input: { dropId: string }) {
      await db.transaction().execute(async (trx) => {
        await takeFreezeLock(trx, input.dropId);
        await trx
          .updateTable('drops')
          .set({ phase: 'allocating', registration_closes_at: sql`least(registration_closes_at, now())`, updated_at: sql`now()` })
          .where('drop_id', '=', input.dropId)
          .where('phase', 'in', ['registration', 'paused', 'scheduled'])
          .execute();
      });
      await recordEvent(db, { dropId: input.dropId, kind: 'drop.registration_closed' });
    },
  };
}
