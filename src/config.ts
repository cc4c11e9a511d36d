import { z } from 'zod';

/**
 * Process configuration, read once from the environment. Secrets (API keys, webhook secrets,
 * the identity HMAC key) only ever come from here and are never logged.
 */
const configSchema = z.object({
  DATABASE_URL: z.string().optional(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('drops'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DROPS_OPS_API_KEY: z.string().min(16).optional(),
  DROPS_SUPPORT_API_KEY: z.string().min(16).optional(),
  DROPS_IDENTITY_SECRET: z.string().min(16).optional(),
  DROPS_WEBHOOK_SECRET_PAYMENTS: z.string().min(16).optional(),
  DROPS_WEBHOOK_SECRET_CARRIERS: z.string().min(16).optional(),
  DROPS_WEBHOOK_SECRET_LOCKERS: z.string().min(16).optional(),
  DROPS_CLAIM_SECRET: z.string().min(16).optional(),
  DROPS_PROVIDER_URL: z.string().url().optional(),
  DROPS_PUBLIC_API_URL: z.string().url().optional(),
  /** Which payment adapter the worker uses: our simulator (DROPS_PROVIDER_URL) or Stripe. */
  DROPS_PAYMENT_ADAPTER: z.enum(['simulator', 'stripe']).default('simulator'),
  STRIPE_SECRET_KEY: z.string().min(8).optional(),
  /** stripe-mock or a proxy; Stripe's own API when unset. */
  STRIPE_API_BASE: z.string().url().optional(),
  /**
   * Our pay page (Stripe only). Pay links give it the intent's id and client secret in the URL
   * fragment (`#payment_intent=…&client_secret=…`, read by the page's script), never the query string.
   */
  DROPS_PAY_PAGE_URL: z.string().url().optional(),
});

export type EnvConfig = z.infer<typeof configSchema>;

export function readEnvConfig(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    // Name the variables, never their values: some of them are secrets.
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`invalid configuration in: ${names}`);
  }
  return parsed.data;
}

/** Secrets every API process needs. */
export interface ApiSecrets {
  opsApiKey: string;
  supportApiKey: string;
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
    opsApiKey: need('DROPS_OPS_API_KEY'),
    supportApiKey: need('DROPS_SUPPORT_API_KEY'),
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
    DROPS_OPS_API_KEY: secrets.opsApiKey,
    DROPS_SUPPORT_API_KEY: secrets.supportApiKey,
    DROPS_IDENTITY_SECRET: secrets.identitySecret,
    DROPS_WEBHOOK_SECRET_PAYMENTS: secrets.webhookSecrets.payments,
    DROPS_WEBHOOK_SECRET_CARRIERS: secrets.webhookSecrets.carriers,
    DROPS_WEBHOOK_SECRET_LOCKERS: secrets.webhookSecrets.lockers,
    DROPS_CLAIM_SECRET: secrets.claimSecret,
  };
}
