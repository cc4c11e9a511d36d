import { Router } from 'express';
import { fromZod } from '../errors';
import { dropIdParam, registerEntrySchema } from '../schemas';
import { entryStatus, register } from '../../src/services/registration';
import type { ServiceDeps } from '../../src/services/deps';

/** Public routes: registration and the entrant's own status (with the receipt secret). */
export function entryRoutes(deps: ServiceDeps): Router {
  const r = Router();

  r.post('/v1/drops/:dropId/entries', async (req, res) => {
    const params = dropIdParam.safeParse(req.params);
    if (!params.success) throw fromZod(params.error);
    const body = registerEntrySchema.safeParse(req.body);
    if (!body.success) throw fromZod(body.error);
    const receipt = await register(deps, params.data.dropId, body.data);
    res.status(receipt.duplicate ? 200 : 201).json(receipt);
  });

  r.get('/v1/drops/:dropId/entries/:entryId', async (req, res) => {
    const params = dropIdParam.safeParse(req.params);
    if (!params.success) throw fromZod(params.error);
    const secret = req.header('x-receipt-secret') ?? (typeof req.query.secret === 'string' ? req.query.secret : undefined);
    res.json(await entryStatus(deps, params.data.dropId, String(req.params.entryId), secret));
  });

  return r;
}
