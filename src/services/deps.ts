import type { Client } from '@temporalio/client';
import type { ApiSecrets } from '../config';
import type { Db } from '../db/connection';

/** What the API's services need: the read model, the Temporal client, the secrets. */
export interface ServiceDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  secrets: ApiSecrets;
}
