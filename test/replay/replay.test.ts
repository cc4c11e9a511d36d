import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WORKFLOWS_PATH } from '../../src/worker/worker';

const FIXTURES = join(__dirname, 'histories');
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

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

  it.each(files)('%s replays against the current workflow code', async (file) => {
    await expect(Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, load(file), file)).resolves.toBeUndefined();
  });

  it('fails for a workflow whose shape changed without patched()', async () => {
    const changed = require.resolve('./changed-workflow');
    await expect(
      Worker.runReplayHistory({ workflowsPath: changed }, load('order-v2-paid-picked-up.json'), 'changed'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });

  it('`drops replay --file` exits 0 for a good history', () => {
    const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'drops.js'), 'replay', '--file', join(FIXTURES, 'order-v2-never-paid.json')], {
      encoding: 'utf8',
    });
    expect(r.stdout).toContain('replay ok');
    expect(r.status).toBe(0);
  });
});
