import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../../api/app';
import type { IntakeQueueOptions } from '../services/registration/intake/intake-queue';
import { mailSettingsFromConfig, opsWebhookFromConfig, readEnvConfig, requireSecrets } from '../config';
import { SmtpEmailSender } from '../integrations/email-sender';
import { NotificationDispatcher } from '../services/notification/dispatcher';
import { createDb, migrateToLatest } from '../db/connection';
import { paymentProviderFromConfig } from '../integrations/payment-adapters';
import { carriersFromConfig, lockersFromConfig } from '../integrations/fulfillment-adapters';
import { ProviderSimulator } from '../simulators/provider-simulator';
import { createDropWorker } from '../worker/worker';
import { ensureSlaEscalation } from '../services/support/sla-escalation';

/** Production processes (see docker-compose.yml): configured only by the environment. */
function requireDatabaseUrl(url: string | undefined): string {
  if (!url) throw new Error('DATABASE_URL is required');
  return url;
}

export async function runWorker(): Promise<number> {
  const config = readEnvConfig();
  // Every setting is checked before anything connects: a misconfigured worker exits at once, saying which.
  const problems: string[] = [];
  const check = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const databaseUrl = check(() => requireDatabaseUrl(config.DATABASE_URL));
  const payments = check(() => paymentProviderFromConfig(config));
  const carriers = check(() => carriersFromConfig(config));
  const lockers = check(() => lockersFromConfig(config));
  const opsWebhook = check(() => opsWebhookFromConfig(config));
  if (!config.DROPS_CLAIM_SECRET) problems.push('missing secrets: DROPS_CLAIM_SECRET');
  // The entrants' messages: required in production (NODE_ENV=production); elsewhere sent only when SMTP_URL is set.
  const mail = check(() => mailSettingsFromConfig(config));
  // The links in messages carry the entrant's receipt token, derived with the identity secret.
  if ((mail || config.NODE_ENV === 'production') && !config.DROPS_IDENTITY_SECRET)
    problems.push('missing secrets: DROPS_IDENTITY_SECRET (required to send messages: their links carry the receipt token)');
  if (problems.length > 0 || !databaseUrl || !payments || !carriers || !lockers || opsWebhook === undefined || !config.DROPS_CLAIM_SECRET || mail === undefined)
    throw new Error(problems.join('; '));
  const db = createDb(databaseUrl);
  await migrateToLatest(db);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const worker = await createDropWorker({
    connection: await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS }),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    // A prebuilt workflow bundle starts the worker without webpack (tests restart workers).
    ...(config.DROPS_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: config.DROPS_WORKFLOW_BUNDLE } } : {}),
    deps: {
      db,
      temporal: client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      payments,
      carriers,
      lockers,
      claimSecret: config.DROPS_CLAIM_SECRET,
      opsWebhook,
    },
  });
  // Every worker starts it; the fixed id keeps it to one per task queue.
  await ensureSlaEscalation(client, { taskQueue: config.TEMPORAL_TASK_QUEUE, intervalSeconds: config.DROPS_SLA_ESCALATION_INTERVAL_SECONDS });
  let dispatcher: NotificationDispatcher | null = null;
  if (mail && config.DROPS_IDENTITY_SECRET) {
    dispatcher = new NotificationDispatcher({
      db,
      sender: new SmtpEmailSender(mail.smtpUrl, mail.from),
      secrets: { identitySecret: config.DROPS_IDENTITY_SECRET, claimSecret: config.DROPS_CLAIM_SECRET },
      publicUrl: mail.publicUrl,
      bulkPerSecond: mail.bulkPerSecond,
      maxAttempts: mail.maxAttempts,
      retryCapMs: mail.retryCapMs,
      log: (line) => console.error(line),
    });
    dispatcher.start();
  } else {
    console.error("drops worker: SMTP_URL is not set: the entrants' messages wait in the outbox (none are sent)");
  }
  await worker.run();
  await dispatcher?.stop();
  return 0;
}

/** `benchNoopRoute`/`intakeOptions`: only the intake benchmark's own API process sets them. */
export async function runApi(opts: { benchNoopRoute?: boolean; intakeOptions?: Partial<IntakeQueueOptions> } = {}): Promise<number> {
  const config = readEnvConfig();
  const secrets = requireSecrets(config);
  const databaseUrl = requireDatabaseUrl(config.DATABASE_URL);
  const db = createDb(databaseUrl, { max: 20 });
  await migrateToLatest(db);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const app = createApp({
    db,
    databaseUrl,
    temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    secrets,
    payments: paymentProviderFromConfig(config),
    ...(config.DROPS_TEMPORAL_UI_URL ? { temporalUi: { baseUrl: config.DROPS_TEMPORAL_UI_URL, namespace: config.TEMPORAL_NAMESPACE } } : {}),
    ...opts,
  });
  await new Promise<void>((resolve, reject) => {
    app.listen(config.API_PORT, '0.0.0.0', (err?: Error) => (err ? reject(err) : resolve()));
  });
  console.log(`drops api listening on :${config.API_PORT}`);
  await new Promise(() => {});
  return 0;
}

/** SIMULATORS as a process of their own (the compose topology's stand-in for real providers). */
export async function runSimulators(): Promise<number> {
  const config = readEnvConfig();
  const secrets = requireSecrets(config);
  const api = config.DROPS_PUBLIC_API_URL;
  if (!api) throw new Error('DROPS_PUBLIC_API_URL is required: where the simulators deliver webhooks');
  const simulator = new ProviderSimulator({
    port: config.SIMULATOR_PORT,
    host: '0.0.0.0',
    webhooks: {
      payments: { url: `${api}/v1/webhooks/payments`, secret: secrets.webhookSecrets.payments },
      carriers: { url: `${api}/v1/webhooks/carriers`, secret: secrets.webhookSecrets.carriers },
      lockers: { url: `${api}/v1/webhooks/lockers`, secret: secrets.webhookSecrets.lockers },
    },
  });
  console.log(`provider SIMULATORS listening at ${await simulator.start()}`);
  await new Promise(() => {});
  return 0;
}
