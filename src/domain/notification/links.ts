/**
 * The entrant's pages (served by the API, api/routes/pages.ts). The receipt token is in the
 * path, never in a query string (which would reach access logs, proxies and browser history);
 * logs and metrics name the route template, never the path.
 *
 *   /entrant/:dropId/:entryId/:token          entry status
 *   /entrant/:dropId/:entryId/:token/pay      pay (simulator form, or redirect to Stripe Checkout)
 *   /entrant/:dropId/:entryId/:token/claim    claim code as QR, node, expiry countdown
 *   /entrant/:dropId/:entryId/:token/verify   recompute the entrant's ticket keys in the browser
 */
export type EntrantPage = 'status' | 'pay' | 'claim' | 'verify';

export function entrantPagePath(dropId: string, entryId: string, token: string, page: EntrantPage = 'status'): string {
  const base = `/entrant/${encodeURIComponent(dropId)}/${encodeURIComponent(entryId)}/${encodeURIComponent(token)}`;
  return page === 'status' ? base : `${base}/${page}`;
}

/** An absolute link for a message: `publicUrl` is where the API is reached from outside (DROPS_PUBLIC_URL). */
export function entrantPageUrl(publicUrl: string, dropId: string, entryId: string, token: string, page: EntrantPage = 'status'): string {
  return `${publicUrl.replace(/\/+$/, '')}${entrantPagePath(dropId, entryId, token, page)}`;
}
