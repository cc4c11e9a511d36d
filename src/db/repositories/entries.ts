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
