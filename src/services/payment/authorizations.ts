import { conflict, notFound, unavailable, unprocessable } from '../../domain/errors';
import { findDrop } from '../../db/repositories/drops';
import { entryKeys } from '../../domain/idempotency-keys';
import { findAuthorization, insertAuthorization } from '../../db/repositories/authorizations';
import { ProviderRejectedError } from '../../integrations/providers';
import { orderIdFor, type PaymentMode } from '../../../workflows/definitions';
import type { ServiceDeps } from '../deps';
import { requireEntrant } from '../registration/registration';

/**
 * authorize_at_entry: places (once) a hold of the drop's price on the entrant's card. The
 * answer is a pay link where the entrant authorises; the provider tells us by webhook. The
 * intent names the order the entry would get, so a win captures exactly this hold.
 */
export async function authorizeEntry(deps: ServiceDeps, dropId: string, entryId: string, secret: string | undefined) {
  await requireEntrant(deps, dropId, entryId, secret);
  const drop = await findDrop(deps.db, dropId);
  if (!drop) throw notFound('drop_not_found', `no drop ${dropId}`);
  const mode = (drop.spec as { payment?: { mode?: PaymentMode } }).payment?.mode ?? 'pay_after_win';
  if (mode !== 'authorize_at_entry') throw conflict('wrong_payment_mode', 'this drop takes payment after the draw, not at entry');
  if (drop.phase !== 'registration' && drop.phase !== 'paused') throw conflict('registration_closed', `drop is ${drop.phase}`);

  let held = await findAuthorization(deps.db, dropId, entryId);
  if (!held) {
    const intent = await deps.payments
      .createPaymentIntent({
        dropId,
        orderId: orderIdFor(entryId),
        amountCents: drop.price_cents,
        currency: drop.currency,
        captureMethod: 'manual',
        idempotencyKey: entryKeys.authorization(dropId, entryId),
      })
      .catch(providerFailure('the payment provider refused the authorization'));
    // Outside the provider's catch: a database that is down is a database error, not the provider's.
    await insertAuthorization(deps.db, { dropId, entryId, paymentIntentId: intent.id, amountCents: drop.price_cents });
    held = (await findAuthorization(deps.db, dropId, entryId))!;
  }
  // The pay link comes from the provider: when it does not answer, say so (503) rather than
  // answer a hold with no link that looks final.
  const intent = await deps.payments
    .retrievePaymentIntent(held.payment_intent_id)
    .catch(providerFailure('the payment provider refused to show the authorization'));
  return {
    dropId,
    entryId,
    amountCents: held.amount_cents,
    currency: drop.currency,
    status: held.status,
    payLink: intent.status === 'requires_payment' ? intent.payLink : null,
  };
}

/** A payment provider's failure as the API answers it: a definite no is 422, anything else 503 (retry). */
const providerFailure =
  (refused: string) =>
  (err: unknown): never => {
    if (err instanceof ProviderRejectedError) throw unprocessable('payment_rejected', refused);
    throw unavailable('payment_provider_unavailable', 'the payment provider did not answer; try again', 2);
  };
