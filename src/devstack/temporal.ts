import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { readToolingConfig } from '../config';
import { freePort, isPortFree } from './ports';
import { StopWaiting, waitFor } from './wait';
import { withRetries } from '../lib/retry';

/** The pinned Temporal CLI (embeds Temporal Server 1.29.1); see docs/field-notes. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

const onPath = (name: string): string | null => {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};

/**
 * Finds the `temporal` binary: TEMPORAL_CLI_PATH, PATH, the project's .tools/bin, or builds it
 * there from the CLI's Go module (minutes, once per machine).
 */
export function ensureTemporalCli(root: string, log: (line: string) => void): string {
  const fromEnv = readToolingConfig().TEMPORAL_CLI_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const local = join(root, '.tools', 'bin', 'temporal');
  if (existsSync(local)) return local;
  const global = onPath('temporal');
  if (global) return global;
  if (!onPath('go')) {
    throw new Error('no temporal binary and no Go toolchain to build it: install the Temporal CLI or set TEMPORAL_CLI_PATH');
  }
  log(`building the Temporal CLI (${TEMPORAL_CLI_MODULE}) into .tools/bin; the first build takes a few minutes`);
  mkdirSync(join(root, '.tools', 'bin'), { recursive: true });
  const r = spawnSync('go', ['install', TEMPORAL_CLI_MODULE], {
    env: { ...process.env, CGO_ENABLED: '0', GOBIN: join(root, '.tools', 'bin') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(local)) throw new Error(`go install ${TEMPORAL_CLI_MODULE} failed (exit ${r.status})`);
  return local;
}

export interface TemporalServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

interface DevServerOptions {
  binary: string;
  dataDir: string;
  /** 'free': a port the system says is free; tried again with another if it is taken before the server binds it. */
  port: number | 'free';
  uiPort: number | null;
  log: (line: string) => void;
  /** Where 'free' ports come from (tests hand out a taken one first). */
  pickPort?: () => Promise<number>;
  /** Server settings, each passed as `--dynamic-config-value key=<JSON value>`. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

/** Runs `temporal server start-dev` with its SQLite file under dataDir and our search attributes. */
export async function startTemporalDevServer(opts: DevServerOptions): Promise<TemporalServer> {
  if (opts.port !== 'free') return startOnPort(opts, opts.port);
  // A port found free can be handed to another process's outgoing connection before the
  // server binds it (seen once in a few dozen starts on a busy machine).
  return withRetries(async () => startOnPort(opts, await (opts.pickPort ?? freePort)()), {
    attempts: 3,
    initialBackoffMs: 0,
    isFinal: (err) => !(err instanceof PortTakenError),
    onRetry: (err) => opts.log(`${(err as Error).message}; starting Temporal on another port`),
  });
}

/** The server exited because its port was taken: another port may succeed. */
export class PortTakenError extends StopWaiting {}

async function startOnPort(opts: DevServerOptions, port: number): Promise<TemporalServer> {
  // A server already on the port would answer our readiness probe before our own server failed
  // to bind it, and we would use it: never use a server we did not start.
  if (!(await isPortFree(port))) {
    throw new PortTakenError(
      `Temporal port ${port} is taken by another process (perhaps a Temporal server an earlier drops dev left running): stop it, or choose another port (DROPS_DEV_TEMPORAL_PORT)`,
    );
  }
  if (opts.uiPort !== null && !(await isPortFree(opts.uiPort))) {
    throw new Error(`Temporal UI port ${opts.uiPort} is taken by another process: stop it, or choose another port (DROPS_DEV_TEMPORAL_UI_PORT)`);
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--db-filename',
    join(opts.dataDir, 'temporal.sqlite'),
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=OFF',
    '--log-level',
    'warn',
    ...(opts.uiPort === null ? ['--headless'] : ['--ui-port', String(opts.uiPort)]),
    ...SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
    ...Object.entries(opts.dynamicConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
  ];
  const logPath = join(opts.dataDir, 'temporal.log');
  const logStart = existsSync(logPath) ? statSync(logPath).size : 0;
  const logFd = openSync(logPath, 'a');
  const child = spawn(opts.binary, args, { stdio: ['ignore', logFd, logFd], detached: false });
  let exited: number | null = null;
  // If this process exits without stopping the server (a crash, process.exit), take it along.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.on('exit', (code) => {
    exited = code ?? -1;
    process.removeListener('exit', killOnExit);
  });
  const address = `127.0.0.1:${port}`;
  const exitedEarly = () => {
    const said = readFileSync(logPath).subarray(logStart).toString('utf8');
    if (said.includes(`${address}: bind: address already in use`)) return new PortTakenError(`Temporal port ${port} was taken before Temporal bound it`);
    return new StopWaiting(`temporal exited with ${exited}; see ${logPath}`);
  };
  try {
    await waitFor('Temporal server', 120_000, async () => {
      if (exited !== null) throw exitedEarly();
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return true;
      } finally {
        await connection.close();
      }
    });
    // What answered must be our server, still running (not one that took the port meanwhile).
    if (exited !== null) throw exitedEarly();
  } catch (err) {
    // A server that never became ready is not left behind.
    if (exited === null) child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    uiUrl: opts.uiPort === null ? null : `http://127.0.0.1:${opts.uiPort}`,
    process: child,
    stop: async () => {
      if (exited !== null) return;
      child.kill('SIGTERM');
      await waitFor('Temporal server to stop', 15_000, async () => exited !== null).catch(async () => {
        child.kill('SIGKILL');
        await waitFor('Temporal server to be killed', 5_000, async () => exited !== null);
      });
    },
  };
}
