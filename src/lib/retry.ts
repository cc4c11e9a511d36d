import { pause } from './poll';

export interface RetryOptions {
  /** Calls in all, the first included (default 6). */
  attempts?: number;
  /** Pause after the first failure, in ms; doubled after each further one (default 200). */
  initialBackoffMs?: number;
  /** The longest pause, in ms (default no limit). */
  maxBackoffMs?: number;
  /** Errors that asking again cannot fix (e.g. a provider's definite "no"): thrown at once. */
  isFinal?: (err: unknown) => boolean;
  /** Told of each failure that will be asked again (not of the last one, which is thrown). */
  onRetry?: (err: unknown, attempt: number) => void;
}

/**
 * Calls `call` until it succeeds, asking again after a failure with exponential backoff; the
 * last failure is thrown. The one retry helper outside Temporal's own activity retries.
 */
export async function withRetries<T>(call: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 6;
  let backoffMs = o.initialBackoffMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= attempts || o.isFinal?.(err)) throw err;
      o.onRetry?.(err, attempt);
      await pause(Math.min(backoffMs, o.maxBackoffMs ?? Infinity));
      backoffMs *= 2;
    }
  }
}
