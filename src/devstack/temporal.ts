import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { waitFor } from './wait';

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
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
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

/** Runs `temporal server start-dev` with its SQLite file under dataDir and our search attributes. */
export async function startTemporalDevServer(opts: {
  binary: string;
  dataDir: string;
  port: number;
  uiPort: number | null;
  log: (line: string) => void;
}): Promise<TemporalServer> {
  mkdirSync(opts.dataDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
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
  ];
  const logFd = openSync(join(opts.dataDir, 'temporal.log'), 'a');
  const child = spawn(opts.binary, args, { stdio: ['ignore', logFd, logFd], detached: false });
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  const address = `127.0.0.1:${opts.port}`;
  await waitFor('Temporal server', 120_000, async () => {
    if (exited !== null) throw new Error(`temporal exited with ${exited}; see ${join(opts.dataDir, 'temporal.log')}`);
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  });
  return {
    address,
    uiUrl: opts.uiPort === null ? null : `http://127.0.0.1:${opts.uiPort}`,
    process: child,
    stop: async () => {
      if (exited !== null) return;
      child.kill('SIGTERM');
      await waitFor('Temporal server to stop', 15_000, async () => exited !== null).catch(() => child.kill('SIGKILL'));
    },
  };
}
