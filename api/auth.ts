import type { RequestHandler, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { ApiError } from './errors';
import type { Actor, StaffRole } from '../src/domain/staff/staff';
import type { Db } from '../src/db/connection';
import { authenticateStaff } from '../src/services/staff/staff';

export type Role = StaffRole;

/** RFC 7235/6750: the scheme is case-insensitive; one or more spaces, then the token. */
const BEARER = /^bearer +(\S+) *$/i;
/** A caller's own request id is kept when it is short and plain; else we make one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Per-staff bearer API keys. A missing, malformed, unknown or revoked key is 401 `unauthorized`
 * (with `WWW-Authenticate: Bearer`); a known key whose role may not use the route is 403
 * `forbidden`. `admin` may use every staff route. The acting staff member (id, role, request id)
 * is left in `res.locals.actor` for the route (see `actorOf`); the request id is echoed as
 * `X-Request-Id` and written into every audit entry.
 */
export function staffAuth(db: Db) {
  return (...roles: Role[]): RequestHandler =>
    async (req, res, next) => {
      const given = req.header('x-request-id');
      const requestId = given !== undefined && REQUEST_ID.test(given) ? given : `req_${randomBytes(8).toString('hex')}`;
      res.setHeader('X-Request-Id', requestId);
      const match = BEARER.exec(req.header('authorization') ?? '');
      if (!match) return next(new ApiError(401, 'unauthorized', 'a bearer API key is required'));
      const member = await authenticateStaff(db, match[1]!);
      if (!member) return next(new ApiError(401, 'unauthorized', 'the API key is not known, or was revoked'));
      if (member.role !== 'admin' && !roles.includes(member.role)) {
        return next(new ApiError(403, 'forbidden', `this route needs the ${roles.join(' or ')} role`));
      }
      const actor: Actor = { ...member, requestId };
      res.locals.actor = actor;
      next();
    };
}

/** The staff member acting on this request (set by `staffAuth`). */
export function actorOf(res: Response): Actor {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) throw new Error('actorOf: the route has no staffAuth in front of it');
  return actor;
}
