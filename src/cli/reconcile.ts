import { readEnvConfig } from '../config';
import { createDb } from '../db/connection';
import { findDrop } from '../db/repositories/drops';
import { paymentProviderFromConfig } from '../integrations/payment-adapters';
import { formatReconcile, reconcileDrop } from '../services/payment/reconcile';
import { parseCommandArgs, usageError } from './args';

/**
 * `drops reconcile <dropId> [--database URL] [--provider URL] [--json]`: our ledger against
 * the payment provider's records. Exit 0 when they agree, 1 on any mismatch or an unknown drop, 2 on bad usage.
 */
const USAGE = 'drops reconcile <dropId> [--database URL] [--provider URL] [--json]   (or DATABASE_URL, DROPS_PROVIDER_URL)';

export async function runReconcile(args: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    'reconcile',
    USAGE,
    { args, allowPositionals: true, options: { database: { type: 'string' }, provider: { type: 'string' }, json: { type: 'boolean' } } },
    1,
  );
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const [dropId] = positionals;
  const config = readEnvConfig();
  const databaseUrl = values.database ?? config.DATABASE_URL;
  if (!dropId) return usageError('reconcile', USAGE, 'a drop id is required') ?? 2;
  if (!databaseUrl) return usageError('reconcile', USAGE, '--database or DATABASE_URL is required') ?? 2;
  const providerUrl = values.provider ?? config.DROPS_PROVIDER_URL;
  // --provider and DROPS_PROVIDER_URL name the payment SIMULATOR's URL, so either implies that
  // adapter when none is configured.
  const adapter = config.DROPS_PAYMENT_ADAPTER ?? (providerUrl ? 'simulator' : undefined);
  const db = createDb(databaseUrl, { max: 2 });
  try {
    // A mistyped id would otherwise reconcile nothing and look clean.
    if (!(await findDrop(db, dropId))) {
      console.error(`drops reconcile: no drop ${dropId} in that database`);
      return 1;
    }
    const payments = paymentProviderFromConfig({ ...config, DROPS_PROVIDER_URL: providerUrl, DROPS_PAYMENT_ADAPTER: adapter });
    const report = await reconcileDrop({ db, payments }, dropId);
    console.log(values.json ? JSON.stringify(report) : formatReconcile(report));
    return report.reconciled ? 0 : 1;
  } finally {
    await db.destroy();
  }
}
