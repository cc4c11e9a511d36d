import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ZodError } from 'zod';
import { DomainError, type DomainErrorKind } from '../src/domain/errors';
import type { TextProblem } from '../src/domain/storable-text';
import { asUnavailable } from '../src/services/unavailable';

/** An error raised by the HTTP layer itself (auth, routing, input parsing): a status, a stable code, a message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** For 503s: when to try again (sent as `Retry-After`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The one place a domain error kind becomes an HTTP status. */
const STATUS_OF: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  unavailable: 503,
};

export const fromZod = (err: ZodError): ApiError =>
  new ApiError(
    400,
    'invalid_request',
    'the request does not match the schema',
    err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );

/** The 400 for text Postgres cannot store (or a reserved key), at `where` (body, params, query). */
export const fromTextProblem = (where: string, p: TextProblem): ApiError =>
  new ApiError(400, 'invalid_request', `the request's ${where} holds text that cannot be stored`, [p]);

/** Parses input with a zod schema or throws the 400 every route answers for bad input. */
export function parseInput<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } }, v: unknown): T {
  const r = schema.safeParse(v);
  if (!r.success) throw fromZod(r.error);
  return r.data;
}

export const notFoundRoute: RequestHandler = (req, _res, next) => next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));

/** Postgres refusing a string (NUL, invalid Unicode escape in jsonb): bad input that got past the guards. */
const PG_UNSTORABLE_TEXT = new Set(['22021', '22P05']);

/** The error as the HTTP layer answers it; undefined for an unexpected error (a 500). */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof DomainError) return new ApiError(STATUS_OF[err.kind], err.code, err.message, err.details, err.retryAfterSeconds);
  const down = asUnavailable(err);
  if (down) return toApiError(down);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && PG_UNSTORABLE_TEXT.has(code)) {
    return new ApiError(400, 'invalid_request', 'the request holds text that cannot be stored');
  }
  // body-parser's errors carry `type` and a 4xx status.
  const type = (err as { type?: string }).type;
  const status = (err as { status?: number }).status;
  if (type === 'entity.parse.failed') return new ApiError(400, 'invalid_json', 'the body is not valid JSON');
  if (type === 'entity.too.large') return new ApiError(413, 'payload_too_large', 'the body is too large');
  // body-parser: a charset or content-encoding it cannot read (e.g. latin1, a bogus gzip body).
  if (type === 'charset.unsupported' || type === 'encoding.unsupported')
    return new ApiError(415, 'unsupported_media_type', 'send the body as UTF-8 JSON, without a content-encoding');
  // The router's decodeURIComponent of a path parameter: bytes that are not UTF-8 (a lone surrogate's, say).
  if (err instanceof URIError && status === 400) return new ApiError(400, 'invalid_request', 'a path parameter is not valid UTF-8 text');
  if (typeof status === 'number' && status >= 400 && status < 500) return new ApiError(status, 'bad_request', 'the request could not be read');
  return undefined;
}

/**
 * Maps every error to `{ error: { code, message, details? } }`: the HTTP layer's own, the
 * services' DomainErrors (by kind), a dependency that is down (503 + Retry-After, by the error's
 * kind, whatever the route), body-parser's. Bad input is never a 500.
 */
export const errorMiddleware: ErrorRequestHandler = (err, req, res, _next) => {
  const e = toApiError(err);
  if (!e) {
    // The route template (`/entrant/:dropId/:entryId/:token`), never the path: paths hold entrants' tokens.
    console.error(`[api] unexpected error on ${req.method} ${req.route?.path ?? '(no route)'}: ${(err as Error)?.stack ?? String(err)}`);
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
    return;
  }
  if (e.status === 503) console.error(`[api] ${e.code}: ${(err as Error)?.message ?? String(err)}`);
  if (e.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(e.retryAfterSeconds));
  // RFC 7235: a 401 names the scheme the client should use.
  if (e.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.details !== undefined && { details: e.details }) } });
};
