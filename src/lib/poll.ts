/**
 * "Poll until a deadline": the one implementation, used by the dev stack, the demo, the
 * benchmarks, the activities and the tests. No sleeps without a deadline anywhere else.
 */

/** Thrown by a check when waiting longer cannot help (the awaited process has exited): ends the wait at once. */
export class StopWaiting extends Error {}

export interface PollOptions {
  /** Give up this many ms from now... */
  timeoutMs?: number;
  /** ...or at this moment (ms since the epoch), e.g. one deadline shared by several waits. */
  deadline?: number;
  /** Pause between two checks, in ms (default 250). */
  intervalMs?: number;
  /**
   * Errors thrown by the check count as "not yet" (the last one is told at the timeout); a
   * StopWaiting always ends the wait. Default false: an error ends the wait.
   */
  errorsMeanNotYet?: boolean;
  /** How to pause (default a timer); e.g. to end the pause early when an activity is cancelled. */
  pause?: (ms: number) => Promise<unknown>;
}

/** What a check answers: a value once done, `undefined` or `false` while not yet. */
type Check<T> = () => Promise<T | undefined | false>;

export type PollOutcome<T> = { done: true; value: T } | { done: false; lastError?: unknown };

export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it gives a value or the deadline passes; never throws for the timeout. */
export async function pollUntilDeadline<T>(check: Check<T>, o: PollOptions): Promise<PollOutcome<T>> {
  const deadline = o.deadline ?? Date.now() + (o.timeoutMs ?? 60_000);
  const wait = o.pause ?? pause;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return { done: true, value: v };
    } catch (err) {
      if (!o.errorsMeanNotYet || err instanceof StopWaiting) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) return { done: false, lastError };
    await wait(o.intervalMs ?? 250);
  }
}

/**
 * Polls `check` until it gives a value (returned) or the deadline passes (throws
 * "timed out … waiting for <what>", with the check's last error if errors mean "not yet").
 */
export async function pollUntil<T>(what: string, check: Check<T>, o: PollOptions): Promise<T> {
  const outcome = await pollUntilDeadline(check, o);
  if (outcome.done) return outcome.value;
  const after = o.timeoutMs !== undefined ? ` after ${o.timeoutMs} ms` : '';
  const cause = outcome.lastError !== undefined ? `: ${String(outcome.lastError)}` : '';
  throw new Error(`timed out${after} waiting for ${what}${cause}`);
}

/** `p`, or a rejection with `lateMessage` once `ms` pass first (`p` itself is not stopped). */
export function withDeadline<T>(p: Promise<T>, ms: number, lateMessage = `no answer in ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(lateMessage)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
