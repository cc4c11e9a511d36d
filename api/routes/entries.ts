import { Router } from 'express';
import { parseInput } from '../errors';
import { dropIdParam, registerEntrySchema } from '../schemas';
import { entryStatus, register } from '../../src/services/registration';
import type { ServiceDeps } from '../../src/services/deps';

/** Public routes: registration and the entrant's own status (with the receipt secret). */
export function entryRoutes(deps: ServiceDeps): Router {
  const r = Router();

  r.post('/v1/drops/:dropId/entries', async (req, res) => {
    const { dropId } = parseInput(dropIdParam, req.params);
    const receipt = await register(deps, dropId, parseInput(registerEntrySchema, req.body));
    res.status(receipt.duplicate ? 200 : 201).json(receipt);
  });

  r.get('/v1/drops/:dropId/entries/:entryId', async (req, res) => {
    const { dropId } = parseInput(dropIdParam, req.params);
    const secret = req.header('x-receipt-secret') ?? (typeof req.query.secret === 'string' ? req.query.secret : undefined);
    res.json(await entryStatus(deps, dropId, String(req.params.entryId), secret));
  });

  return r;
}
