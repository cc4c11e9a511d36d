import { createHash } from 'node:crypto';
import { to as copyTo } from 'pg-copy-streams';
import type { Db } from '../connection';
import { poolOf } from '../connection';

/**
 * The frozen entrant list of a drop, read in one COPY in entryId byte order (the primary key's
 * order, COLLATE "C"), held as flat arrays: a million entries without a million objects.
 */
export interface FrozenList {
  ids: string[];
  weights: Int32Array;
  /** Index into `tierNames` / `regionNames` per entry. */
  tierOf: Uint16Array;
  regionOf: Uint16Array;
  tierNames: string[];
  regionNames: string[];
  /** sha256 of the `"<entryId>\t<weight>\n"` lines, as drops-lottery-v1 publishes it. */
  entrantsDigest: string;
}

export async function loadFrozenList(db: Db, dropId: string): Promise<FrozenList> {
  const client = await poolOf(db).connect();
  const parts: Buffer[] = [];
  try {
    // COPY takes no bind parameters; the id is quoted by the driver.
    const stream = client.query(
      copyTo(`COPY (SELECT entry_id, weight, tier, region FROM entries WHERE drop_id = ${client.escapeLiteral(dropId)} ORDER BY entry_id) TO STDOUT`),
    );
    for await (const chunk of stream) parts.push(chunk as Buffer);
  } finally {
    client.release();
  }
  return parseFrozenList(Buffer.concat(parts).toString('latin1'));
}

/** Parses COPY text rows `id\tweight\ttier\tregion\n` (ids, tiers and regions are plain slugs: no escapes). */
export function parseFrozenList(text: string): FrozenList {
  const lines = text.length === 0 ? [] : text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const n = lines.length;
  const ids = new Array<string>(n);
  const weights = new Int32Array(n);
  const tierOf = new Uint16Array(n);
  const regionOf = new Uint16Array(n);
  const tierIndex = new Map<string, number>();
  const regionIndex = new Map<string, number>();
  const intern = (map: Map<string, number>, v: string) => {
    let i = map.get(v);
    if (i === undefined) map.set(v, (i = map.size));
    return i;
  };
  const digest = createHash('sha256');
  const block: string[] = [];
  for (let i = 0; i < n; i++) {
    const line = lines[i]!;
    const t1 = line.indexOf('\t');
    const t2 = line.indexOf('\t', t1 + 1);
    const t3 = line.indexOf('\t', t2 + 1);
    ids[i] = line.slice(0, t1);
    weights[i] = +line.slice(t1 + 1, t2);
    tierOf[i] = intern(tierIndex, line.slice(t2 + 1, t3));
    regionOf[i] = intern(regionIndex, line.slice(t3 + 1));
    block.push(line.slice(0, t2));
    if (block.length === 8192) {
      digest.update(block.join('\n') + '\n', 'latin1');
      block.length = 0;
    }
  }
  if (block.length > 0) digest.update(block.join('\n') + '\n', 'latin1');
  return {
    ids,
    weights,
    tierOf,
    regionOf,
    tierNames: [...tierIndex.keys()],
    regionNames: [...regionIndex.keys()],
    entrantsDigest: digest.digest('hex'),
  };
}
