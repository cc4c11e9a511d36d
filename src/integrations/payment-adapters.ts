import { PAYMENT_ADAPTERS, type EnvConfig } from '../config';
import type { PaymentProvider } from './providers';
import { SimulatedPaymentAdapter } from './simulator-adapters';
import { StripePaymentAdapter } from './stripe-payment-adapter';

type PaymentConfig = Pick<EnvConfig, 'DROPS_PROVIDER_URL' | 'DROPS_PAYMENT_ADAPTER' | 'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE' | 'DROPS_PAY_PAGE_URL'>;

/** Config chooses the payment adapter: our simulator or Stripe; no default (throws naming the setting). */
export function paymentProviderFromConfig(config: PaymentConfig): PaymentProvider {
  if (!config.DROPS_PAYMENT_ADAPTER) {
    throw new Error(`DROPS_PAYMENT_ADAPTER is not set: choose ${PAYMENT_ADAPTERS.join(' | ')} (simulator: the payment SIMULATOR at DROPS_PROVIDER_URL)`);
  }
  if (config.DROPS_PAYMENT_ADAPTER === 'stripe') {
    if (!config.STRIPE_SECRET_KEY) throw new Error('missing secrets: STRIPE_SECRET_KEY (DROPS_PAYMENT_ADAPTER=stripe)');
    if (!config.DROPS_PAY_PAGE_URL) throw new Error('DROPS_PAY_PAGE_URL is required with DROPS_PAYMENT_ADAPTER=stripe');
    return new StripePaymentAdapter({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE, payPageUrl: config.DROPS_PAY_PAGE_URL });
  }
  if (!config.DROPS_PROVIDER_URL) throw new Error('DROPS_PROVIDER_URL is required with DROPS_PAYMENT_ADAPTER=simulator: where the provider SIMULATORS listen');
  return new SimulatedPaymentAdapter(config.DROPS_PROVIDER_URL);
}
