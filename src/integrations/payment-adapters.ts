import type { EnvConfig } from '../config';
import type { PaymentProvider } from './providers';
import { SimulatedPaymentAdapter } from './simulator-adapters';

/** Config chooses the payment adapter: our simulator (default) or Stripe. */
export function paymentProviderFromConfig(config: Pick<EnvConfig, 'DROPS_PROVIDER_URL'>): PaymentProvider {
  if (!config.DROPS_PROVIDER_URL) throw new Error('DROPS_PROVIDER_URL is required for the simulated payment provider');
  return new SimulatedPaymentAdapter(config.DROPS_PROVIDER_URL);
}
