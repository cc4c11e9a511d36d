import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';

export const WORKFLOWS_PATH = require.resolve('../../workflows');

/**
 * The drop engine's worker: every workflow and activity on one task queue. Pass a prebuilt
 * bundle to skip webpack (tests build it once per run).
 */
export async function createDropWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  workflowBundle?: WorkerOptions['workflowBundle'];
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    maxConcurrentActivityTaskExecutions: 200,
    // Thousands of orders sit in pay and pickup windows at once. A bounded cache keeps the
    // worker's memory flat; an evicted order is replayed from its (short) history when it wakes.
    maxCachedWorkflows: 500,
  });
}
