import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../src/devstack/ports';
import { PROJECT_ROOT, startStack, type Stack, type StackOptions } from '../src/devstack/stack';

/** A fresh stack for one benchmark run: its own data folder, free ports, removed afterwards. */
export async function startBenchStack(
  name: string,
  log: (l: string) => void,
  opts: Pick<StackOptions, 'worker' | 'simulator' | 'mail'> = {},
): Promise<Stack & { dataDir: string }> {
  const dataDir = join(PROJECT_ROOT, '.data', `bench-${name}-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  const stack = await startStack({
    dataDir,
    temporalPort: 'free',
    temporalUiPort: null,
    postgresPort: await freePort(),
    apiPort: 0,
    log,
    worker: opts.worker,
    sdkLogLevel: 'ERROR',
    simulator: opts.simulator,
    mail: opts.mail,
  });
  const stop = stack.stop;
  return {
    ...stack,
    dataDir,
    stop: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function benchLog(name: string): (l: string) => void {
  const started = Date.now();
  return (l: string) => console.log(`[bench ${name} ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${l}`);
}
