import { to as copyTo } from 'pg-copy-streams';
import type { Db } from '../connection';
import { poolOf } from '../connection';

/**
 * Streams a drop's frozen entrant list as COPY text rows (`entry_id\tweight\ttier\tregion\n`) to
 * `sink`, in no particular order: a plain sequential scan, because ordering a million rows
 * through the index costs seconds of random reads, and nothing needs them in order (the digest
 * sorts its own lines). Rows stream while Postgres produces the next ones.
 */
export async function streamFrozenList(db: Db, dropId: string, sink: { push(chunk: Buffer): void }): Promise<void> {
  const client = await poolOf(db).connect();
  try {
    // COPY takes no bind parameters; the id is quoted by the driver.
    const stream = client.query(copyTo(`COPY (SELECT entry_id, weight, tier, region FROM entries WHERE drop_id = ${client.escapeLiteral(dropId)}) TO STDOUT`));
    for await (const chunk of stream) sink.push(chunk as Buffer);
  } finally {
    client.release();
  }
}
