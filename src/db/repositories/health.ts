import { sql } from 'kysely';
import type { Db } from '../connection';

/** One round trip that needs a working connection: readiness. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
