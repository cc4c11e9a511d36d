import type { Client } from '@temporalio/client';
import type { OpsWebhook } from '../src/config';
import type { Db } from '../src/db/connection';
import type { CarrierProvider, LockerProvider, PaymentProvider } from '../src/integrations/providers';

/** Everything activities reach the outside world through; injected by the worker and by tests. */
export interface ActivityDeps {
  db: Db;
  /** Used to start order workflows in batches without growing the drop's history. */
  temporal: Client;
  taskQueue: string;
  payments: PaymentProvider;
  /** In order of preference: the first is tried first, the next when it fails. */
  carriers: CarrierProvider[];
  lockers: LockerProvider;
  /** Signs claim codes (the same secret the API verifies them with). */
  claimSecret: string;
  /** How often long waits poll Postgres. */
  pollIntervalMs?: number;
  /**
   * Caps one wait for a drop's orders to settle, in seconds (default: the workflow's own,
   * 300). Recording histories sets it low so the drop loops, and continues as new, in minutes.
   */
  settleWaitCapSeconds?: number;
  /** Where SLA escalations are POSTed (DROPS_OPS_WEBHOOK_URL/SECRET); null or absent: recorded, not sent. */
  opsWebhook?: OpsWebhook | null;
}
