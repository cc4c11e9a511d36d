import { savePayLink } from '../../db/repositories/orders';
import type { OrderRow } from '../../db/schema';
import { issueClaimCode } from '../../domain/claim-code';
import { offerCodeFor } from '../../domain/offer-code';
import type { ServiceDeps } from '../deps';

/**
 * The bearer secrets an entrant is shown on their status page (behind their receipt secret).
 * None of them passes through workflow history: the pay link is kept on the order row by the
 * activity that made the intent, and the claim code and the offer code are derived here from
 * non-secret order fields with the claim secret, exactly as the worker derives them.
 */

/** The pay link while the pay window is open; null otherwise. */
export async function payLinkOf(deps: Pick<ServiceDeps, 'db' | 'payments'>, order: OrderRow): Promise<string | null> {
  if (order.state !== 'awaiting_payment') return null;
  if (order.pay_link) return order.pay_link;
  // An order whose intent was made by a worker from before the link was kept on the row: ask
  // the provider once and keep the answer.
  if (!order.payment_intent_id) return null;
  const intent = await deps.payments.retrievePaymentIntent(order.payment_intent_id).catch(() => null);
  if (!intent || intent.status !== 'requires_payment') return null;
  await savePayLink(deps.db, order.order_id, intent.payLink);
  return intent.payLink;
}

/** The claim code (the QR payload for the locker) while the pickup window is open; null otherwise. */
export function claimCodeOf(claimSecret: string, order: OrderRow): string | null {
  if (order.state !== 'awaiting_pickup' || !order.node_id || !order.pickup_deadline) return null;
  return issueClaimCode(claimSecret, {
    orderId: order.order_id,
    nodeId: order.node_id,
    expiresAt: new Date(order.pickup_deadline).getTime(),
    version: order.claim_code_version,
  });
}

/** The fallback offer code that came with store credit; null unless the order was credited. */
export function offerCodeOf(claimSecret: string, order: OrderRow): string | null {
  return order.state === 'credited' ? offerCodeFor(claimSecret, order.drop_id, order.order_id) : null;
}
