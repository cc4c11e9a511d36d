import { bundleWorkflowCode } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChromium } from '../../src/devstack/chromium';
import { pollUntil } from '../../src/lib/poll';

const ROOT = join(__dirname, '..', '..');

/**
 * Starts one real Temporal dev server, one real Postgres, stripe-mock and Mailpit for the whole run
 * (building the Temporal CLI and stripe-mock on a fresh machine), and bundles the workflows
 * once for every test worker. Installs Chromium for the browser tests when it is missing.
 */
export default async function globalSetup(): Promise<void> {
  const dir = join(ROOT, '.data');
  mkdirSync(dir, { recursive: true });
  const readyFile = join(dir, `test-infra-${process.pid}.json`);
  rmSync(readyFile, { force: true });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'drops.js'), 'infra', '--ready-file', readyFile], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  (globalThis as any).__dropsInfra = child;
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code));
  // Installed (apt-get, minutes on a fresh machine) while the infrastructure comes up; awaited at the end.
  const chromium = ensureChromium((line) => console.log(line));
  chromium.catch(() => {}); // its error is thrown by the await below, not as an unhandled rejection

  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  const bundlePath = join(dir, `test-workflow-bundle-${process.pid}.js`);
  writeFileSync(bundlePath, bundle.code);

  // The first run on a fresh machine builds the Temporal CLI: allow it minutes.
  await pollUntil(
    'the test infrastructure to come up',
    async () => {
      if (exited !== null) throw new Error(`test infrastructure exited with ${exited}`);
      return existsSync(readyFile);
    },
    { timeoutMs: 20 * 60_000, intervalMs: 200 },
  );
  const infra = JSON.parse(readFileSync(readyFile, 'utf8'));
  process.env.DROPS_TEST_TEMPORAL_ADDRESS = infra.temporalAddress;
  process.env.DROPS_TEST_POSTGRES_ADMIN_URL = infra.postgresAdminUrl;
  process.env.DROPS_TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.DROPS_TEST_STRIPE_MOCK_URL = infra.stripeMockUrl;
  process.env.DROPS_TEST_MAILPIT_SMTP_URL = infra.mailpitSmtpUrl;
  process.env.DROPS_TEST_MAILPIT_URL = infra.mailpitUrl;
  process.env.DROPS_TEST_CHROMIUM_PATH = await chromium;
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};
