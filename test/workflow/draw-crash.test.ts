import { sql } from 'kysely';
import { Client } from 'pg';
import type { DrawRecord } from '../../src/domain/draw/record';
import { verifyDrawRecord } from '../../src/domain/draw/record';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { workerProcesses } from '../helpers/worker-process';

const DROP = 'draw-crash-drop';
const ENTRIES = 60_000;
const UNITS = 500;
/** Held by the test while the draw writes: the draw stalls on it with every other chunk written. */
const STALLED_CHUNK = 3;

/**
 * The draw is one heartbeating activity. Here its worker is a process of its own, killed with
 * SIGKILL in the middle of writing the ranking; after the heartbeat timeout Temporal retries the
 * activity on a new worker, which skips the chunks already written and finishes with the same
 * result: the published record verifies from itself alone.
 */
describe('a worker killed with SIGKILL mid-draw', () => {
  let stack: TestStack;
  const workers = workerProcesses(() => stack);

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(async () => {
    workers.killAll();
    await stack?.stop();
  });

  it(
    'resumes on a new worker, skips the written chunks and publishes a record that verifies',
    async () => {
      const first = workers.start();
      const launched = await stack.api.call('POST', '/v1/drops', {
        as: 'ops',
        body: {
          dropId: DROP,
          name: 'Draw crash drop',
          units: UNITS,
          priceCents: 900,
          nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: UNITS }],
          windows: { registrationSeconds: 600, paymentSeconds: 600, pickupSeconds: 600, postMortemDelaySeconds: 600 },
          tiers: [
            { tier: 'public', weight: 1 },
            { tier: 'gold', weight: 3, requiresPass: true },
          ],
        },
      });
      expect(launched.status).toBe(201);
      await eventually(
        'registration',
        async () => ((await stack.api.call('GET', `/v1/drops/${DROP}`, { as: 'ops' })).body.phase === 'registration' ? true : undefined),
        120_000,
      );
      // Entrants loaded in bulk (the API's intake is tested elsewhere): random ids, a quarter gold.
      await sql`
      INSERT INTO entries (drop_id, entry_id, identity_hash, tier, weight, region)
      SELECT ${DROP}, 'e' || substr(md5(random()::text || g), 1, 24), sha256(convert_to(${DROP} || g, 'UTF8')),
             CASE WHEN g % 4 = 0 THEN 'gold' ELSE 'public' END, CASE WHEN g % 4 = 0 THEN 3 ELSE 1 END, 'north'
      FROM generate_series(1, ${ENTRIES}) AS g`.execute(stack.db);

      // Another session holds one ranking chunk's key, uncommitted: the draw writes every other
      // chunk and then waits on that one.
      const holder = new Client({ connectionString: stack.databaseUrl });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`INSERT INTO draw_ranking_chunks (drop_id, chunk, entry_ids) VALUES ($1, $2, 'held by the test')`, [DROP, STALLED_CHUNK]);
        expect((await stack.api.call('POST', `/v1/drops/${DROP}/close`, { as: 'ops' })).status).toBe(200);
        const chunks = Math.ceil(ENTRIES / 10_000);
        const countChunks = async () =>
          Number((await sql<{ n: string }>`SELECT count(*) AS n FROM draw_ranking_chunks WHERE drop_id = ${DROP}`.execute(stack.db)).rows[0]!.n);
        await eventually('every chunk but the held one written', async () => ((await countChunks()) === chunks - 1 ? true : undefined), 120_000);
        expect(await stack.db.selectFrom('draws').select('drop_id').where('drop_id', '=', DROP).executeTakeFirst()).toBeUndefined();

        first.kill('SIGKILL');
        await eventually('the worker to die', async () => (first.signalCode === 'SIGKILL' ? true : undefined));
        await holder.query('ROLLBACK');
      } finally {
        await holder.end();
      }

      workers.start();
      // Temporal retries the draw once its heartbeat times out (1 minute), on the new worker.
      const summary = await eventually(
        'the draw to complete on the new worker',
        async () => stack.db.selectFrom('draws').selectAll().where('drop_id', '=', DROP).executeTakeFirst(),
        4 * 60_000,
      );
      expect(summary).toMatchObject({ entrants: ENTRIES, winners: UNITS, chunks: Math.ceil(ENTRIES / 10_000) });
      const drawn = await stack.db.selectFrom('events').select('data').where('drop_id', '=', DROP).where('kind', '=', 'drop.drawn').execute();
      expect(drawn).toHaveLength(1);
      expect(drawn[0]!.data).toMatchObject({ entries: ENTRIES, winners: UNITS, resumed: true });

      const res = await stack.api.call('GET', `/v1/drops/${DROP}/draw`);
      expect(res.status).toBe(200);
      const record = res.body as DrawRecord;
      const verified = verifyDrawRecord(record);
      if (!verified.ok) console.error(verified.problems, workers.output.slice(-40).join('\n'));
      expect(verified.ok).toBe(true);
      expect(record.ranking).toHaveLength(ENTRIES);
      expect(new Set(record.ranking).size).toBe(ENTRIES);
    },
    8 * 60_000,
  );
});
