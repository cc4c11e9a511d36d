/**
 * The one error type the services throw: what went wrong in business terms, with a stable
 * machine `code` (the API sends it as `error.code`). The HTTP layer alone turns a kind into a
 * status (api/errors.ts); nothing below the API knows about HTTP.
 */
export type DomainErrorKind =
  /** The input is malformed (400). */
  | 'invalid'
  /** No key, or an unknown one (401). */
  | 'unauthenticated'
  /** A known caller that may not do this (403). */
  | 'forbidden'
  /** No such drop, entry, order… (404). */
  | 'not_found'
  /** Not now: the thing has moved on, or exists differently (409). */
  | 'conflict'
  /** Well-formed but refused on its merits (422). */
  | 'unprocessable'
  /** A dependency is down or we are busy; nothing was done, retry later (503). */
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** unavailable: when to try again, in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (code: string, message: string, details?: unknown) => new DomainError('invalid', code, message, details);
export const forbidden = (code: string, message: string) => new DomainError('forbidden', code, message);
export const notFound = (code: string, message: string) => new DomainError('not_found', code, message);
export const conflict = (code: string, message: string, details?: unknown) => new DomainError('conflict', code, message, details);
export const unprocessable = (code: string, message: string) => new DomainError('unprocessable', code, message);
export const unavailable = (code: string, message: string, retryAfterSeconds: number) =>
  new DomainError('unavailable', code, message, undefined, retryAfterSeconds);
