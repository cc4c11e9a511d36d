import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEnvConfig } from '../config';
import { startPostgres } from '../devstack/postgres';
import { parseCommandArgs, usageError } from './args';
import { freePort } from '../devstack/ports';
import { PROJECT_ROOT } from '../devstack/stack';
import { ensureStripeMock, startStripeMock } from '../devstack/stripe-mock';
import { ensureTemporalCli, startTemporalDevServer } from '../devstack/temporal';
import { ensureMailpit, startMailpit } from '../devstack/mailpit';

/**
 * Test infrastructure: a real Temporal dev server, a real Postgres, stripe-mock and Mailpit on free
 * ports, fresh each run. Writes their addresses to --ready-file and runs until SIGTERM.
 */
const USAGE = 'drops infra --ready-file FILE [--only postgres]';

export async function runInfra(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('infra', USAGE, { args, options: { 'ready-file': { type: 'string' }, only: { type: 'string' } } });
  if (!parsed) return 2;
  const readyFile = parsed.values['ready-file'];
  if (!readyFile) return usageError('infra', USAGE, '--ready-file is required') ?? 2;
  if (parsed.values.only !== undefined && parsed.values.only !== 'postgres')
    return usageError('infra', USAGE, `--only takes 'postgres', not '${parsed.values.only}'`) ?? 2;
  const dataDir = join(PROJECT_ROOT, '.data', `test-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const log = (l: string) => console.error(`[infra] ${l}`);
  // --only postgres: a Postgres of its own that a test may stop (SIGUSR1) and start again (SIGUSR2).
  const postgresOnly = parsed.values.only === 'postgres';
  const [pgPort, stripePort] = [await freePort(), await freePort()];
  // Built in the background while the Temporal CLI builds (each once per machine).
  const stripeMockBinary = postgresOnly ? null : ensureStripeMock(PROJECT_ROOT, log);
  const mailpitBinary = postgresOnly ? null : ensureMailpit(PROJECT_ROOT, log);
  const [temporal, firstPg] = await Promise.all([
    postgresOnly
      ? null
      : startTemporalDevServer({ binary: ensureTemporalCli(PROJECT_ROOT, log), dataDir: join(dataDir, 'temporal'), port: 'free', uiPort: null, log }),
    startPostgres({ dataDir, port: pgPort, databaseUrl: readEnvConfig().DATABASE_URL }),
  ]);
  let pg = firstPg;
  const stripeMock = stripeMockBinary ? await startStripeMock(await stripeMockBinary, stripePort) : null;
  const mailpit = mailpitBinary ? await startMailpit({ binary: await mailpitBinary, smtpPort: await freePort(), httpPort: await freePort() }) : null;
  const ready = (state: 'up' | 'down') =>
    writeFileSync(
      readyFile,
      JSON.stringify({
        temporalAddress: temporal?.address ?? null,
        postgresAdminUrl: pg.adminUrl,
        stripeMockUrl: stripeMock?.url ?? null,
        mailpitSmtpUrl: mailpit?.smtpUrl ?? null,
        mailpitUrl: mailpit?.httpUrl ?? null,
        dataDir,
        postgres: state,
      }),
    );
  ready('up');
  // While Postgres is stopped nothing else keeps this process alive.
  const keepAlive = setInterval(() => {}, 1 << 30);
  if (postgresOnly) {
    process.on('SIGUSR1', () => void pg.stop().then(() => ready('down')));
    process.on(
      'SIGUSR2',
      () =>
        void startPostgres({ dataDir, port: pgPort }).then(
          (again) => ((pg = again), ready('up')),
          (err: unknown) => log(`postgres did not start again: ${String(err)}`),
        ),
    );
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    // The test runner died without telling us: do not outlive it.
    const parent = process.ppid;
    setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        resolve();
      }
    }, 2000).unref();
  });
  clearInterval(keepAlive);
  await Promise.allSettled([temporal?.stop(), pg.stop(), stripeMock?.stop(), mailpit?.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
  return 0;
}
