import type { Kysely } from 'kysely';
import type { Database } from '../schema';

type Q = Kysely<Database>;

/** Whether a provider's event was already handled (providers deliver at least once). */
export async function isWebhookEventHandled(db: Q, provider: string, eventId: string): Promise<boolean> {
  const seen = await db.selectFrom('webhook_events').select('event_id').where('provider', '=', provider).where('event_id', '=', eventId).executeTakeFirst();
  return seen !== undefined;
}

/** Records a provider's event as handled; a second record of it is a no-op. */
export async function markWebhookEventHandled(db: Q, provider: string, eventId: string): Promise<void> {
  await db
    .insertInto('webhook_events')
    .values({ provider, event_id: eventId })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .execute();
}
