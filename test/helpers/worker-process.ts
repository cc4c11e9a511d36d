import type { ChildProcess } from 'node:child_process';
import { spawnWorkerProcess } from '../../src/devstack/worker-process';
import type { TestStack } from './context';

/**
 * Worker processes for the crash tests: started from the run's workflow bundle, their output's
 * tail kept for a failure's message, and every one still alive killed by `killAll`.
 */
export function workerProcesses(stack: () => TestStack) {
  const started: ChildProcess[] = [];
  const output: string[] = [];
  return {
    output,
    start(): ChildProcess {
      const child = spawnWorkerProcess(stack(), { stdio: ['ignore', 'pipe', 'pipe'], workflowBundle: process.env.DROPS_TEST_WORKFLOW_BUNDLE });
      const keep = (b: Buffer) => output.push(...b.toString().split('\n').filter(Boolean).slice(-20));
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      started.push(child);
      return child;
    },
    killAll(): void {
      for (const w of started) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    },
  };
}
