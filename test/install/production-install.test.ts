import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { secretsEnv } from '../../src/config';
import { freePort } from '../../src/devstack/ports';
import { PROJECT_ROOT } from '../../src/devstack/stack';
import { createTestDatabase, eventually, testSecrets } from '../helpers/context';

/**
 * A production install (`npm ci --omit=dev`, as the Dockerfile does, beside a copy of the
 * sources as `COPY . .` brings them) runs every `drops` command the Dockerfile and
 * docker-compose.yml use: the usage, `api`, `worker` and `simulators`, against the run's
 * Temporal and a fresh database. No devDependency (autocannon, typescript, jest…) is there.
 */
describe('production install (npm ci --omit=dev)', () => {
  let dir: string;
  const started: ChildProcess[] = [];
  const output = new Map<ChildProcess, string[]>();
  let env: NodeJS.ProcessEnv;
  let taskQueue: string;

  const drops = (command: string, extra: NodeJS.ProcessEnv = {}): ChildProcess => {
    const child = spawn(process.execPath, [join(dir, 'bin', 'drops.js'), command], { cwd: dir, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const keep = (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    output.set(child, lines);
    started.push(child);
    return child;
  };
  const alive = (child: ChildProcess, name: string) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`drops ${name} exited (${child.exitCode ?? child.signalCode}): ${output.get(child)!.slice(-15).join('\n')}`);
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drops-prod-install-'));
    for (const entry of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'bin',
      'src',
      'api',
      'activities',
      'workflows',
      'bench',
      'templates',
      'public',
    ]) {
      cpSync(join(PROJECT_ROOT, entry), join(dir, entry), { recursive: true });
    }
    const install = spawnSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', timeout: 600_000 });
    if (install.status !== 0) throw new Error(`npm ci --omit=dev failed (${install.status}): ${install.stderr}`);

    const { db, url } = await createTestDatabase();
    await db.destroy();
    taskQueue = `prod-install-${process.pid}`;
    // The child gets only the production settings (and PATH for npm's sake), not the test run's.
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: url,
      TEMPORAL_ADDRESS: process.env.DROPS_TEST_TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ...secretsEnv(testSecrets()),
      DROPS_PAYMENT_ADAPTER: 'simulator',
      DROPS_CARRIER_ADAPTER: 'simulator',
      DROPS_LOCKER_ADAPTER: 'simulator',
    };
  }, 900_000);

  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the devDependencies out', () => {
    expect(existsSync(join(dir, 'node_modules', 'tsx'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules', 'autocannon'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'typescript'))).toBe(false);
  });

  it('prints the usage and exits 0', () => {
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'drops.js')], { cwd: dir, env, encoding: 'utf8' });
    expect(r.stderr).toContain('usage: drops <command>');
    expect(r.stderr).toContain('worker | api | simulators');
    expect(r.status).toBe(0);
  });

  it('runs drops simulators, drops api (GET /healthz 200) and drops worker (polling its task queue)', async () => {
    const [simPort, apiPort] = [await freePort(), await freePort()];
    const providerUrl = `http://127.0.0.1:${simPort}`;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const common = { DROPS_PROVIDER_URL: providerUrl, DROPS_PUBLIC_API_URL: apiUrl };
    const simulators = drops('simulators', { ...common, SIMULATOR_PORT: String(simPort) });
    const api = drops('api', { ...common, API_PORT: String(apiPort) });
    const worker = drops('worker', common);

    await eventually(
      'the simulators to answer',
      async () => {
        alive(simulators, 'simulators');
        const res = await fetch(`${providerUrl}/_sim/stats`).catch(() => null);
        return res?.status === 200 ? true : undefined;
      },
      120_000,
    );
    await eventually(
      'GET /healthz 200 from drops api',
      async () => {
        alive(api, 'api');
        const res = await fetch(`${apiUrl}/healthz`).catch(() => null);
        return res?.status === 200 ? true : undefined;
      },
      120_000,
    );
    // The worker is running when it polls its task queue for both workflow and activity tasks
    // (it bundles the workflows with webpack first, as in production: no prebuilt bundle).
    const connection = await Connection.connect({ address: process.env.DROPS_TEST_TEMPORAL_ADDRESS });
    try {
      const client = new Client({ connection });
      await eventually(
        'drops worker to poll its task queue',
        async () => {
          alive(worker, 'worker');
          const describe = (taskQueueType: 1 | 2) =>
            client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType });
          const [workflows, activities] = await Promise.all([describe(1), describe(2)]);
          return workflows.pollers.length > 0 && activities.pollers.length > 0 ? true : undefined;
        },
        240_000,
      );
    } finally {
      await connection.close();
    }
    alive(api, 'api');
    alive(simulators, 'simulators');
  });
});
