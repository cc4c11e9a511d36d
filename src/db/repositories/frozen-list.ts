import { to as copyTo } from 'pg-copy-streams';
import type { Db } from '../connection';
import { poolOf } from '../connection';
import { FrozenListParser, type FrozenList } from '../../domain/draw/frozen-list-parser';

/** Where the COPY text of the frozen list goes: parsed here, or by a ranking thread. */
export interface FrozenListSink {
  push(chunk: Buffer): void;
  finish(): Promise<FrozenList>;
}

/** Parses on this thread. */
export function parseHere(): FrozenListSink {
  const parser = new FrozenListParser();
  return { push: (chunk) => parser.push(chunk), finish: async () => parser.finish() };
}

export async function loadFrozenList(db: Db, dropId: string, sink: FrozenListSink = parseHere()): Promise<FrozenList> {
  const client = await poolOf(db).connect();
  try {
    // A plain sequential scan: ordering a million rows through the index costs seconds of
    // random reads; the ids are sorted here instead. Rows are parsed as they stream in, while
    // Postgres produces the next ones. COPY takes no bind parameters; the id is quoted by the driver.
    const stream = client.query(
      copyTo(`COPY (SELECT entry_id, weight, tier, region FROM entries WHERE drop_id = ${client.escapeLiteral(dropId)}) TO STDOUT`),
    );
    for await (const chunk of stream) sink.push(chunk as Buffer);
  } finally {
    client.release();
  }
  return sink.finish();
}

