import { Router } from 'express';
import { actorOf, staffAuth } from '../auth';
import { parseInput } from '../errors';
import { resolveSchema } from '../schemas';
import { listSupportQueue } from '../../src/services/support/support';
import { resolveOrder } from '../../src/services/order/orders';
import type { ServiceDeps } from '../../src/services/deps';
import { guardPathParams } from '../text-guard';

/** Support: the open exceptions queue and one-call resolutions. */
export function supportRoutes(deps: ServiceDeps): Router {
  const r = guardPathParams(Router());
  const staff = staffAuth(deps.db)('support', 'ops');

  r.get('/v1/exceptions', staff, async (_req, res) => {
    res.json({ exceptions: await listSupportQueue(deps) });
  });

  r.post('/v1/orders/:orderId/resolve', staff, async (req, res) => {
    const request = parseInput(resolveSchema, req.body);
    res.json(await resolveOrder(deps, actorOf(res), String(req.params.orderId), request));
  });

  return r;
}
