import { DomainError } from '../../domain/errors';
import { exceptionKeys } from '../../domain/idempotency-keys';
import { openException } from '../../db/repositories/exceptions';
import type { ServiceDeps } from '../deps';

/**
 * How long we let a provider retry an event we cannot place yet, in seconds from the event's
 * own `created` time: a day, within every provider's retry window (Stripe retries for days).
 * The simulators retry a little longer (src/simulators/webhook-sender.ts).
 */
export const PROVIDER_RETRY_WINDOW_SECONDS = 24 * 60 * 60;
/** A provider event nobody could place is money, a parcel or a unit nobody is watching. */
const UNPLACED_EVENT_SLA_MINUTES = 60;

export interface PlaceableEvent {
  id: string;
  type: string;
  created?: number;
}

/** Our ids as we stored them on the provider's object (intent, label, reservation). */
export interface EventMetadata {
  orderId: string | null;
  dropId: string | null;
}

/** The order and drop ids an event's object carries: Stripe-style `metadata`, else top-level `order_id`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from over the wire, read field by field
export function metadataOf(object: Record<string, any> | undefined): EventMetadata {
  const meta = object?.metadata && typeof object.metadata === 'object' ? object.metadata : {};
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
  return { orderId: str(meta.order_id) ?? str(object?.order_id), dropId: str(meta.drop_id) ?? str(object?.drop_id) };
}

/**
 * An event that names one of our orders but that we cannot place yet (it overtook our own write
 * of the object's id, or the order has not reached the step). Inside the retry window it is
 * answered `409 event_not_ready` and not stored as seen, so the provider delivers it again;
 * after it (or without a creation time to measure from) it becomes an `unplaced_provider_event`
 * exception and is acknowledged, so it is never dropped silently.
 */
export async function notPlacedYet(
  deps: ServiceDeps,
  provider: string,
  event: PlaceableEvent,
  why: string,
  where: EventMetadata,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<'exception'> {
  const created = Number(event.created);
  const ageSeconds = Number.isFinite(created) && created > 0 ? nowSeconds - created : Number.POSITIVE_INFINITY;
  if (ageSeconds < PROVIDER_RETRY_WINDOW_SECONDS) {
    throw new DomainError('conflict', 'event_not_ready', `${why}; deliver it again later`, { eventId: event.id }, 5);
  }
  const age = Number.isFinite(ageSeconds) ? `${Math.round(ageSeconds / 60)} min after it was created` : 'and it has no creation time';
  await openException(deps.db, {
    dropId: where.dropId ?? 'unknown',
    orderId: where.orderId,
    kind: 'unplaced_provider_event',
    detail: `${provider} event ${event.type} ${event.id} could not be placed ${age}: ${why}`,
    slaMinutes: UNPLACED_EVENT_SLA_MINUTES,
    dedupeKey: exceptionKeys.unplacedWebhook(provider, event.id),
  });
  return 'exception';
}
