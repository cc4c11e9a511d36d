import { Router } from 'express';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { actorOf, staffAuth } from '../auth';
import { ApiError, parseInput as parse } from '../errors';
import {
  cancelDropSchema,
  changeWindowsSchema,
  controlSchema,
  dropIdParam,
  extendSchema,
  issuePassesSchema,
  launchDropSchema,
  listDropsQuerySchema,
  nodeParams,
  restockSchema,
} from '../schemas';
import {
  cancelDrop,
  changeOrderWindows,
  controlDrop,
  getDropView,
  getReport,
  launchDrop,
  listDropSummaries,
  restockDropNode,
  type DropControl,
} from '../../src/services/drop/drops';
import { drawRecordChunks } from '../../src/services/draw/draw-record';
import { issuePasses } from '../../src/services/registration/registration';
import type { ServiceDeps } from '../../src/services/deps';
import { audited } from '../../src/services/audit/audit';
import { guardPathParams } from '../text-guard';

export function dropRoutes(deps: ServiceDeps): Router {
  const r = guardPathParams(Router());
  const requireRole = staffAuth(deps.db);
  const ops = requireRole('ops');
  const staff = requireRole('ops', 'support');

  r.post('/v1/drops', ops, async (req, res) => {
    const spec = parse(launchDropSchema, req.body);
    const { created, view } = await audited(deps, actorOf(res), { action: 'launch_drop', dropId: spec.dropId }, () => launchDrop(deps, spec));
    res.status(created ? 201 : 200).json(view);
  });

  r.get('/v1/drops/:dropId', staff, async (req, res) => {
    const { dropId } = parse(dropIdParam, req.params);
    const view = await getDropView(deps, dropId);
    if (!view) throw new ApiError(404, 'drop_not_found', `no drop ${dropId}`);
    res.json(view);
  });

  for (const action of ['close', 'pause', 'resume', 'extend'] as DropControl[]) {
    r.post(`/v1/drops/:dropId/${action}`, ops, async (req, res) => {
      const { dropId } = parse(dropIdParam, req.params);
      const { seconds, reasonCode, reason } = action === 'extend' ? parse(extendSchema, req.body) : { seconds: undefined, ...parse(controlSchema, req.body) };
      res.json(await controlDrop(deps, actorOf(res), dropId, action, { reasonCode, reason }, seconds));
    });
  }

  r.get('/v1/drops', staff, async (req, res) => {
    res.json(await listDropSummaries(deps, parse(listDropsQuerySchema, req.query)));
  });

  r.post('/v1/drops/:dropId/cancel', ops, async (req, res) => {
    const { dropId } = parse(dropIdParam, req.params);
    const { reasonCode, reason } = parse(cancelDropSchema, req.body);
    res.json(await cancelDrop(deps, actorOf(res), dropId, { reasonCode: reasonCode!, reason: reason! }));
  });

  r.post('/v1/drops/:dropId/nodes/:nodeId/restock', ops, async (req, res) => {
    const { dropId, nodeId } = parse(nodeParams, req.params);
    const { units, reasonCode, reason } = parse(restockSchema, req.body);
    res.json(await restockDropNode(deps, actorOf(res), dropId, nodeId, units, { reasonCode, reason }));
  });

  r.post('/v1/drops/:dropId/windows', ops, async (req, res) => {
    const { dropId } = parse(dropIdParam, req.params);
    const { paymentSeconds, pickupSeconds, reasonCode, reason } = parse(changeWindowsSchema, req.body);
    res.json(await changeOrderWindows(deps, actorOf(res), dropId, { paymentSeconds, pickupSeconds }, { reasonCode, reason }));
  });

  r.post('/v1/drops/:dropId/passes', ops, async (req, res) => {
    const { dropId } = parse(dropIdParam, req.params);
    const { tier, count } = parse(issuePassesSchema, req.body);
    res.status(201).json(await audited(deps, actorOf(res), { action: 'issue_passes', dropId }, () => issuePasses(deps, dropId, tier, count)));
  });

  r.get('/v1/drops/:dropId/draw', async (req, res) => {
    const { dropId } = parse(dropIdParam, req.params);
    const chunks = await drawRecordChunks(deps.db, dropId);
    res.type('application/json');
    await pipeline(Readable.from(chunks), res);
  });

  r.get('/v1/drops/:dropId/report', async (req, res) => {
    const { dropId } = parse(dropIdParam, req.params);
    const report = await getReport(deps, dropId);
    const format = req.query.format;
    if (format === 'html') res.type('text/html').send(report.html);
    else if (format === 'md') res.type('text/markdown').send(report.markdown);
    else res.json(report.report);
  });

  return r;
}
