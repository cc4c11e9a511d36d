import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import type { Stack } from './stack';

/**
 * `drops worker` as a process of its own against a running stack, configured only by the
 * environment as in production: for the tests and benchmarks that kill or measure the worker.
 */
export function spawnWorkerProcess(
  stack: Pick<Stack, 'databaseUrl' | 'temporalAddress' | 'taskQueue' | 'providerUrl' | 'secrets'>,
  opts: { stdio: StdioOptions; workflowBundle?: string },
): ChildProcess {
  return spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'drops.js'), 'worker'], {
    env: {
      ...process.env,
      DATABASE_URL: stack.databaseUrl,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      DROPS_PROVIDER_URL: stack.providerUrl,
      // The stack's providers are its SIMULATORS; a production worker must be told so.
      DROPS_PAYMENT_ADAPTER: 'simulator',
      DROPS_CARRIER_ADAPTER: 'simulator',
      DROPS_LOCKER_ADAPTER: 'simulator',
      DROPS_CLAIM_SECRET: stack.secrets.claimSecret,
      // A prebuilt workflow bundle starts the worker without webpack.
      ...(opts.workflowBundle ? { DROPS_WORKFLOW_BUNDLE: opts.workflowBundle } : {}),
    },
    stdio: opts.stdio,
  });
}
