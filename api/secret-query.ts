import type { Request } from 'express';
import { ApiError } from './errors';

/**
 * Query parameter names refused on the entrant's routes: a receipt secret or token belongs in a
 * header or the path, never in a query string, which access logs, proxies and browser history keep.
 */
export const SECRET_QUERY = /secret|token/i;

export const hasSecretInQuery = (req: Request): boolean => Object.keys(req.query).some((name) => SECRET_QUERY.test(name));

/** Throws 400 `secret_in_query` before anything else is read. */
export function refuseSecretInQuery(req: Request): void {
  if (hasSecretInQuery(req)) {
    throw new ApiError(400, 'secret_in_query', 'send the receipt secret in the x-receipt-secret header, never in the query string');
  }
}
