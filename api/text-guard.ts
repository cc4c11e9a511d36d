import type { RequestHandler, Router } from 'express';
import { findTextProblem } from '../src/domain/storable-text';
import { fromTextProblem } from './errors';

/**
 * A JSON body parser whose every body is then checked for text Postgres cannot store and for
 * reserved keys (src/domain/storable-text.ts): 400 `invalid_request` with the field's path.
 * One walk of the parsed value, a few microseconds for a registration.
 */
export function storableJson(parser: RequestHandler): RequestHandler {
  return (req, res, next) =>
    parser(req, res, (err?: unknown) => {
      if (err) return next(err);
      const problem = findTextProblem(req.body);
      next(problem ? fromTextProblem('body', problem) : undefined);
    });
}

/** Every query string, checked before any route reads it (no query: nothing to do). */
export const storableQuery: RequestHandler = (req, _res, next) => {
  if (!req.url.includes('?')) return next();
  const problem = findTextProblem(req.query);
  next(problem ? fromTextProblem('query string', problem) : undefined);
};

/** The path parameters our routes use; a router made by `apiRouter` checks each one it matches. */
const PATH_PARAMS = ['dropId', 'entryId', 'orderId', 'nodeId', 'exceptionId'] as const;

/**
 * Checks every path parameter before its route runs. Express keeps `param` handlers per router,
 * so each router registers them; a new `:param` name belongs in PATH_PARAMS (and anything that
 * slips past still meets the error middleware's mapping of Postgres' own refusal to a 400).
 */
export function guardPathParams(router: Router): Router {
  for (const name of PATH_PARAMS) {
    router.param(name, (_req, _res, next, value: unknown) => {
      const problem = typeof value === 'string' ? findTextProblem(value, [name]) : undefined;
      next(problem ? fromTextProblem('path', problem) : undefined);
    });
  }
  return router;
}
