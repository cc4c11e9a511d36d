import type { Client } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { everyRunHistory } from '../../src/cli/workflow-runs';

const FIXTURES = join(__dirname, 'histories');

describe('every run of a workflow that continued as new', () => {
  it('is fetched by run id, oldest first, following the chain back from the latest run', async () => {
    const chain = readdirSync(FIXTURES)
      .filter((f) => /^drop-v2-continued-as-new\.2026-11-30\.cfe6782\.run-\d+\.json$/.test(f))
      .sort((a, b) => Number(/run-(\d+)/.exec(a)![1]) - Number(/run-(\d+)/.exec(b)![1]))
      .map((f) => historyFromJSON(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'))));
    expect(chain.length).toBeGreaterThan(1);
    const runIdOf = (h: (typeof chain)[number]) => h.events![0]!.workflowExecutionStartedEventAttributes!.originalExecutionRunId!;
    const byRunId = new Map(chain.map((h) => [runIdOf(h), h]));
    const asked: Array<string | undefined> = [];
    // A server that knows these runs; without a run id it answers with the latest.
    const client = {
      workflow: {
        getHandle: (_workflowId: string, runId?: string) => ({
          fetchHistory: async () => {
            asked.push(runId);
            return runId === undefined ? chain[chain.length - 1] : byRunId.get(runId);
          },
        }),
      },
    } as unknown as Client;
    const runs = await everyRunHistory(client, 'drop:x');
    expect(runs.map(runIdOf)).toEqual(chain.map(runIdOf));
    expect(asked).toEqual([undefined, ...chain.slice(0, -1).map(runIdOf).reverse()]);
  });
});
