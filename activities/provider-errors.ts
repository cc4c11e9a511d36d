import { ApplicationFailure } from '@temporalio/common';
import { ProviderRejectedError } from '../src/integrations/providers';

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
export async function askAgainOnTransientFailure<T>(call: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= attempts || err instanceof ProviderRejectedError) throw err;
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 3_000)));
    }
  }
}
