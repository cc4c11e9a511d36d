import type { Request, Response } from 'express';

interface Stored {
  fingerprint: string;
  status: number;
  body: unknown;
}

/**
 * SIMULATOR: Idempotency-Key semantics as Stripe documents them. The first answer to a key is
 * replayed (errors included) with `Idempotent-Replayed: true`; the same key with different
 * parameters is a 400 `idempotency_error`. Answers that were never produced (injected 500s before
 * the work, outages) are not stored, so a retry does the work.
 */
export class IdempotencyStore {
  private readonly stored = new Map<string, Stored>();

  handle(req: Request, res: Response, scope: string, produce: () => { status: number; body: unknown }): void {
    const key = req.header('idempotency-key');
    if (!key) {
      const result = produce();
      return void res.status(result.status).json(result.body);
    }
    if (key.length > 255) {
      return void res.status(400).json({ error: { type: 'invalid_request_error', message: 'Idempotency-Key longer than 255' } });
    }
    const fingerprint = `${req.method} ${req.path} ${JSON.stringify(req.body ?? {})}`;
    const cacheKey = `${scope}\u0000${key}`;
    const previous = this.stored.get(cacheKey);
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        return void res.status(400).json({
          error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' },
        });
      }
      res.setHeader('idempotent-replayed', 'true');
      return void res.status(previous.status).json(previous.body);
    }
    const result = produce();
    this.stored.set(cacheKey, { fingerprint, ...result });
    res.status(result.status).json(result.body);
  }
}
