import type { RequestHandler } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors';

export type Role = 'ops' | 'support';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer API keys per role, compared in constant time. */
export function requireRole(keys: Record<Role, string>, ...roles: Role[]): RequestHandler {
  const wanted = roles.map((r) => digest(keys[r]));
  return (req, _res, next) => {
    const header = req.header('authorization') ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!match) return next(new ApiError(401, 'unauthorized', 'a bearer API key is required'));
    const given = digest(match[1]!);
    if (!wanted.some((w) => timingSafeEqual(w, given))) {
      return next(new ApiError(403, 'forbidden', `this route needs the ${roles.join(' or ')} role`));
    }
    next();
  };
}
