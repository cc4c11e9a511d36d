import { z } from 'zod';

/**
 * Process configuration, read once from the environment. Secrets (webhook secrets, the claim secret,
 * the identity HMAC key) only ever come from here and are never logged.
 */
export const PAYMENT_ADAPTERS = ['simulator', 'stripe'] as const;
export const CARRIER_ADAPTERS = ['simulator'] as const;
export const LOCKER_ADAPTERS = ['simulator'] as const;

const configSchema = z.object({
  DATABASE_URL: z.string().optional(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('drops'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DROPS_IDENTITY_SECRET: z.string().min(16).optional(),
  DROPS_WEBHOOK_SECRET_PAYMENTS: z.string().min(16).optional(),
  DROPS_WEBHOOK_SECRET_CARRIERS: z.string().min(16).optional(),
  DROPS_WEBHOOK_SECRET_LOCKERS: z.string().min(16).optional(),
  DROPS_CLAIM_SECRET: z.string().min(16).optional(),
  DROPS_PROVIDER_URL: z.string().url().optional(),
  DROPS_PUBLIC_API_URL: z.string().url().optional(),
  /**
   * Which provider adapters the worker (and the API, for payments) use. No default: production
   * must say it means the SIMULATORS (at DROPS_PROVIDER_URL) rather than get them silently.
   * Carriers and lockers have only simulator adapters so far.
   */
  DROPS_PAYMENT_ADAPTER: z.enum(PAYMENT_ADAPTERS).optional(),
  DROPS_CARRIER_ADAPTER: z.enum(CARRIER_ADAPTERS).optional(),
  DROPS_LOCKER_ADAPTER: z.enum(LOCKER_ADAPTERS).optional(),
  STRIPE_SECRET_KEY: z.string().min(8).optional(),
  /** stripe-mock or a proxy; Stripe's own API when unset. */
  STRIPE_API_BASE: z.string().url().optional(),
  /**
   * Our pay page (Stripe only). Pay links give it the intent's id and client secret in the URL
   * fragment (`#payment_intent=…&client_secret=…`, read by the page's script), never the query string.
   */
  DROPS_PAY_PAGE_URL: z.string().url().optional(),
  /** The Temporal web UI (e.g. http://127.0.0.1:8233): drop and order views link to their workflows there; unset, no links. */
  DROPS_TEMPORAL_UI_URL: z.string().url().optional(),
  /** `drops simulators`: the port the provider SIMULATORS listen on. */
  SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(9090),
  /** A prebuilt workflow bundle (a file path): the worker starts without webpack. */
  DROPS_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /**
   * Where the worker POSTs an exception's SLA escalation (signed like provider webhooks:
   * `x-drops-signature: t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<body>")>`). Unset: escalations are
   * recorded (exceptions.escalated_at, an event) and no webhook is sent. The secret is required with the URL.
   */
  DROPS_OPS_WEBHOOK_URL: z.string().url().optional(),
  DROPS_OPS_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** How often the SLA escalation workflow looks for exceptions past their deadline, in seconds. */
  DROPS_SLA_ESCALATION_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** `production`: the worker refuses to start without its mail settings (below) instead of sending nothing. */
  NODE_ENV: z.string().optional(),
  /** The entrants' messages (issue 15): the SMTP server (smtp://user:pass@host:port, smtps://…); unset outside production: no messages are sent. */
  SMTP_URL: z.string().url().optional(),
  /** The messages' From address (default outside production: drops@localhost). */
  DROPS_MAIL_FROM: z.string().min(3).optional(),
  /** Where entrants reach the API from outside: the base of the links in their messages. */
  DROPS_PUBLIC_URL: z.string().url().optional(),
  /** Bulk messages (the waitlist, a cancellation) sent per second, per dispatcher. */
  DROPS_NOTIFY_BULK_PER_SECOND: z.coerce.number().min(0.1).max(10_000).default(50),
  /** Delivery attempts before a message is `failed` (default 250: over an hour of retries at the 30 s cap). */
  DROPS_NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100_000).default(250),
  /** The longest pause between two delivery attempts of one message, in seconds. */
  DROPS_NOTIFY_RETRY_CAP_SECONDS: z.coerce.number().min(1).max(3600).default(30),
});

export type EnvConfig = z.infer<typeof configSchema>;

export function readEnvConfig(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  return parseEnv(configSchema, env);
}

function parseEnv<T extends z.ZodObject>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    // Name the variables, never their values: some of them are secrets.
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`invalid configuration in: ${names}`);
  }
  return parsed.data;
}

const flag = z
  .string()
  .optional()
  .transform((v) => Boolean(v) && v !== '0' && v !== 'false');

/**
 * Settings of the local tooling (the dev stack, the test infrastructure, the benchmarks) and
 * diagnostics. Parsed apart from the process configuration, so a diagnostic switch read at
 * module load never fails on an unrelated production setting.
 */
const toolingSchema = z.object({
  /** The dev stack (`drops dev`, `drops record-histories`): use this Temporal server instead of starting one. */
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  /** `drops dev`: where its Temporal SQLite file, Postgres data and dev secrets live (default `<project>/.data`). */
  DROPS_DATA_DIR: z.string().min(1).optional(),
  /** `drops dev`: the fixed ports of its Temporal server, Temporal UI and Postgres; a taken one is an error. */
  DROPS_DEV_TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  DROPS_DEV_TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  DROPS_DEV_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  /** `drops dev`: the provider SIMULATORS' port (default: any free port). */
  DROPS_DEV_SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** A `temporal` binary to use instead of `.tools/bin` or PATH. */
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  /** A Chromium binary for the browser tests instead of Debian's `/usr/bin/chromium`. */
  DROPS_CHROMIUM_PATH: z.string().min(1).optional(),
  /** A `stripe-mock` binary to use instead of `.tools/bin`. */
  STRIPE_MOCK_PATH: z.string().min(1).optional(),
  /** A `mailpit` binary to use instead of `.tools/bin`. */
  MAILPIT_PATH: z.string().min(1).optional(),
  /** Show the embedded Postgres server's own log lines. */
  DROPS_POSTGRES_LOG: flag,
  /** Log each intake batch's size and timings. */
  DROPS_INTAKE_TRACE: flag,
  /** The intake benchmark: Node flags for its API process (space-separated, e.g. `--cpu-prof`). */
  DROPS_BENCH_API_NODE_FLAGS: z.string().default(''),
  /** The intake benchmark's API process: intake queue options as JSON (set by the benchmark). */
  DROPS_BENCH_INTAKE_OPTIONS: z.string().default('{}'),
});

export type ToolingConfig = z.infer<typeof toolingSchema>;

export function readToolingConfig(env: NodeJS.ProcessEnv = process.env): ToolingConfig {
  return parseEnv(toolingSchema, env);
}

/** The ops webhook SLA escalations are sent to: null when no URL is set; a URL without its secret is an error. */
export interface OpsWebhook {
  url: string;
  secret: string;
}

export function opsWebhookFromConfig(config: EnvConfig): OpsWebhook | null {
  if (!config.DROPS_OPS_WEBHOOK_URL) return null;
  if (!config.DROPS_OPS_WEBHOOK_SECRET) throw new Error('missing secrets: DROPS_OPS_WEBHOOK_SECRET (required with DROPS_OPS_WEBHOOK_URL)');
  return { url: config.DROPS_OPS_WEBHOOK_URL, secret: config.DROPS_OPS_WEBHOOK_SECRET };
}

/** How the worker sends the entrants' messages (src/services/notification/dispatcher.ts). */
export interface MailSettings {
  smtpUrl: string;
  from: string;
  /** Base URL of the links in messages (the API as entrants reach it). */
  publicUrl: string;
  bulkPerSecond: number;
  maxAttempts: number;
  retryCapMs: number;
}

/**
 * The mail settings, or null when no SMTP_URL is set outside production (nothing is sent; the
 * messages wait in the outbox). With NODE_ENV=production, SMTP_URL, DROPS_PUBLIC_URL and
 * DROPS_MAIL_FROM are required: throws naming each one missing.
 */
export function mailSettingsFromConfig(config: EnvConfig): MailSettings | null {
  const production = config.NODE_ENV === 'production';
  if (production) {
    const missing = (['SMTP_URL', 'DROPS_PUBLIC_URL', 'DROPS_MAIL_FROM'] as const).filter((k) => !config[k]);
    if (missing.length > 0) throw new Error(`missing mail settings: ${missing.join(', ')} (required in production: the worker sends the entrants' messages)`);
  }
  if (!config.SMTP_URL) return null;
  return {
    smtpUrl: config.SMTP_URL,
    from: config.DROPS_MAIL_FROM ?? 'drops@localhost',
    publicUrl: config.DROPS_PUBLIC_URL ?? `http://127.0.0.1:${config.API_PORT}`,
    bulkPerSecond: config.DROPS_NOTIFY_BULK_PER_SECOND,
    maxAttempts: config.DROPS_NOTIFY_MAX_ATTEMPTS,
    retryCapMs: config.DROPS_NOTIFY_RETRY_CAP_SECONDS * 1000,
  };
}

/**
 * Secrets every API process needs. Staff API keys are not among them: each staff member has
 * their own, stored as a hash in the database (`drops staff add`).
 */
export interface ApiSecrets {
  identitySecret: string;
  webhookSecrets: { payments: string; carriers: string; lockers: string };
  /** Signs the claim codes that open locker compartments. */
  claimSecret: string;
}

export function requireSecrets(config: EnvConfig): ApiSecrets {
  const missing: string[] = [];
  const need = (name: keyof EnvConfig): string => {
    const v = config[name];
    if (typeof v !== 'string') {
      missing.push(name);
      return '';
    }
    return v;
  };
  const secrets: ApiSecrets = {
    identitySecret: need('DROPS_IDENTITY_SECRET'),
    webhookSecrets: {
      payments: need('DROPS_WEBHOOK_SECRET_PAYMENTS'),
      carriers: need('DROPS_WEBHOOK_SECRET_CARRIERS'),
      lockers: need('DROPS_WEBHOOK_SECRET_LOCKERS'),
    },
    claimSecret: need('DROPS_CLAIM_SECRET'),
  };
  if (missing.length > 0) throw new Error(`missing secrets: ${missing.join(', ')}`);
  return secrets;
}

/** The environment that `requireSecrets` reads them back from: for starting our own child processes. */
export function secretsEnv(secrets: ApiSecrets): Record<string, string> {
  return {
    DROPS_IDENTITY_SECRET: secrets.identitySecret,
    DROPS_WEBHOOK_SECRET_PAYMENTS: secrets.webhookSecrets.payments,
    DROPS_WEBHOOK_SECRET_CARRIERS: secrets.webhookSecrets.carriers,
    DROPS_WEBHOOK_SECRET_LOCKERS: secrets.webhookSecrets.lockers,
    DROPS_CLAIM_SECRET: secrets.claimSecret,
  };
}
