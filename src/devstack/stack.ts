import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createApp } from '../../api/app';
import { opsWebhookFromConfig, readEnvConfig, readToolingConfig, type OpsWebhook } from '../config';
import { createDb, migrateToLatest, type Db } from '../db/connection';
import { SimulatedCarrierAdapter, SimulatedLockerAdapter, SimulatedPaymentAdapter } from '../integrations/simulator-adapters';
import { ProviderSimulator, SIMULATED_CARRIERS, type ProviderSimulatorOptions } from '../simulators/provider-simulator';
import { createDropWorker } from '../worker/worker';
import { ensureDatabase, startPostgres } from './postgres';
import { loadOrCreateDevSecrets, type DevSecrets } from './secrets';
import { installStaffKey } from '../services/staff/staff';
import { ensureTemporalCli, startTemporalDevServer } from './temporal';
import { withDeadline } from '../lib/poll';
import { ensureSlaEscalation } from '../services/support/sla-escalation';
import { ensureMailpit, startMailpit } from './mailpit';
import { freePort } from './ports';
import { SmtpEmailSender } from '../integrations/email-sender';
import { NotificationDispatcher } from '../services/notification/dispatcher';

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
  /** The API's secrets and the two dev staff members' keys (installed into the database at start). */
  secrets?: DevSecrets;
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
  /** Aborting it stops the start between steps (a signal during start); what started is stopped. */
  signal?: AbortSignal;
  /**
   * When this stack starts its own Temporal or Postgres, SIGINT/SIGTERM stop the stack and exit
   * (128 + signal number), so no server outlives the process (`drops demo`, `record-histories`,
   * the benchmarks). false: the caller handles the signals itself (`drops dev`).
   */
  stopOnSignals?: boolean;
  /**
   * The SLA escalation workflow this stack's worker runs (started with the worker, terminated
   * at stop): its sweep interval (default DROPS_SLA_ESCALATION_INTERVAL_SECONDS, 60) and the ops
   * webhook (default DROPS_OPS_WEBHOOK_URL/SECRET; null: recorded, not sent). false: not started.
   */
  slaEscalation?: { intervalSeconds?: number; opsWebhook?: OpsWebhook | null } | false;
  /**
   * The entrants' messages: by default a Mailpit of this stack's own (free ports; SMTP_URL set:
   * that server instead) and a notification dispatcher beside the worker, its links to this API.
   * `smtpUrl`/`mailpitUrl`: a server already running (the tests' shared Mailpit); `dispatcher:
   * false`: no dispatcher (the rows wait in the outbox). false: neither.
   */
  mail?: { smtpUrl?: string; mailpitUrl?: string; dispatcher?: boolean; bulkPerSecond?: number; retryCapMs?: number } | false;
}

export interface Stack {
  apiUrl: string;
  taskQueue: string;
  temporalAddress: string;
  temporalUiUrl: string | null;
  providerUrl: string;
  databaseUrl: string;
  secrets: DevSecrets;
  db: Db;
  client: Client;
  simulator: ProviderSimulator;
  worker: Worker | null;
  /** Mailpit's web UI and API (null: no Mailpit of ours, e.g. SMTP_URL given). */
  mailpitUrl: string | null;
  dispatcher: NotificationDispatcher | null;
  stop(): Promise<void>;
}

/**
 * The whole local stack in one process tree: Temporal dev server and Postgres as child
 * processes; the provider simulators, the worker and the API in this process.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const dataDir = opts.dataDir ?? join(PROJECT_ROOT, '.data');
  const config = readEnvConfig();
  const taskQueue = opts.taskQueue ?? config.TEMPORAL_TASK_QUEUE;
  quietSdkLogs(opts.sdkLogLevel ?? 'WARN');
  const stops: Array<{ what: string; run: () => Promise<void> }> = [];
  const onStop = (what: string, run: () => Promise<void>) => stops.push({ what, run });
  let stopping: Promise<void> | null = null;
  // Newest first, each step with a deadline: a step that fails or hangs (an HTTP connection kept
  // open, a worker draining) must not keep the later ones, Postgres and Temporal, from stopping.
  const stop = () =>
    (stopping ??= (async () => {
      for (const step of stops.reverse()) {
        await stepWithDeadline(Promise.resolve().then(step.run), STOP_STEP_MS).catch((e) => log(`stop ${step.what}: ${String(e)}`));
      }
    })());
  const checkpoint = () => opts.signal?.throwIfAborted();
  let signalsHandled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the stack`);
    void stop().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  };
  // Installed before the first server starts; removed when the stack is stopped.
  const handleSignals = () => {
    if (signalsHandled || opts.stopOnSignals === false) return;
    signalsHandled = true;
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    onStop('the signal handlers', async () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    });
  };
  try {
    checkpoint();
    // TEMPORAL_ADDRESS / DATABASE_URL: use those servers instead of starting our own.
    let temporalAddress = opts.temporalAddress ?? readToolingConfig().TEMPORAL_ADDRESS;
    let temporalUiUrl: string | null = null;
    if (!temporalAddress) {
      handleSignals();
      const binary = ensureTemporalCli(PROJECT_ROOT, log);
      const server = await startTemporalDevServer({
        binary,
        dataDir: join(dataDir, 'temporal'),
        port: opts.temporalPort ?? 7233,
        uiPort: opts.temporalUiPort === undefined ? 8233 : opts.temporalUiPort,
        dynamicConfig: opts.temporalDynamicConfig,
        log,
      });
      onStop('Temporal', () => server.stop());
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
    }

    checkpoint();
    const givenDatabase = opts.databaseUrl ?? config.DATABASE_URL;
    if (!givenDatabase) handleSignals();
    const pg = await startPostgres({ dataDir, port: opts.postgresPort ?? 54329, databaseUrl: givenDatabase });
    onStop('Postgres', () => pg.stop());
    checkpoint();
    const databaseUrl = givenDatabase ?? (await ensureDatabase(pg.adminUrl, 'drops'));
    const db = createDb(databaseUrl, { max: 20 });
    onStop('the API pool', () => db.destroy());
    await migrateToLatest(db);
    checkpoint();

    // The SMTP server the messages go to: given, or a Mailpit of our own.
    let smtpUrl: string | null = null;
    let mailpitUrl: string | null = null;
    if (opts.mail !== false) {
      smtpUrl = opts.mail?.smtpUrl ?? config.SMTP_URL ?? null;
      mailpitUrl = opts.mail?.mailpitUrl ?? null;
      if (!smtpUrl) {
        const mailpit = await startMailpit({ binary: await ensureMailpit(PROJECT_ROOT, log), smtpPort: await freePort(), httpPort: await freePort() });
        onStop('Mailpit', () => mailpit.stop());
        smtpUrl = mailpit.smtpUrl;
        mailpitUrl = mailpit.httpUrl;
      }
    }
    checkpoint();

    const secrets = opts.secrets ?? loadOrCreateDevSecrets(join(dataDir, 'dev-secrets.json'));
    // One ops and one support member, with the keys the stack prints.
    await installStaffKey(db, 'Dev ops', 'ops', secrets.opsApiKey);
    await installStaffKey(db, 'Dev support', 'support', secrets.supportApiKey);
    const simulator = new ProviderSimulator(opts.simulator);
    const providerUrl = await simulator.start();
    onStop('the provider simulators', () => simulator.stop());

    const connection = await Connection.connect({ address: temporalAddress });
    onStop('the Temporal client', () => connection.close());
    const client = new Client({ connection });
    const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
    onStop("the worker's Temporal connection", () => nativeConnection.close());
    checkpoint();
    let worker: Worker | null = null;
    if (opts.worker !== false) {
      const workerDb = createDb(databaseUrl, { max: 20 });
      onStop("the worker's pool", () => workerDb.destroy());
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
          opsWebhook: opts.slaEscalation ? (opts.slaEscalation.opsWebhook ?? null) : opsWebhookFromConfig(config),
        },
      });
      const workerRun = w.run();
      onStop('the worker', async () => {
        // The SDK's runtime may have begun the shutdown already (it handles SIGINT/SIGTERM too).
        if (w.getState() === 'RUNNING') w.shutdown();
        await workerRun;
      });
      worker = w;
      if (opts.slaEscalation !== false) {
        const intervalSeconds = (opts.slaEscalation && opts.slaEscalation.intervalSeconds) ?? config.DROPS_SLA_ESCALATION_INTERVAL_SECONDS;
        const escalationId = await ensureSlaEscalation(client, { taskQueue, intervalSeconds });
        // This stack's own: it would otherwise keep a timer on a task queue nobody polls any more.
        onStop('the SLA escalation workflow', () =>
          client.workflow
            .getHandle(escalationId)
            .terminate('the stack stopped')
            .then(() => undefined),
        );
      }
      checkpoint();
    }

    const temporalUiLinksTo = temporalUiUrl ?? config.DROPS_TEMPORAL_UI_URL;
    const app = createApp({
      db,
      databaseUrl,
      temporal: client,
      taskQueue,
      secrets,
      payments: new SimulatedPaymentAdapter(providerUrl, { timeoutMs: opts.providerTimeoutMs }),
      // Our own dev server's UI, else the configured one (a stack on an external Temporal server).
      ...(temporalUiLinksTo ? { temporalUi: { baseUrl: temporalUiLinksTo, namespace: client.options.namespace } } : {}),
    });
    onStop('the intake', () => app.closeIntake());
    const apiPort = opts.apiPort ?? 8080;
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(apiPort, '127.0.0.1', (err?: NodeJS.ErrnoException) => {
        if (err?.code === 'EADDRINUSE') reject(new Error(`API port ${apiPort} is taken by another process: stop it, or choose another port with API_PORT`));
        else if (err) reject(err);
        else resolve(s);
      });
    });
    onStop('the API server', async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      // Keep-alive clients (a browser, the UI) would hold close() open.
      server.closeAllConnections();
      await closed;
    });
    const address = server.address();
    const apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : opts.apiPort}`;
    simulator.webhooks = {
      payments: { url: `${apiUrl}/v1/webhooks/payments`, secret: secrets.webhookSecrets.payments },
      carriers: { url: `${apiUrl}/v1/webhooks/carriers`, secret: secrets.webhookSecrets.carriers },
      lockers: { url: `${apiUrl}/v1/webhooks/lockers`, secret: secrets.webhookSecrets.lockers },
    };

    let dispatcher: NotificationDispatcher | null = null;
    if (opts.mail !== false && opts.mail?.dispatcher !== false && smtpUrl) {
      const sender = new SmtpEmailSender(smtpUrl, config.DROPS_MAIL_FROM ?? 'drops@localhost');
      onStop('the SMTP connections', () => sender.close());
      const d = new NotificationDispatcher({
        db,
        sender,
        secrets: { identitySecret: secrets.identitySecret, claimSecret: secrets.claimSecret },
        publicUrl: config.DROPS_PUBLIC_URL ?? apiUrl,
        bulkPerSecond: opts.mail?.bulkPerSecond ?? config.DROPS_NOTIFY_BULK_PER_SECOND,
        retryCapMs: opts.mail?.retryCapMs ?? config.DROPS_NOTIFY_RETRY_CAP_SECONDS * 1000,
        maxAttempts: config.DROPS_NOTIFY_MAX_ATTEMPTS,
        log,
      });
      d.start();
      onStop('the notification dispatcher', () => d.stop());
      dispatcher = d;
    }

    return {
      apiUrl,
      taskQueue,
      temporalAddress,
      temporalUiUrl,
      providerUrl,
      databaseUrl,
      secrets,
      db,
      client,
      simulator,
      worker,
      mailpitUrl,
      dispatcher,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** How long one stop step may take before the next one runs anyway. */
const STOP_STEP_MS = 15_000;

const stepWithDeadline = (p: Promise<void>, ms: number): Promise<void> => withDeadline(p, ms, `still running after ${ms} ms; going on`);

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
