import { Router, type RequestHandler } from 'express';
import { parseInput } from '../errors';
import { dropIdParam, idempotencyKeySchema, registerEntrySchema } from '../schemas';
import { authorizeEntry } from '../../src/services/payment/authorizations';
import { entryStatus, register } from '../../src/services/registration/registration';
import type { ServiceDeps } from '../../src/services/deps';
import { guardPathParams } from '../text-guard';
import { refuseSecretInQuery } from '../secret-query';

/** Public routes: registration and the entrant's own status (with the receipt secret). */
export function entryRoutes(deps: ServiceDeps, json: RequestHandler): Router {
  const r = guardPathParams(Router());

  r.post('/v1/drops/:dropId/entries', json, async (req, res) => {
    const { dropId } = parseInput(dropIdParam, req.params);
    const key = req.header('idempotency-key');
    const idempotencyKey = key === undefined ? undefined : parseInput(idempotencyKeySchema, key);
    const { status, receipt } = await register(deps, dropId, parseInput(registerEntrySchema, req.body), idempotencyKey);
    res.status(status).json(receipt);
  });

  /**
   * The receipt secret travels in the `x-receipt-secret` header only: a query string ends up in
   * access logs, proxies and browser history. One sent there is refused (400) before it is read.
   */
  const receiptSecret = (req: Parameters<RequestHandler>[0]) => {
    refuseSecretInQuery(req);
    return req.header('x-receipt-secret');
  };

  r.get('/v1/drops/:dropId/entries/:entryId', async (req, res) => {
    const { dropId } = parseInput(dropIdParam, req.params);
    res.json(await entryStatus(deps, dropId, String(req.params.entryId), receiptSecret(req)));
  });

  // authorize_at_entry drops: the entrant puts a hold on their card (idempotent per entry).
  r.post('/v1/drops/:dropId/entries/:entryId/authorization', async (req, res) => {
    const { dropId } = parseInput(dropIdParam, req.params);
    res.json(await authorizeEntry(deps, dropId, String(req.params.entryId), receiptSecret(req)));
  });

  return r;
}
