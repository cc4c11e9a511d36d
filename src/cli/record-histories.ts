import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DropsApiClient } from '../demo/api-client';
import { runOrderBranches, type OrderBranch } from '../demo/order-branches';
import { runOrderPaths, type OrderPath } from '../demo/order-paths';
import { runSupportActions, type SupportBranch } from '../demo/support-actions';
import { runDropControls, type DropControlBranch, type DropControlOrderBranch } from '../demo/drop-controls';
import { freePort } from '../devstack/ports';
import { PROJECT_ROOT, startStack } from '../devstack/stack';
import { pollUntil } from '../lib/poll';
import { everyRunHistory } from './workflow-runs';
import { parseCommandArgs, usageError } from './args';
import { dropWorkflowId, orderWorkflowId } from '../../workflows/definitions';

const FIXTURE_DIR = join(PROJECT_ROOT, 'test', 'replay', 'histories');

/**
 * Fixture names: `<workflow>-<branch>.<YYYY-MM-DD>.<commit>[.run-<n>].json`, one file per run (a
 * workflow that continued as new has one per run, in order). A recording only ever adds files:
 * it refuses to start if any name it would write exists, and each write refuses to replace a
 * file. Older fixtures (without the date and commit) stay as they are.
 */
const ORDER_PATH_FIXTURES: Record<OrderPath, string> = {
  picked_up: 'order-v2-paid-picked-up',
  never_paid: 'order-v2-never-paid',
  pickup_expired: 'order-v2-pickup-expired',
  support_marked_picked_up: 'order-v2-support-marked-picked-up',
};
const ORDER_BRANCH_FIXTURES: Record<OrderBranch, string> = {
  shipped: 'order-v2-shipped',
  reshipped: 'order-v2-reshipped',
  declined: 'order-v2-declined',
  needs_support: 'order-v2-needs-support',
  hold_captured: 'order-v2-hold-captured',
  credited: 'order-v2-credited',
};
const DROP_FIXTURES = {
  whole: 'drop-v2-whole',
  continuedAsNew: 'drop-v2-continued-as-new',
  authorizeAtEntry: 'drop-v2-authorize-at-entry',
};
/** Support's resolve actions (src/demo/support-actions.ts), one order each. */
const SUPPORT_FIXTURES: Record<SupportBranch, string> = {
  retry_payment: 'order-v2-support-retry-payment',
  partial_refund: 'order-v2-support-partial-refund',
  reship: 'order-v2-support-reship',
  extend_pickup: 'order-v2-support-extend-pickup',
  reissue_claim_code: 'order-v2-support-reissue-claim-code',
  cancel_order: 'order-v2-support-cancel-order',
  cancel_unpaid_order: 'order-v2-support-cancel-unpaid',
  retry_compensation: 'order-v2-support-retry-compensation',
};
/** Ops' controls (src/demo/drop-controls.ts): each drop, and the orders they changed. */
const DROP_CONTROL_FIXTURES: Record<DropControlBranch, string> = {
  cancelled_before_draw: 'drop-v2-cancelled-before-draw',
  cancelled_after_draw: 'drop-v2-cancelled-after-draw',
  scheduled: 'drop-v2-scheduled',
  paused_resumed: 'drop-v2-paused-resumed',
  restocked: 'drop-v2-restocked',
};
const DROP_CONTROL_ORDER_FIXTURES: Record<DropControlOrderBranch, string> = {
  drop_cancelled_paid: 'order-v2-drop-cancelled',
  drop_cancelled_unpaid: 'order-v2-drop-cancelled-unpaid',
  window_changed: 'order-v2-window-changed',
  promoted_by_restock: 'order-v2-promoted-by-restock',
};

/** The scenario groups a recording runs (all by default; `--only` picks some), and the fixtures each writes. */
const GROUPS = {
  paths: [...Object.values(ORDER_PATH_FIXTURES), DROP_FIXTURES.whole],
  branches: [...Object.values(ORDER_BRANCH_FIXTURES), DROP_FIXTURES.continuedAsNew, DROP_FIXTURES.authorizeAtEntry],
  support: Object.values(SUPPORT_FIXTURES),
  'drop-controls': [...Object.values(DROP_CONTROL_FIXTURES), ...Object.values(DROP_CONTROL_ORDER_FIXTURES)],
} as const;
export type RecordingGroup = keyof typeof GROUPS;
export const RECORDING_GROUPS = Object.keys(GROUPS) as RecordingGroup[];
const USAGE = `drops record-histories [--only ${RECORDING_GROUPS.join(',')}]`;

/**
 * The recording's Temporal server suggests continue-as-new at this many history events (the
 * default is thousands), and each wait for the orders to settle is cut to a few seconds, so the
 * drop that waits on a needs_support order continues as new within a minute.
 */
const SUGGEST_CONTINUE_AS_NEW_AT_EVENTS = 100;
const SETTLE_WAIT_CAP_SECONDS = 3;

/**
 * The tag every file of one recording carries: today's date (UTC) and the commit it was made at,
 * `-dirty` when tracked files had uncommitted changes (commit the workflow code first).
 */
export function recordingTag(now = new Date()): string {
  let commit = 'nocommit';
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    commit = git('rev-parse', '--short=7', 'HEAD');
    if (git('status', '--porcelain', '--untracked-files=no') !== '') commit += '-dirty';
  } catch {
    // Not a git checkout: the date, and the refusal to overwrite, still keep recordings apart.
  }
  return `${now.toISOString().slice(0, 10)}.${commit}`;
}

/** Every fixture name (without tag) one recording writes. */
export const FIXTURE_NAMES = RECORDING_GROUPS.flatMap((g) => GROUPS[g]);

/** The groups `--only` names (comma-separated), or every group; null for an unknown name. */
export function recordingGroups(only: string | undefined): RecordingGroup[] | null {
  if (only === undefined) return RECORDING_GROUPS;
  const names = only.split(',').map((n) => n.trim());
  return names.every((n): n is RecordingGroup => (RECORDING_GROUPS as string[]).includes(n)) ? [...new Set(names)] : null;
}

/** The names a recording tagged `tag` would write that already exist in `dir`. */
export function takenFixtures(dir: string, tag: string, names: readonly string[] = FIXTURE_NAMES): string[] {
  return names.map((name) => `${name}.${tag}`).filter((base) => existsSync(join(dir, `${base}.json`)) || existsSync(join(dir, `${base}.run-1.json`)));
}

/** Writes a new fixture; throws (EEXIST) rather than replace one. */
export function writeNewFixture(dir: string, file: string, text: string): void {
  writeFileSync(join(dir, file), text, { flag: 'wx' });
}

/**
 * Runs real drops whose workflows take every branch (or the `--only` groups') and adds their
 * histories as replay fixtures.
 */
export async function runRecordHistories(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('record-histories', USAGE, { args, options: { only: { type: 'string' } } });
  if (!parsed) return 2;
  const groups = recordingGroups(parsed.values.only);
  if (!groups) return usageError('record-histories', USAGE, `--only takes ${RECORDING_GROUPS.join(', ')} (comma-separated)`) ?? 2;
  const runs = (g: RecordingGroup) => groups.includes(g);
  const tag = recordingTag();
  const taken = takenFixtures(
    FIXTURE_DIR,
    tag,
    groups.flatMap((g) => GROUPS[g]),
  );
  if (taken.length > 0) {
    console.error(`record-histories: refusing to overwrite fixtures recorded at ${tag}: ${taken.join(', ')} (commit first, or wait a day)`);
    return 1;
  }
  const stack = await startStack({
    dataDir: join(PROJECT_ROOT, '.data', 'record'),
    temporalPort: 'free',
    temporalUiPort: null,
    postgresPort: await freePort(),
    apiPort: 0,
    temporalDynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AT_EVENTS },
    settleWaitCapSeconds: SETTLE_WAIT_CAP_SECONDS,
  });
  try {
    const api = new DropsApiClient(stack.apiUrl, { ops: stack.secrets.opsApiKey, support: stack.secrets.supportApiKey });
    const dropIdPrefix = `record-${Date.now()}`;
    const providerUrl = stack.providerUrl;

    mkdirSync(FIXTURE_DIR, { recursive: true });
    const save = async (workflowId: string, name: string) => {
      // An order's final state is written just before its workflow returns: save the closed history.
      await pollUntil(`${workflowId} to close`, async () => (await stack.client.workflow.getHandle(workflowId).describe()).status.name !== 'RUNNING', {
        timeoutMs: 60_000,
        intervalMs: 500,
      });
      const runs = await everyRunHistory(stack.client, workflowId);
      for (const [i, history] of runs.entries()) {
        const file = `${name}.${tag}${runs.length > 1 ? `.run-${i + 1}` : ''}.json`;
        // Never replace a fixture, even one written since the check above.
        writeNewFixture(FIXTURE_DIR, file, historyToJSON(history));
        console.log(`saved ${workflowId}${runs.length > 1 ? ` (run ${i + 1} of ${runs.length})` : ''} → test/replay/histories/${file}`);
      }
      return runs.length;
    };

    // Each group saves its fixtures as soon as its scenario has run, so a later group's failure
    // keeps what was recorded (rerun the rest with --only).
    if (runs('paths')) {
      const paths = await runOrderPaths({ api, providerUrl, dropId: `${dropIdPrefix}-paths` });
      await save(dropWorkflowId(paths.dropId), DROP_FIXTURES.whole);
      for (const [path, name] of Object.entries(ORDER_PATH_FIXTURES) as Array<[OrderPath, string]>) {
        await save(orderWorkflowId(paths.dropId, paths.byPath[path].entryId), name);
      }
    }
    if (runs('branches')) {
      const branches = await runOrderBranches({
        api,
        providerUrl,
        dropIdPrefix,
        // Keep the drop waiting until it has continued as new at least once.
        holdSupportUntil: async (dropId) => {
          await pollUntil(`drop ${dropId} to continue as new`, async () => (await everyRunHistory(stack.client, dropWorkflowId(dropId))).length >= 2, {
            timeoutMs: 300_000,
            intervalMs: 1000,
          });
        },
      });
      const runCount = await save(dropWorkflowId(branches.branchesDropId), DROP_FIXTURES.continuedAsNew);
      if (runCount < 2) throw new Error(`drop ${branches.branchesDropId} has ${runCount} run: it did not continue as new`);
      await save(dropWorkflowId(branches.holdsDropId), DROP_FIXTURES.authorizeAtEntry);
      for (const [branch, name] of Object.entries(ORDER_BRANCH_FIXTURES) as Array<[OrderBranch, string]>) {
        const { dropId, entryId } = branches.byBranch[branch];
        await save(orderWorkflowId(dropId, entryId), name);
      }
    }
    if (runs('support')) {
      const support = await runSupportActions({ api, providerUrl, dropIdPrefix });
      for (const [branch, name] of Object.entries(SUPPORT_FIXTURES) as Array<[SupportBranch, string]>) {
        await save(support.byBranch[branch].workflowId, name);
      }
    }
    if (runs('drop-controls')) {
      const controls = await runDropControls({ api, providerUrl, dropIdPrefix });
      for (const [branch, name] of Object.entries(DROP_CONTROL_FIXTURES) as Array<[DropControlBranch, string]>) {
        await save(controls.byDrop[branch].workflowId, name);
      }
      for (const [branch, name] of Object.entries(DROP_CONTROL_ORDER_FIXTURES) as Array<[DropControlOrderBranch, string]>) {
        await save(controls.byOrder[branch].workflowId, name);
      }
    }
    return 0;
  } finally {
    await stack.stop();
  }
}
