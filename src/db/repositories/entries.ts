import type { Kysely } from 'kysely';
import type { Database, EntryRow } from '../schema';

type Q = Kysely<Database>;

export async function findEntry(db: Q, dropId: string, entryId: string): Promise<EntryRow | undefined> {
  return db.selectFrom('entries').selectAll().where('drop_id', '=', dropId).where('entry_id', '=', entryId).executeTakeFirst();
}

export async function countEntries(db: Q, dropId: string): Promise<number> {
  const row = await db
    .selectFrom('entries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('drop_id', '=', dropId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The IANA time zone the entrant registered with (null: none given); the entrant's own pages show deadlines in it. */
export async function findEntrantTimeZone(db: Q, dropId: string, entryId: string): Promise<string | null> {
  const row = await db.selectFrom('entrant_contacts').select('time_zone').where('drop_id', '=', dropId).where('entry_id', '=', entryId).executeTakeFirst();
  return row?.time_zone ?? null;
}
