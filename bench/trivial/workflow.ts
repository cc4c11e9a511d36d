import { proxyActivities } from '@temporalio/workflow';
import type { createTrivialActivities } from './activities';

const { touch } = proxyActivities<ReturnType<typeof createTrivialActivities>>({ startToCloseTimeout: '30 seconds' });

/** The orders benchmark's baseline: one activity, one state transition, done. */
export async function trivialWorkflow(n: number): Promise<number> {
  return touch(n);
}
