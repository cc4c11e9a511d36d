import type { ChildProcess } from 'node:child_process';

export default async function globalTeardown(): Promise<void> {
  const child = (globalThis as any).__dropsInfra as ChildProcess | undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  // The give-up timer is cleared once the child exits: a pending one kept Jest alive after the run.
  let giveUp: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (giveUp = setTimeout(r, 20_000)))]);
  clearTimeout(giveUp);
}
