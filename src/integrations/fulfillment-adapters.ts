import { CARRIER_ADAPTERS, LOCKER_ADAPTERS, type EnvConfig } from '../config';
import type { CarrierProvider, LockerProvider } from './providers';
import { SimulatedCarrierAdapter, SimulatedLockerAdapter, type AdapterOptions } from './simulator-adapters';
import { SIMULATED_CARRIERS } from '../simulators/provider-simulator';

type FulfillmentConfig = Pick<EnvConfig, 'DROPS_PROVIDER_URL' | 'DROPS_CARRIER_ADAPTER' | 'DROPS_LOCKER_ADAPTER'>;

/**
 * Config chooses the carrier adapters (in fallback order). There is no default: only the
 * provider SIMULATORS exist so far, and production must choose them explicitly rather than
 * ship parcels through a simulator by accident. Throws naming the missing setting.
 */
export function carriersFromConfig(config: FulfillmentConfig, opts: AdapterOptions = {}): CarrierProvider[] {
  const adapter = config.DROPS_CARRIER_ADAPTER;
  if (!adapter)
    throw new Error(
      `DROPS_CARRIER_ADAPTER is not set: choose ${CARRIER_ADAPTERS.join(' | ')} (the carrier SIMULATORS at DROPS_PROVIDER_URL; real carrier adapters are not built yet)`,
    );
  const url = simulatorUrl(config, 'DROPS_CARRIER_ADAPTER');
  return SIMULATED_CARRIERS.map((carrier) => new SimulatedCarrierAdapter(url, carrier, opts));
}

/** Config chooses the locker network's adapter; no default, as for carriers. */
export function lockersFromConfig(config: FulfillmentConfig, opts: AdapterOptions = {}): LockerProvider {
  const adapter = config.DROPS_LOCKER_ADAPTER;
  if (!adapter)
    throw new Error(
      `DROPS_LOCKER_ADAPTER is not set: choose ${LOCKER_ADAPTERS.join(' | ')} (the locker SIMULATOR at DROPS_PROVIDER_URL; a real locker network adapter is not built yet)`,
    );
  return new SimulatedLockerAdapter(simulatorUrl(config, 'DROPS_LOCKER_ADAPTER'), opts);
}

function simulatorUrl(config: FulfillmentConfig, setting: string): string {
  if (!config.DROPS_PROVIDER_URL) throw new Error(`DROPS_PROVIDER_URL is required with ${setting}=simulator: where the provider SIMULATORS listen`);
  return config.DROPS_PROVIDER_URL;
}
