import type { RequestHandler } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors';

export type Role = 'ops' | 'support';

/** A caller known by their key. Issue 14's per-staff keys add who they are; routes only ask the role. */
export interface Principal {
  role: Role;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** RFC 7235/6750: the scheme is case-insensitive; one or more spaces, then the token. */
const BEARER = /^bearer +(\S+) *$/i;

/** The key's owner, compared in constant time against every known key; undefined for an unknown key. */
export type KeyLookup = (key: string) => Principal | undefined;

/** Today's keys: one per role (from the environment). */
export function roleKeys(keys: Record<Role, string>): KeyLookup {
  const known = (Object.keys(keys) as Role[]).map((role) => ({ role, digest: digest(keys[role]) }));
  return (key) => {
    const given = digest(key);
    let found: Principal | undefined;
    // Every key compared, so the time does not say which role's key was close.
    for (const k of known) if (timingSafeEqual(k.digest, given) && !found) found = { role: k.role };
    return found;
  };
}

/**
 * Bearer API keys: a missing, malformed or unknown key is 401 `unauthorized` (with
 * `WWW-Authenticate: Bearer`); a known key whose role may not use the route is 403 `forbidden`.
 */
export function requireRole(keys: Record<Role, string>, ...roles: Role[]): RequestHandler {
  const lookup = roleKeys(keys);
  return (req, _res, next) => {
    const match = BEARER.exec(req.header('authorization') ?? '');
    if (!match) return next(new ApiError(401, 'unauthorized', 'a bearer API key is required'));
    const principal = lookup(match[1]!);
    if (!principal) return next(new ApiError(401, 'unauthorized', 'the API key is not known'));
    if (!roles.includes(principal.role)) {
      return next(new ApiError(403, 'forbidden', `this route needs the ${roles.join(' or ')} role`));
    }
    next();
  };
}
