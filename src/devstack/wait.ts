import { pollUntil, StopWaiting } from '../lib/poll';

export { StopWaiting };

/**
 * The dev stack's wait for a process to come up: `pollUntil` (src/lib/poll.ts) with the check's
 * errors counting as "not yet" (a server not listening yet refuses the connection).
 */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, intervalMs = 250): Promise<void> {
  await pollUntil(what, check, { timeoutMs, intervalMs, errorsMeanNotYet: true });
}
