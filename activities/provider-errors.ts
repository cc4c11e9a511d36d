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
