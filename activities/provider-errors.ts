import { ApplicationFailure } from '@temporalio/common';
import { ProviderRejectedError } from '../src/integrations/providers';
import { withRetries } from '../src/lib/retry';

/** A provider's definite "no" will not change on retry: fail the activity for good. */
export async function failFastOnRejection<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProviderRejectedError) {
      throw ApplicationFailure.nonRetryable(err.message, 'ProviderRejected', { status: err.status });
    }
    throw err;
  }
}

/**
 * For batch sweeps that make many provider calls in one activity: a transient failure is asked
 * again a few times in place, so one flaky call does not throw away the page's progress.
 * A definite "no" is not retried.
 */
export function askAgainOnTransientFailure<T>(call: () => Promise<T>, attempts = 6): Promise<T> {
  return withRetries(call, { attempts, initialBackoffMs: 200, maxBackoffMs: 3_000, isFinal: (err) => err instanceof ProviderRejectedError });
}
