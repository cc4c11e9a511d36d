import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError } from '@temporalio/client';
import { DomainError, unavailable } from '../domain/errors';

/** Seconds a client should wait before retrying while a dependency is down. */
export const RETRY_AFTER_SECONDS = 2;

/** Socket errors of a connection that could not be made or was cut. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
/**
 * Postgres SQLSTATEs meaning "the server is not there or not taking work": class 08 (connection
 * exception), 57P01–57P03 (shut down, crashed, starting up), 53300 (too many connections).
 */
const PG_DOWN = /^(08...|57P0[123]|53300)$/;
/** node-postgres and its pool say these in words, without a code. */
const PG_DOWN_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed/i;

/** gRPC status codes: the Temporal frontend cannot be reached, or did not answer in time. */
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** The pg driver's errors are plain Errors (network) or DatabaseErrors (SQLSTATE in `code`). */
export function isDatabaseDown(err: unknown): boolean {
  // Duck-typed, not instanceof: socket errors are made by Node's own realm (not jest's sandbox, say).
  if (typeof err !== 'object' || err === null) return false;
  const code = codeOf(err);
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_DOWN.test(code))) return true;
  const { errors, message } = err as { errors?: unknown; message?: unknown };
  if (Array.isArray(errors)) return errors.some(isDatabaseDown); // AggregateError of happy-eyeballs connects
  return typeof message === 'string' && PG_DOWN_MESSAGES.test(message);
}

/** The Temporal client's ServiceError wraps the gRPC error that says the server did not answer. */
export function isTemporalDown(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const grpc = err instanceof ServiceError ? err.cause : err;
  return isGrpcServiceError(grpc) && (grpc.code === GRPC_UNAVAILABLE || grpc.code === GRPC_DEADLINE_EXCEEDED);
}

/**
 * An error from a dependency that is down, as the domain's `unavailable` (the caller retries;
 * nothing was done, or what was done is idempotent on retry); undefined for any other error.
 * Temporal is checked first: its errors never look like a database's.
 */
export function asUnavailable(err: unknown): DomainError | undefined {
  if (isTemporalDown(err)) {
    return unavailable('temporal_unavailable', 'the workflow service is not answering; try again', RETRY_AFTER_SECONDS);
  }
  if (isDatabaseDown(err)) {
    return unavailable('database_unavailable', 'the database is not answering; try again', RETRY_AFTER_SECONDS);
  }
  return undefined;
}
