import { MockActivityEnvironment } from '@temporalio/testing';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDrawActivities } from '../../activities/draw/draw-activities';
import type { ActivityDeps } from '../../activities/deps';
import { mapLimit } from '../../src/demo/api-client';
import { PROJECT_ROOT } from '../../src/devstack/stack';
import { dropWorkflowId } from '../../workflows/definitions';
import { eventually, startTestStack, type TestStack } from '../helpers/context';

const run = promisify(execFile);
const drops = (...args: string[]) =>
  run(process.execPath, [join(PROJECT_ROOT, 'bin', 'drops.js'), ...args]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

/** A drop with a pass presale, tiers, a tier cap and a region quota, drawn for real, then checked from outside. */
describe('the verifiable draw end to end', () => {
  let stack: TestStack;
  const dropId = 'draw-drop';
  let record: any;
  const dir = mkdtempSync(join(tmpdir(), 'drops-draw-'));

  beforeAll(async () => {
    stack = await startTestStack();
    const launched = await stack.api.call('POST', '/v1/drops', {
      as: 'ops',
      body: {
        dropId,
        name: 'Draw drop',
        units: 12,
        priceCents: 500,
        nodes: [
          { nodeId: 'north-1', region: 'north', stock: 8 },
          { nodeId: 'south-1', region: 'south', stock: 8 },
        ],
        windows: { registrationSeconds: 300, paymentSeconds: 2, pickupSeconds: 2, postMortemDelaySeconds: 1 },
        tiers: [
          { tier: 'public', weight: 1 },
          { tier: 'member', weight: 3, requiresPass: true, maxWinners: 5 },
        ],
        rounds: [
          { round: 'presale', tiers: ['member'], units: 4 },
          { round: 'general', tiers: ['public', 'member'], units: 8 },
        ],
        regionQuotas: { south: 4 },
      },
    });
    expect(launched.status).toBe(201);
    await eventually('registration', async () =>
      (await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body.phase === 'registration' ? true : undefined,
    );
    const passes = (await stack.api.call('POST', `/v1/drops/${dropId}/passes`, { as: 'ops', body: { tier: 'member', count: 10 } })).body.tokens as string[];
    await mapLimit(
      Array.from({ length: 70 }, (_, i) => i),
      10,
      async (i) => {
        const body = { email: `fan-${i}@example.test`, region: i % 2 ? 'north' : 'south', ...(i < 10 && { passToken: passes[i] }) };
        expect((await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body })).status).toBe(201);
      },
    );
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    record = await eventually('the draw record', async () => {
      const r = await stack.api.call('GET', `/v1/drops/${dropId}/draw`);
      return r.status === 200 ? r.body : undefined;
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('publishes a record that follows the rules: presale to pass holders, caps and quotas', () => {
    expect(record.entries).toHaveLength(70);
    expect(record.ranking).toHaveLength(70);
    expect(record.winners).toHaveLength(12);
    expect(record.waitlist).toHaveLength(58);
    const byId = new Map<string, { tier: string; region: string; weight: number }>(record.entries.map((e: any) => [e.entryId, e]));
    const presale = record.rounds.find((r: any) => r.round === 'presale');
    expect(presale.winners.every((id: string) => byId.get(id)!.tier === 'member')).toBe(true);
    expect(record.winners.filter((id: string) => byId.get(id)!.tier === 'member').length).toBeLessThanOrEqual(5);
    expect(record.winners.filter((id: string) => byId.get(id)!.region === 'south').length).toBeLessThanOrEqual(4);
    expect(JSON.stringify(record)).not.toMatch(/example\.test/); // no personal data in the public record
    expect(record.entries.filter((e: any) => e.tier === 'member').every((e: any) => e.weight === 3)).toBe(true);
  });

  it('verifies with `drops verify-draw --file` and with `drops verify-draw <dropId>`, and fails a tampered record saying what differs', async () => {
    const honest = join(dir, 'record.json');
    writeFileSync(honest, JSON.stringify(record));
    const ok = await drops('verify-draw', '--file', honest);
    expect(ok.out).toMatch(/verified: 70 entries, 12 winners/);
    expect(ok.code).toBe(0);
    const fetched = await drops('verify-draw', dropId, '--api', stack.apiUrl);
    expect(fetched.code).toBe(0);

    const tampered: Array<[string, (r: any) => void, RegExp]> = [
      ['weight', (r) => (r.entries[0].weight = r.entries[0].weight === 1 ? 3 : 1), /digest differs/],
      ['seed', (r) => (r.seed = 'f'.repeat(64)), /commitment/],
      ['position', (r) => ([r.ranking[0], r.ranking[1]] = [r.ranking[1], r.ranking[0]]), /ranking: 2 position\(s\) differ, first at 0/],
      ['winner', (r) => (r.winners[0] = r.waitlist[0]), /winners/],
    ];
    for (const [what, change, says] of tampered) {
      const copy = JSON.parse(JSON.stringify(record));
      change(copy);
      const file = join(dir, `tampered-${what}.json`);
      writeFileSync(file, JSON.stringify(copy));
      const bad = await drops('verify-draw', '--file', file);
      expect({ what, code: bad.code }).toEqual({ what, code: 1 });
      expect(bad.out).toMatch(says);
    }
  });

  it('a draw retried after a crash mid-write (heartbeat details say how far it got) writes the same result', async () => {
    const snapshot = async () => ({
      chunks: await stack.db.selectFrom('draw_ranking_chunks').select(['chunk', 'entry_ids']).where('drop_id', '=', dropId).orderBy('chunk').execute(),
      winners: await stack.db.selectFrom('draw_winners').select(['position', 'entry_id', 'round']).where('drop_id', '=', dropId).orderBy('position').execute(),
      draw: await stack.db.selectFrom('draws').select(['entrants', 'entrants_digest', 'draw_seed', 'winners']).where('drop_id', '=', dropId).executeTakeFirst(),
    });
    const before = await snapshot();
    // What a crash between the ranking and the winners leaves behind.
    await stack.db.deleteFrom('draws').where('drop_id', '=', dropId).execute();
    await stack.db.deleteFrom('draw_winners').where('drop_id', '=', dropId).execute();
    const activities = createDrawActivities({ db: stack.db } as ActivityDeps);
    const env = new MockActivityEnvironment({ heartbeatDetails: { stage: 'writing', entries: 70, chunksWritten: 1 } });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const result = await env.run(activities.runDraw, { dropId });
    expect(result).toMatchObject({ entries: 70, winners: 12 });
    expect(await snapshot()).toEqual(before);
    expect(heartbeats.length).toBeGreaterThan(0);
  });

  it('keeps the drop workflow history small: entries never enter it', async () => {
    const described = await stack.client.workflow.getHandle(dropWorkflowId(dropId)).describe();
    expect(described.historyLength).toBeLessThan(100);
  });
});
