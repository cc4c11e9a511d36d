import { readEnvConfig } from '../config';
import { createDb } from '../db/connection';
import { paymentProviderFromConfig } from '../integrations/payment-adapters';
import { formatReconcile, reconcileDrop } from '../services/reconcile';

/**
 * `drops reconcile <dropId> [--database URL] [--provider URL] [--json]`: our ledger against
 * the payment provider's records. Exit 0 when they agree, 1 on any mismatch, 2 on bad usage.
 */
export async function runReconcile(args: string[]): Promise<number> {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const dropId = args.find((a, i) => !a.startsWith('--') && !(args[i - 1]?.startsWith('--') && args[i - 1] !== '--json'));
  const config = readEnvConfig();
  const databaseUrl = flag('--database') ?? config.DATABASE_URL;
  if (!dropId || !databaseUrl) {
    console.error('usage: drops reconcile <dropId> [--database URL] [--provider URL] [--json]   (or DATABASE_URL, DROPS_PROVIDER_URL)');
    return 2;
  }
  const providerUrl = flag('--provider') ?? config.DROPS_PROVIDER_URL;
  const db = createDb(databaseUrl, { max: 2 });
  try {
    const payments = paymentProviderFromConfig({ ...config, DROPS_PROVIDER_URL: providerUrl });
    const report = await reconcileDrop({ db, payments }, dropId);
    console.log(args.includes('--json') ? JSON.stringify(report) : formatReconcile(report));
    return report.reconciled ? 0 : 1;
  } finally {
    await db.destroy();
  }
}
