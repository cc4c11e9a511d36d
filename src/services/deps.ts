import type { Client } from '@temporalio/client';
import type { ApiSecrets } from '../config';
import type { Db } from '../db/connection';
import type { EntryIntakeQueue } from './intake/intake-queue';

/** What the API's services need: the read model, the Temporal client, the secrets, the intake queue. */
export interface ServiceDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  secrets: ApiSecrets;
  intake: EntryIntakeQueue;
}
