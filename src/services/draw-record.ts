import { sql } from 'kysely';
import { ApiError } from '../../api/errors';
import { DRAW_ALGORITHM } from '../domain/draw/lottery';
import type { Db } from '../db/connection';
import { findDrop } from '../db/repositories/drops';

const PAGE = 10_000;

/**
 * The published draw record, produced as JSON text chunks so a million entries are never one
 * string in memory. Available once the seed is revealed.
 */
export async function drawRecordChunks(db: Db, dropId: string): Promise<AsyncGenerator<string>> {
  const drop = await findDrop(db, dropId);
  if (!drop) throw new ApiError(404, 'drop_not_found', `no drop ${dropId}`);
  if (!drop.seed || !drop.entrants_digest) throw new ApiError(409, 'draw_not_ready', 'the draw has not run yet');
  const head = {
    algorithm: DRAW_ALGORITHM,
    dropId,
    commitment: drop.commitment,
    seed: drop.seed,
    entrantsDigest: drop.entrants_digest,
    beacon: drop.beacon,
    units: drop.units,
  };
  return (async function* () {
    yield JSON.stringify(head).slice(0, -1);
    yield* section('entries', 'entry_id COLLATE "C"', (r) => JSON.stringify({ entryId: r.entry_id, weight: r.weight }));
    yield* section('ranking', 'draw_rank', (r) => JSON.stringify(r.entry_id));
    yield* section('winners', 'draw_rank', (r) => JSON.stringify(r.entry_id), sql`AND draw_rank < ${drop.units}`);
    yield* section('waitlist', 'draw_rank', (r) => JSON.stringify(r.entry_id), sql`AND draw_rank >= ${drop.units}`);
    yield '}';
  })();

  async function* section(
    name: string,
    order: string,
    render: (r: { entry_id: string; weight: number }) => string,
    filter = sql``,
  ): AsyncGenerator<string> {
    yield `,"${name}":[`;
    let first = true;
    for (let offset = 0; ; offset += PAGE) {
      const rows = await sql<{ entry_id: string; weight: number }>`
        SELECT entry_id, weight FROM entries WHERE drop_id = ${dropId} ${filter}
        ORDER BY ${sql.raw(order)} LIMIT ${PAGE} OFFSET ${offset}`.execute(db);
      if (rows.rows.length === 0) break;
      const text = rows.rows.map(render).join(',');
      yield first ? text : `,${text}`;
      first = false;
      if (rows.rows.length < PAGE) break;
    }
    yield ']';
  }
}
