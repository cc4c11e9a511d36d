import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { from as copyFrom } from 'pg-copy-streams';
import { poolOf, type Db } from '../src/db/connection';
import { rankingChunks } from '../src/db/repositories/draws';
import { DropsApiClient } from '../src/demo/api-client';
import { verifyDrawRecord, type DrawRecord } from '../src/domain/draw/record';
import { pollUntil } from '../src/lib/poll';
import { PROJECT_ROOT } from '../src/devstack/stack';
import { dropWorkflowId } from '../workflows/definitions';
import { benchLog, startBenchStack } from './bench-stack';
import { waitForPhase } from './intake';

const TIERS = [
  { tier: 'general', weight: 1, requiresPass: false },
  { tier: 'silver', weight: 2, requiresPass: true },
  { tier: 'gold', weight: 3, requiresPass: true },
];
const REGIONS = ['north', 'south', 'east', 'west'];

/**
 * Draw: a million entries bulk-loaded (weights 1-3), 10,000 units. Measures the wall time from
 * the close request to the winners and the full ranking (the waitlist) written, through the real
 * workflow and activity, beside the same draw computed in SQL with pgcrypto in the same
 * database in the same run. Checks that both rankings agree, writes the published record to a
 * file and verifies it from the file alone.
 */
export async function runDrawBench({ entries, units }: { entries: number; units: number }): Promise<number> {
  const log = benchLog('draw');
  const stack = await startBenchStack('draw', log);
  let stopped = false;
  try {
    const api = new DropsApiClient(stack.apiUrl, { ops: stack.secrets.opsApiKey });
    const dropId = 'bench-draw';
    const launched = await api.call('POST', '/v1/drops', {
      as: 'ops',
      body: {
        dropId,
        name: 'Draw benchmark',
        units,
        priceCents: 2500,
        nodes: REGIONS.map((region) => ({ nodeId: `${region}-locker`, region, stock: Math.ceil(units / REGIONS.length) })),
        windows: { registrationSeconds: 3600, paymentSeconds: 3600, pickupSeconds: 3600, postMortemDelaySeconds: 3600 },
        tiers: TIERS,
      },
    });
    if (launched.status !== 201) throw new Error(`launch failed: ${launched.status} ${JSON.stringify(launched.body)}`);
    await waitForPhase(stack.db, dropId, 'registration');

    log(`bulk-loading ${entries} entries (COPY)`);
    await bulkLoad(stack.db, dropId, entries);
    await sql`VACUUM ANALYZE entries`.execute(stack.db);

    log('baseline: the same draw in SQL (pgcrypto)');
    const seed = (await stack.db.selectFrom('drop_secrets').select('seed').where('drop_id', '=', dropId).executeTakeFirstOrThrow()).seed;
    const baselineMs = await sqlDraw(stack.db, dropId, seed, units);

    log('ours: close → freeze → draw activity → winners and ranking written');
    const t0 = performance.now();
    const closed = await api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' });
    if (closed.status !== 200) throw new Error(`close failed: ${closed.status} ${JSON.stringify(closed.body)}`);
    await pollUntil(
      'the draw to finish',
      async () => (await stack.db.selectFrom('draws').select('completed_at').where('drop_id', '=', dropId).executeTakeFirst())?.completed_at,
      {
        timeoutMs: 600_000,
        intervalMs: 20,
      },
    );
    const ms = performance.now() - t0;
    log(`draw written in ${ms.toFixed(0)} ms (SQL baseline ${baselineMs.toFixed(0)} ms)`);

    const drawn = await stack.db.selectFrom('events').select('data').where('drop_id', '=', dropId).where('kind', '=', 'drop.drawn').executeTakeFirst();
    log(`draw activity stages (ms): ${JSON.stringify((drawn?.data as { stageMs?: unknown })?.stageMs)}`);
    const agrees = await rankingsAgree(stack.db, dropId);
    const description = await stack.client.workflow.getHandle(dropWorkflowId(dropId)).describe();

    log('fetching the published record and verifying it from the file alone');
    const dir = join(PROJECT_ROOT, '.data', 'bench');
    mkdirSync(dir, { recursive: true });
    const recordPath = join(dir, `draw-record-${dropId}.json`);
    const res = await fetch(`${stack.apiUrl}/v1/drops/${dropId}/draw`);
    if (!res.ok || !res.body) throw new Error(`record fetch failed: ${res.status}`);
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(recordPath));
    const v0 = performance.now();
    const verified = verifyDrawRecord(JSON.parse(readFileSync(recordPath, 'utf8')) as DrawRecord);
    const verifyMs = performance.now() - v0;
    if (!verified.ok) log(`record does not verify: ${verified.problems.join('; ')}`);

    const figures = {
      bench: 'draw',
      entries,
      units,
      ms: Math.round(ms),
      baselineMs: Math.round(baselineMs),
      ratio: Number((ms / baselineMs).toFixed(3)),
      rankingsAgree: agrees,
      recordVerified: verified.ok,
      verifyMs: Math.round(verifyMs),
      dropHistoryEvents: description.historyLength,
      recordPath,
    };
    writeFileSync(join(dir, 'draw-figures.json'), JSON.stringify(figures, null, 2));
    // Printed once the stack is down: the worker's log lines while it stops must not follow it.
    await stack.stop();
    stopped = true;
    console.log(JSON.stringify(figures));
    return agrees && verified.ok ? 0 : 1;
  } finally {
    if (!stopped) await stack.stop();
  }
}

/** COPY of `count` entries with random ids, weights 1-3 by tier (as pass holders would have). */
async function bulkLoad(db: Db, dropId: string, count: number): Promise<void> {
  const client = await poolOf(db).connect();
  try {
    const copy = client.query(copyFrom('COPY entries (drop_id, entry_id, identity_hash, tier, weight, region) FROM STDIN'));
    async function* rows() {
      const block = 10_000;
      for (let start = 0; start < count; start += block) {
        const n = Math.min(block, count - start);
        const ids = randomBytes(12 * n).toString('hex');
        const identities = randomBytes(32 * n).toString('hex');
        let text = '';
        for (let k = 0; k < n; k++) {
          const t = TIERS[(start + k) % 3]!;
          text += `${dropId}\te${ids.slice(k * 24, k * 24 + 24)}\t\\\\x${identities.slice(k * 64, k * 64 + 64)}\t${t.tier}\t${t.weight}\t${REGIONS[(start + k) % 4]}\n`;
        }
        yield text;
      }
    }
    await pipeline(Readable.from(rows()), copy);
  } finally {
    client.release();
  }
}

/**
 * drops-lottery-v1 in SQL: the frozen list's digest, the draw seed, every ticket's key with
 * pgcrypto, each entry's smallest key, the ranking and the winners, written as tables.
 */
async function sqlDraw(db: Db, dropId: string, seed: string, units: number): Promise<number> {
  await sql`CREATE EXTENSION IF NOT EXISTS pgcrypto`.execute(db);
  await sql`DROP TABLE IF EXISTS bench_sql_ranking, bench_sql_winners`.execute(db);
  const t0 = performance.now();
  await db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ draw_seed: string }>`
      SELECT encode(digest(${seed} || ':' || encode(digest(string_agg(entry_id || E'\\t' || weight || E'\\n', '' ORDER BY entry_id), 'sha256'), 'hex'), 'sha256'), 'hex') AS draw_seed
      FROM entries WHERE drop_id = ${dropId}`.execute(trx);
    const drawSeed = rows[0]!.draw_seed;
    await sql`
      CREATE TABLE bench_sql_ranking AS
      SELECT entry_id, (row_number() OVER (ORDER BY k, entry_id) - 1)::int AS position FROM (
        SELECT e.entry_id, min(encode(digest(${drawSeed} || ':' || ${dropId} || ':' || e.entry_id || ':' || t, 'sha256'), 'hex') COLLATE "C") AS k
        FROM entries e, generate_series(0, e.weight - 1) AS t
        WHERE e.drop_id = ${dropId}
        GROUP BY e.entry_id
      ) keyed`.execute(trx);
    await sql`CREATE TABLE bench_sql_winners AS SELECT entry_id, position FROM bench_sql_ranking WHERE position < ${units}`.execute(trx);
  });
  return performance.now() - t0;
}

async function rankingsAgree(db: Db, dropId: string): Promise<boolean> {
  const theirs = await sql<{ ids: string }>`SELECT string_agg(entry_id, E'\\n' ORDER BY position) AS ids FROM bench_sql_ranking`.execute(db);
  const ours: string[] = [];
  for await (const chunk of rankingChunks(db, dropId)) ours.push(chunk.join('\n'));
  return theirs.rows[0]!.ids === ours.join('\n');
}
