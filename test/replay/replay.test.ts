import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WORKFLOWS_PATH } from '../../src/worker/worker';
import { historyFacts, mergeRuns, type HistoryFacts } from './history-facts';
import { RECORDED_BRANCHES, recordingOf } from './recorded-branches';
import { FIXTURE_NAMES } from '../../src/cli/record-histories';

const FIXTURES = join(__dirname, 'histories');
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
const facts = new Map(files.map((f) => [f, historyFacts(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')))]));

/** Each branch the corpus must keep at least one history of, told by what the history shows. */
const ORDER = 'orderWorkflowV2';
const BRANCHES: Record<string, (h: HistoryFacts) => boolean> = {
  'drop: whole, no leftovers patch': (h) => h.workflowType === 'dropWorkflow' && h.result !== null && !h.activities.has('voidUnusedAuthorizations'),
  'drop: whole, voids holds and stray labels': (h) => h.workflowType === 'dropWorkflow' && h.result !== null && h.activities.has('voidStrayLabels'),
  'drop: continued as new': (h) => h.workflowType === 'dropWorkflow' && h.continuedAs !== null,
  'drop: a run continued from another, completed': (h) => h.workflowType === 'dropWorkflow' && h.continuedFrom !== null && h.result !== null,
  'order: paid, picked up at the locker': (h) => h.workflowType === ORDER && h.result?.reason === 'picked_up_at_locker',
  'order: never paid': (h) => h.workflowType === ORDER && h.result?.reason === 'payment_window_lapsed',
  'order: pickup expired, refunded': (h) => h.workflowType === ORDER && h.result?.reason === 'pickup_expired',
  'order: marked picked up by support': (h) => h.workflowType === ORDER && String(h.result?.reason).startsWith('marked_picked_up_by_support:'),
  'order: shipped (no node in the region)': (h) => h.workflowType === ORDER && h.result?.reason === 'shipped_by_carrier',
  'order: reshipped after a missed pickup': (h) => h.workflowType === ORDER && h.result?.reason === 'reshipped_after_missed_pickup',
  'order: credited after a missed pickup': (h) => h.workflowType === ORDER && h.result?.reason === 'credited_after_missed_pickup',
  'order: card declined': (h) => h.workflowType === ORDER && h.result?.state === 'declined' && String(h.result?.reason).startsWith('payment_declined:'),
  'order: hold captured (authorize_at_entry)': (h) =>
    h.workflowType === ORDER && h.activities.has('captureAuthorizedPayment') && h.orderStates.has('paid') && h.result !== null,
  'order: needs_support, then resolved': (h) => h.workflowType === ORDER && h.orderStates.has('needs_support') && h.result !== null,
};

describe('replaying histories recorded from real runs', () => {
  it('has the fixtures the team relies on', () => {
    expect(files.sort()).toEqual(
      expect.arrayContaining([
        'drop-whole.json',
        // Recorded with orderWorkflowV2 and the drop's settle-provider-leftovers patch.
        'drop-v2-whole.json',
        'order-v2-never-paid.json',
        'order-v2-paid-picked-up.json',
        'order-v2-pickup-expired.json',
        'order-v2-support-marked-picked-up.json',
        // Recorded with the first id of that patch, 'void-unused-authorizations' (restored from 81bcd14^).
        'drop-v2-whole.void-unused-authorizations.json',
        'order-v2-never-paid.void-unused-authorizations.json',
        'order-v2-paid-picked-up.void-unused-authorizations.json',
        'order-v2-pickup-expired.void-unused-authorizations.json',
        'order-v2-support-marked-picked-up.void-unused-authorizations.json',
      ]),
    );
  });

  it.each(Object.keys(BRANCHES))('keeps a history of the branch: %s', (branch) => {
    expect(files.filter((f) => BRANCHES[branch]!(facts.get(f)!))).not.toEqual([]);
  });

  describe('support and ops branches (recorded by `drops record-histories`, groups support and drop-controls)', () => {
    const runNumber = (f: string) => Number(/\.run-(\d+)\.json$/.exec(f)?.[1] ?? 0);
    /** Each recording of `name` (its runs taken together, oldest first). */
    const recordingsOf = (name: string) => {
      const byRecording = new Map<string, string[]>();
      for (const f of files) {
        const r = recordingOf(f);
        if (r?.name === name) byRecording.set(r.recording, [...(byRecording.get(r.recording) ?? []), f]);
      }
      return [...byRecording].map(([recording, runs]) => ({
        recording,
        facts: mergeRuns(runs.sort((a, b) => runNumber(a) - runNumber(b)).map((f) => facts.get(f)!)),
      }));
    };
    const names = Object.keys(RECORDED_BRANCHES);

    it('names only fixtures the recorder writes', () => {
      expect(names.filter((n) => !FIXTURE_NAMES.includes(n))).toEqual([]);
    });

    it.each(names)('each recording named %s took that branch', (name) => {
      const wrong = recordingsOf(name).filter((r) => !RECORDED_BRANCHES[name]!(r.facts));
      expect(wrong.map((r) => r.recording)).toEqual([]);
    });

    // They are first recorded together, once the support actions and ops controls are merged;
    // from then on each must keep a history.
    it('keeps a history of every one of them once any was recorded', () => {
      const missing = names.filter((n) => recordingsOf(n).length === 0);
      expect(missing.length === names.length ? [] : missing).toEqual([]);
    });
  });

  it('keeps every run of each workflow that continued as new, so each run is replayed', () => {
    const runs = new Set([...facts.values()].map((h) => h.runId));
    const missing = [...facts].flatMap(([file, h]) => [
      ...(h.continuedAs && !runs.has(h.continuedAs) ? [`${file}: the run it continued as (${h.continuedAs})`] : []),
      ...(h.continuedFrom && !runs.has(h.continuedFrom) ? [`${file}: the run it continued from (${h.continuedFrom})`] : []),
    ]);
    expect(missing).toEqual([]);
  });

  it.each(files)('%s replays against the current workflow code', async (file) => {
    await expect(Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, load(file), file)).resolves.toBeUndefined();
  });

  it('fails for a workflow whose shape changed without patched()', async () => {
    const changed = require.resolve('./changed-workflow');
    await expect(Worker.runReplayHistory({ workflowsPath: changed }, load('order-v2-paid-picked-up.json'), 'changed')).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  });

  it('`drops replay --file` exits 0 for a good history', () => {
    const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'drops.js'), 'replay', '--file', join(FIXTURES, 'order-v2-never-paid.json')], {
      encoding: 'utf8',
    });
    expect(r.stdout).toContain('replay ok');
    expect(r.status).toBe(0);
  });
});
