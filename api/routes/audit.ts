import { Router } from 'express';
import { staffAuth } from '../auth';
import { parseInput } from '../errors';
import { auditQuerySchema } from '../schemas';
import { listAudit } from '../../src/services/audit/audit';
import type { ServiceDeps } from '../../src/services/deps';

/**
 * `GET /v1/audit` (ops, admin): who did what, newest first, filtered by drop, order, actor
 * (`staffId`), action and time range (`from` inclusive, `to` exclusive, ISO 8601), keyset-paged
 * (`limit` ≤ 500, `cursor` = the previous page's `nextCursor`).
 */
export function auditRoutes(deps: ServiceDeps): Router {
  const r = Router();
  r.get('/v1/audit', staffAuth(deps.db)('ops'), async (req, res) => {
    const q = parseInput(auditQuerySchema, req.query);
    const { from, to, ...rest } = q;
    res.json(await listAudit(deps, { ...rest, from: from === undefined ? undefined : new Date(from), to: to === undefined ? undefined : new Date(to) }));
  });
  return r;
}
