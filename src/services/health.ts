import { pingDatabase } from '../db/repositories/health';
import type { ServiceDeps } from './deps';
import { withDeadline } from '../lib/poll';

/** How long readiness waits for each dependency before calling it down. */
const CHECK_TIMEOUT_MS = 2_000;

export type DependencyState = 'ok' | 'down';
export interface Readiness {
  ready: boolean;
  postgres: DependencyState;
  temporal: DependencyState;
}

const within = <T>(ms: number, p: Promise<T>): Promise<T> => withDeadline(p, ms);

const state = (p: Promise<unknown>): Promise<DependencyState> =>
  p.then(
    () => 'ok' as const,
    () => 'down' as const,
  );

/** Whether Postgres and the Temporal frontend both answer, each within CHECK_TIMEOUT_MS, checked in parallel. */
export async function readiness(deps: Pick<ServiceDeps, 'db' | 'temporal'>): Promise<Readiness> {
  const [postgres, temporal] = await Promise.all([
    state(
      within(
        CHECK_TIMEOUT_MS,
        Promise.resolve().then(() => pingDatabase(deps.db)),
      ),
    ),
    // A deadline on the call itself, so the client's own retries stop when we stop waiting.
    state(
      within(
        CHECK_TIMEOUT_MS,
        // Inside a promise: a client that throws at once (misconfigured) is "down", not a 500.
        Promise.resolve().then(() =>
          deps.temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => deps.temporal.workflowService.getSystemInfo({})),
        ),
      ),
    ),
  ]);
  return { ready: postgres === 'ok' && temporal === 'ok', postgres, temporal };
}
