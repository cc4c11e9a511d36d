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
  /** The Temporal web UI's base URL (DROPS_TEMPORAL_UI_URL, or the dev server's): support views link workflows there; null/absent: no links. */
  temporalUiUrl?: string | null;
  /** The Temporal namespace the workflows run in (for the UI links; default `default`). */
  temporalNamespace?: string;
}
