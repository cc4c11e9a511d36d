import { randomBytes } from 'node:crypto';
import { createDb, migrateToLatest, type Db } from '../../src/db/connection';
import { ensureDatabase } from '../../src/devstack/postgres';
import { startStack, type Stack, type StackOptions } from '../../src/devstack/stack';
import { DropsApiClient } from '../../src/demo/api-client';
import type { DevSecrets } from '../../src/devstack/secrets';
import { newStaffKey } from '../../src/services/staff/staff-keys';
import { installStaffKey } from '../../src/services/staff/staff';
import { pollUntil } from '../../src/lib/poll';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with jest (globalSetup starts the infrastructure)`);
  return v;
};

export const testSecrets = (): DevSecrets => {
  const r = () => randomBytes(18).toString('base64url');
  return {
    opsApiKey: newStaffKey().key,
    supportApiKey: newStaffKey().key,
    identitySecret: `id_${r()}`,
    webhookSecrets: { payments: `whsec_${r()}`, carriers: `whsec_${r()}`, lockers: `whsec_${r()}` },
    claimSecret: `claim_${r()}`,
  };
};

/** Installs the test secrets' ops and support members (a stack does it itself; an app alone does not). */
export async function installTestStaff(db: Db, secrets: DevSecrets): Promise<void> {
  await installStaffKey(db, 'Test ops', 'ops', secrets.opsApiKey);
  await installStaffKey(db, 'Test support', 'support', secrets.supportApiKey);
}

/** A fresh database with the migrations applied (one per test file). */
export async function createTestDatabase(): Promise<{ db: Db; url: string }> {
  const url = await ensureDatabase(env('DROPS_TEST_POSTGRES_ADMIN_URL'), `t_${randomBytes(6).toString('hex')}`);
  const db = createDb(url);
  await migrateToLatest(db);
  return { db, url };
}

export interface TestStack extends Stack {
  api: DropsApiClient;
}

/** The run's shared Mailpit (started by globalSetup): its SMTP URL and web/API URL. */
export const testMailpit = () => ({ smtpUrl: env('DROPS_TEST_MAILPIT_SMTP_URL'), httpUrl: env('DROPS_TEST_MAILPIT_URL') });

/**
 * The full stack against the run's Temporal and a fresh database, on its own task queue.
 * No messages are sent unless `withMail`: then a notification dispatcher sends them to the
 * run's shared Mailpit (`stack.mailpitUrl`; read them with test/helpers/mailpit.ts).
 */
export async function startTestStack(options: Partial<StackOptions> & { withMail?: boolean } = {}): Promise<TestStack> {
  const { withMail, ...overrides } = options;
  const { db, url } = await createTestDatabase();
  await db.destroy();
  const stack = await startStack({
    temporalAddress: env('DROPS_TEST_TEMPORAL_ADDRESS'),
    databaseUrl: url,
    workflowBundle: { codePath: env('DROPS_TEST_WORKFLOW_BUNDLE') },
    taskQueue: `test-${randomBytes(6).toString('hex')}`,
    apiPort: 0,
    secrets: testSecrets(),
    log: () => {},
    mail: withMail ? { smtpUrl: testMailpit().smtpUrl, mailpitUrl: testMailpit().httpUrl, retryCapMs: 2000 } : false,
    ...overrides,
  });
  return { ...stack, api: new DropsApiClient(stack.apiUrl, { ops: stack.secrets.opsApiKey, support: stack.secrets.supportApiKey }) };
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  // Boxed, so that only `undefined` means "not yet" (a check may answer false as its value).
  const boxed = await pollUntil(
    what,
    async () => {
      const value = await check();
      return value === undefined ? undefined : { value };
    },
    { timeoutMs, intervalMs: 200 },
  );
  return boxed.value;
}
