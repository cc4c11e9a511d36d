import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ZodError } from 'zod';

/** The one typed API error: a status, a stable machine code, a human message. */
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

export const fromZod = (err: ZodError): ApiError =>
  new ApiError(
    400,
    'invalid_request',
    'the request does not match the schema',
    err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );

/** Parses input with a zod schema or throws the 400 every route answers for bad input. */
export function parseInput<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } }, v: unknown): T {
  const r = schema.safeParse(v);
  if (!r.success) throw fromZod(r.error);
  return r.data;
}

export const notFoundRoute: RequestHandler = (req, _res, next) =>
  next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));

/** Maps every error to `{ error: { code, message, details? } }`; bad input is never a 500. */
export const errorMiddleware: ErrorRequestHandler = (err, _req, res, _next) => {
  if (err instanceof ApiError) {
    if (err.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    res.status(err.status).json({ error: { code: err.code, message: err.message, ...(err.details !== undefined && { details: err.details }) } });
    return;
  }
  // body-parser's errors carry `type` and a 4xx status.
  const type = (err as { type?: string }).type;
  const status = (err as { status?: number }).status;
  if (type === 'entity.parse.failed') {
    res.status(400).json({ error: { code: 'invalid_json', message: 'the body is not valid JSON' } });
    return;
  }
  if (type === 'entity.too.large') {
    res.status(413).json({ error: { code: 'payload_too_large', message: 'the body is too large' } });
    return;
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    res.status(status).json({ error: { code: 'bad_request', message: 'the request could not be read' } });
    return;
  }
  console.error(`[api] unexpected error: ${(err as Error)?.stack ?? String(err)}`);
  res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
};
