import type { Client } from '@temporalio/client';
import type { ApiSecrets } from '../config';
import type { Db } from '../db/connection';
import type { PaymentProvider } from '../integrations/providers';
import type { EntryIntakeQueue } from './registration/intake/intake-queue';

/** What the API's services need: the read model, the Temporal client, the secrets, the intake queue. */
export interface ServiceDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  secrets: ApiSecrets;
  intake: EntryIntakeQueue;
  /** authorize_at_entry: the hold on the entrant's card is placed at registration. */
  payments: PaymentProvider;
  /** The Temporal web UI that views link to, and the namespace the workflows run in; absent: no links. */
  temporalUi?: { baseUrl: string; namespace: string };
}
