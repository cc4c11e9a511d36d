import type { Client } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { everyRunHistory, historiesFromJSON, historiesToJSON } from '../../src/cli/workflow-runs';

const FIXTURES = join(__dirname, 'histories');
const chainFiles = () =>
  readdirSync(FIXTURES)
    .filter((f) => /^drop-v2-continued-as-new\.2026-11-30\.cfe6782\.run-\d+\.json$/.test(f))
    .sort((a, b) => Number(/run-(\d+)/.exec(a)![1]) - Number(/run-(\d+)/.exec(b)![1]));

describe('every run of a workflow that continued as new', () => {
  it('is fetched by run id, oldest first, following the chain back from the latest run', async () => {
    const chain = chainFiles().map((f) => historyFromJSON(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'))));
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

describe('the history file (drops history export writes it, drops replay --file reads it)', () => {
  const chain = chainFiles().map((f) => historyFromJSON(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'))));
  const eventsOf = (runs: typeof chain) => runs.map((h) => h.events!.map((e) => String(e.eventId)));

  it("is Temporal's own history JSON for one run, read back as one run", () => {
    const one = historiesToJSON([chain[0]!]);
    expect(Array.isArray(JSON.parse(one))).toBe(false);
    expect(JSON.parse(one).events[0].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(eventsOf(historiesFromJSON(one))).toEqual(eventsOf([chain[0]!]));
  });

  it('is an array of histories, oldest first, for several runs, read back in that order', () => {
    const many = historiesToJSON(chain);
    expect(JSON.parse(many)).toHaveLength(chain.length);
    const back = historiesFromJSON(many);
    expect(back.map((h) => h.events![0]!.workflowExecutionStartedEventAttributes!.originalExecutionRunId)).toEqual(
      chain.map((h) => h.events![0]!.workflowExecutionStartedEventAttributes!.originalExecutionRunId),
    );
    expect(eventsOf(back)).toEqual(eventsOf(chain));
  });

  it('refuses what is not a history, saying which run', () => {
    expect(() => historiesFromJSON('[]')).toThrow('no history');
    expect(() => historiesFromJSON('{"events": 1}')).toThrow('the file is not a workflow history');
    expect(() => historiesFromJSON(`[${historiesToJSON([chain[0]!])}, {}]`)).toThrow('run 2 is not a workflow history');
  });

  it('`drops replay --file` replays every run of an array, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drops-runs-'));
    try {
      const file = join(dir, 'chain.json');
      writeFileSync(file, historiesToJSON(chain));
      const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [join(__dirname, '..', '..', 'bin', 'drops.js'), 'replay', '--file', file],
          { encoding: 'utf8' },
          (_e, stdout) => resolve({ status: child.exitCode, stdout }),
        );
      });
      for (let run = 1; run <= chain.length; run++) expect(r.stdout).toContain(`replay ok: ${file} (run ${run} of ${chain.length})`);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
