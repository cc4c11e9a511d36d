import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createApp } from '../../api/app';
import type { ApiSecrets } from '../config';
import { createDb, migrateToLatest, type Db } from '../db/connection';
import { SimulatedCarrierAdapter, SimulatedLockerAdapter, SimulatedPaymentAdapter } from '../integrations/simulator-adapters';
import { ProviderSimulator, SIMULATED_CARRIERS, type ProviderSimulatorOptions } from '../simulators/provider-simulator';
import { createDropWorker } from '../worker/worker';
import { ensureDatabase, startPostgres } from './postgres';
import { loadOrCreateDevSecrets } from './secrets';
import { ensureTemporalCli, startTemporalDevServer } from './temporal';

export const PROJECT_ROOT = join(__dirname, '..', '..');

export interface StackOptions {
  dataDir?: string;
  temporalPort?: number | 'free';
  temporalUiPort?: number | null;
  postgresPort?: number;
  apiPort?: number;
  taskQueue?: string;
  /** Use this Temporal server instead of starting one (also TEMPORAL_ADDRESS). */
  temporalAddress?: string;
  /** Use this database instead of the embedded server (also DATABASE_URL). */
  databaseUrl?: string;
  workflowBundle?: { codePath: string };
  secrets?: ApiSecrets;
  log?: (line: string) => void;
  /** The provider SIMULATORS' seed, faults and simulated entrants. */
  simulator?: ProviderSimulatorOptions;
  /** Per provider request (default 10 s). */
  providerTimeoutMs?: number;
  /** false: start no worker here (a test runs its own worker process). */
  worker?: boolean;
  /** Server settings for the Temporal dev server started here (`--dynamic-config-value`). */
  temporalDynamicConfig?: Record<string, string | number | boolean>;
  /** Caps each wait for a drop's orders to settle (see ActivityDeps.settleWaitCapSeconds). */
  settleWaitCapSeconds?: number;
  /** The SDK's log level: WARN shows every failed activity attempt; ERROR suits runs that inject faults. */
  sdkLogLevel?: 'WARN' | 'ERROR';
}

export interface Stack {
  apiUrl: string;
  taskQueue: string;
  temporalAddress: string;
  temporalUiUrl: string | null;
  providerUrl: string;
  databaseUrl: string;
  secrets: ApiSecrets;
  db: Db;
  client: Client;
  simulator: ProviderSimulator;
  worker: Worker | null;
  stop(): Promise<void>;
}

/**
 * The whole local stack in one process tree: Temporal dev server and Postgres as child
 * processes; the provider simulators, the worker and the API in this process.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const dataDir = opts.dataDir ?? join(PROJECT_ROOT, '.data');
  const taskQueue = opts.taskQueue ?? process.env.TEMPORAL_TASK_QUEUE ?? 'drops';
  quietSdkLogs(opts.sdkLogLevel ?? 'WARN');
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e) => log(`stop: ${String(e)}`));
  };
  try {
    let temporalAddress = opts.temporalAddress ?? process.env.TEMPORAL_ADDRESS;
    let temporalUiUrl: string | null = null;
    if (!temporalAddress) {
      const binary = ensureTemporalCli(PROJECT_ROOT, log);
      const server = await startTemporalDevServer({
        binary,
        dataDir: join(dataDir, 'temporal'),
        port: opts.temporalPort ?? 7233,
        uiPort: opts.temporalUiPort === undefined ? 8233 : opts.temporalUiPort,
        dynamicConfig: opts.temporalDynamicConfig,
        log,
      });
      stops.push(() => server.stop());
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
    }

    const givenDatabase = opts.databaseUrl ?? process.env.DATABASE_URL;
    const pg = await startPostgres({ dataDir, port: opts.postgresPort ?? 54329, databaseUrl: givenDatabase });
    stops.push(() => pg.stop());
    const databaseUrl = givenDatabase ?? (await ensureDatabase(pg.adminUrl, 'drops'));
    const db = createDb(databaseUrl, { max: 20 });
    stops.push(() => db.destroy());
    await migrateToLatest(db);

    const secrets = opts.secrets ?? loadOrCreateDevSecrets(join(dataDir, 'dev-secrets.json'));
    const simulator = new ProviderSimulator(opts.simulator);
    const providerUrl = await simulator.start();
    stops.push(() => simulator.stop());

    const connection = await Connection.connect({ address: temporalAddress });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
    stops.push(() => nativeConnection.close());
    let worker: Worker | null = null;
    if (opts.worker !== false) {
      const workerDb = createDb(databaseUrl, { max: 20 });
      stops.push(() => workerDb.destroy());
      const adapter = { timeoutMs: opts.providerTimeoutMs };
      const w = await createDropWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: opts.workflowBundle,
        deps: {
          // The worker's own pool, as in production where it is its own process: 200 concurrent
          // activities must not starve the API of connections.
          db: workerDb,
          temporal: client,
          taskQueue,
          payments: new SimulatedPaymentAdapter(providerUrl, adapter),
          carriers: SIMULATED_CARRIERS.map((c) => new SimulatedCarrierAdapter(providerUrl, c, adapter)),
          lockers: new SimulatedLockerAdapter(providerUrl, adapter),
          claimSecret: secrets.claimSecret,
          settleWaitCapSeconds: opts.settleWaitCapSeconds,
        },
      });
      const workerRun = w.run();
      stops.push(async () => {
        w.shutdown();
        await workerRun;
      });
      worker = w;
    }

    const app = createApp({
      db,
      databaseUrl,
      temporal: client,
      taskQueue,
      secrets,
      payments: new SimulatedPaymentAdapter(providerUrl, { timeoutMs: opts.providerTimeoutMs }),
    });
    stops.push(() => app.closeIntake());
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(opts.apiPort ?? 8080, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    stops.push(() => new Promise<void>((r) => server.close(() => r())));
    const address = server.address();
    const apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : opts.apiPort}`;
    simulator.webhooks = {
      payments: { url: `${apiUrl}/v1/webhooks/payments`, secret: secrets.webhookSecrets.payments },
      carriers: { url: `${apiUrl}/v1/webhooks/carriers`, secret: secrets.webhookSecrets.carriers },
      lockers: { url: `${apiUrl}/v1/webhooks/lockers`, secret: secrets.webhookSecrets.lockers },
    };

    return { apiUrl, taskQueue, temporalAddress, temporalUiUrl, providerUrl, databaseUrl, secrets, db, client, simulator, worker, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

let runtimeInstalled = false;
/** The SDK logs every bundle step at INFO; keep warnings and errors only. Once per process. */
function quietSdkLogs(level: 'WARN' | 'ERROR') {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Already installed by an earlier stack in this process (test files share one).
  }
}
