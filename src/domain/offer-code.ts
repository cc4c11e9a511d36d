import { createHmac } from 'node:crypto';

/**
 * The fallback offer code an entrant gets with store credit (missed pickup, `credit` policy): a
 * bearer code, so it is derived, never stored or passed through workflow history. The worker
 * and the API compute the same code from the claim secret (DROPS_CLAIM_SECRET) and the order.
 *
 *   offer_<base64url(HMAC-SHA256(secret, "offer:<dropId>:<orderId>"))[0..16]>
 */
export function offerCodeFor(secret: string, dropId: string, orderId: string): string {
  return `offer_${createHmac('sha256', secret).update(`offer:${dropId}:${orderId}`).digest('base64url').slice(0, 16)}`;
}
