import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readToolingConfig } from '../config';

/** Where Debian's `chromium` package puts its launcher. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** What to run by hand when we cannot install it ourselves. */
const INSTALL_HINT = 'apt-get update && apt-get install -y chromium (as root), or set DROPS_CHROMIUM_PATH to a Chromium binary';

export interface ChromiumInstallDeps {
  exists: (path: string) => boolean;
  /** Runs a command, its output on ours; resolves with its exit code (-1: it could not start). */
  run: (command: string, args: string[], env: NodeJS.ProcessEnv) => Promise<number>;
  isRoot: () => boolean;
  configuredPath: () => string | undefined;
}

const defaultDeps: ChromiumInstallDeps = {
  exists: existsSync,
  run: (command, args, env) =>
    new Promise((resolve) => {
      const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', () => resolve(-1));
      child.on('exit', (code) => resolve(code ?? -1));
    }),
  isRoot: () => process.getuid?.() === 0,
  configuredPath: () => readToolingConfig().DROPS_CHROMIUM_PATH,
};

/**
 * The Chromium the browser tests drive: DROPS_CHROMIUM_PATH, else Debian's `/usr/bin/chromium`,
 * installed with apt-get when missing (as the project builds its other tools; minutes, once per
 * machine). Returns the binary's path. Throws, naming the command to run, when the configured
 * path does not exist, when we are not root, or when apt-get fails.
 */
export async function ensureChromium(log: (line: string) => void, deps: ChromiumInstallDeps = defaultDeps): Promise<string> {
  const configured = deps.configuredPath();
  if (configured) {
    if (deps.exists(configured)) return configured;
    throw new Error(`DROPS_CHROMIUM_PATH is ${configured}, which does not exist: fix it, or unset it to use Debian's ${DEBIAN_CHROMIUM}`);
  }
  if (deps.exists(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  if (!deps.isRoot()) throw new Error(`Chromium is missing at ${DEBIAN_CHROMIUM} and only root can install it: run ${INSTALL_HINT}`);
  log(`installing Debian's chromium package (apt-get); the first install takes a few minutes`);
  // Non-interactive: a prompt (a config file question, a restart of services) would hang the run.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const steps: Array<[string, string[]]> = [
    ['apt-get', ['update']],
    ['apt-get', ['install', '-y', 'chromium']],
  ];
  for (const [command, args] of steps) {
    const code = await deps.run(command, args, env);
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code}): run ${INSTALL_HINT}`);
  }
  if (!deps.exists(DEBIAN_CHROMIUM)) throw new Error(`apt-get installed chromium but ${DEBIAN_CHROMIUM} is missing: run ${INSTALL_HINT}`);
  return DEBIAN_CHROMIUM;
}
