import { sql, type Kysely } from 'kysely';
import type { Database, EntryAuthorizationsTable } from '../schema';

type Q = Kysely<Database>;
type Status = EntryAuthorizationsTable['status'] extends import('kysely').Generated<infer S> ? S : never;

export async function findAuthorization(db: Q, dropId: string, entryId: string) {
  return db.selectFrom('entry_authorizations').selectAll().where('drop_id', '=', dropId).where('entry_id', '=', entryId).executeTakeFirst();
}

export async function findAuthorizationByIntent(db: Q, paymentIntentId: string) {
  return db.selectFrom('entry_authorizations').selectAll().where('payment_intent_id', '=', paymentIntentId).executeTakeFirst();
}

/** The first intent made for an entry wins; a retry finds it. */
export async function insertAuthorization(db: Q, a: { dropId: string; entryId: string; paymentIntentId: string; amountCents: number }) {
  await db
    .insertInto('entry_authorizations')
    .values({ drop_id: a.dropId, entry_id: a.entryId, payment_intent_id: a.paymentIntentId, amount_cents: a.amountCents })
    .onConflict((oc) => oc.columns(['drop_id', 'entry_id']).doNothing())
    .execute();
}

const ORDER: Status[] = ['pending', 'authorized', 'captured', 'voided'];

/** Moves an authorization forward only (pending → authorized → captured | voided). */
export async function advanceAuthorization(db: Q, paymentIntentId: string, status: Status): Promise<boolean> {
  const earlier = ORDER.slice(0, Math.min(ORDER.indexOf(status), 2));
  if (earlier.length === 0) return false;
  const res = await db
    .updateTable('entry_authorizations')
    .set({ status, updated_at: sql`now()` })
    .where('payment_intent_id', '=', paymentIntentId)
    .where('status', 'in', earlier)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Holds not captured: voided once the drop has settled, a page at a time. */
export async function listOpenAuthorizations(db: Q, dropId: string, afterEntryId: string, limit: number) {
  return db
    .selectFrom('entry_authorizations')
    .selectAll()
    .where('drop_id', '=', dropId)
    .where('status', 'in', ['pending', 'authorized'])
    .where('entry_id', '>', afterEntryId)
    .orderBy('entry_id')
    .limit(limit)
    .execute();
}
