import { Router } from 'express';
import { actorOf, staffAuth } from '../auth';
import { parseInput } from '../errors';
import { assignExceptionSchema, claimExceptionSchema, exceptionsQuerySchema, resolveExceptionSchema, resolveSchema } from '../schemas';
import { assignException, claimException, listSupportQueue, parseExceptionId, resolveException } from '../../src/services/support/support';
import { supportOrderView } from '../../src/services/support/order-view';
import { resolveOrder } from '../../src/services/order/orders';
import type { ServiceDeps } from '../../src/services/deps';
import { guardPathParams } from '../text-guard';

/**
 * Support (roles support and ops; admin passes every staff route):
 * - `GET /v1/exceptions?dropId=&kind=&status=open|resolved|all&overdue=true|false&assignee=<staffId>|me|none&limit=&cursor=`:
 *   the queue, nearest SLA deadline first, keyset-paged: `{ exceptions, nextCursor }`. 400 `invalid_request`, `invalid_cursor`.
 * - `POST /v1/exceptions/:exceptionId/claim` `{force?, reasonCode?, reason?}`: the caller takes it.
 *   404 `exception_not_found`; 409 `exception_resolved`, `exception_claimed` (someone else has it; `force` takes it over).
 * - `POST /v1/exceptions/:exceptionId/assign` `{staffId, reasonCode?, reason?}`: 404, 409 as above; 422 `staff_not_assignable`.
 * - `POST /v1/exceptions/:exceptionId/resolve` `{resolution, reasonCode, reason}`: 404, 409 `exception_resolved`,
 *   409 `resolve_with_order_action` (`details.resolveWith`: the order's resolve action that closes it).
 * - `GET /v1/orders/:orderId`: the whole order for support (src/services/support/order-view.ts). 404 `order_not_found`.
 * - `POST /v1/orders/:orderId/resolve`: one-call resolutions (src/services/order/orders.ts).
 * Each action writes an audit row (`claim_exception`, `assign_exception`, `resolve_exception`, the order's action).
 */
export function supportRoutes(deps: ServiceDeps): Router {
  const r = guardPathParams(Router());
  const staff = staffAuth(deps.db)('support', 'ops');

  r.get('/v1/exceptions', staff, async (req, res) => {
    res.json(await listSupportQueue(deps, actorOf(res), parseInput(exceptionsQuerySchema, req.query)));
  });

  r.post('/v1/exceptions/:exceptionId/claim', staff, async (req, res) => {
    const body = parseInput(claimExceptionSchema, req.body);
    res.json(await claimException(deps, actorOf(res), parseExceptionId(String(req.params.exceptionId)), body));
  });

  r.post('/v1/exceptions/:exceptionId/assign', staff, async (req, res) => {
    const body = parseInput(assignExceptionSchema, req.body);
    res.json(await assignException(deps, actorOf(res), parseExceptionId(String(req.params.exceptionId)), body));
  });

  r.post('/v1/exceptions/:exceptionId/resolve', staff, async (req, res) => {
    const body = parseInput(resolveExceptionSchema, req.body);
    res.json(await resolveException(deps, actorOf(res), parseExceptionId(String(req.params.exceptionId)), body));
  });

  r.get('/v1/orders/:orderId', staff, async (req, res) => {
    res.json(await supportOrderView(deps, String(req.params.orderId)));
  });

  r.post('/v1/orders/:orderId/resolve', staff, async (req, res) => {
    const request = parseInput(resolveSchema, req.body);
    res.json(await resolveOrder(deps, actorOf(res), String(req.params.orderId), request));
  });

  return r;
}
