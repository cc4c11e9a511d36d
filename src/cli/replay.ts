import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { slug } from '../domain/drop/launch';
import { WORKFLOWS_PATH } from '../worker/worker';
import { DROP_ID, dropWorkflowId } from '../../workflows/definitions';
import { everyRunHistory, historiesFromJSON, isWorkflowNotFound, withTemporalClient } from './workflow-runs';
import { parseCommandArgs, usageError } from './args';

/**
 * Replays a saved history file (one history, or an array of runs as `drops history export`
 * writes), every run of a workflow on the server (oldest first, following continue-as-new), or
 * every workflow of a drop (`--drop`: the drop's and each one carrying its `DropId`), against the
 * current workflow code. Exit 0: the code reproduces each. Exit 1: it does not (non-determinism),
 * with the SDK's account of where and which run, or a workflow is not found.
 */
const USAGE = 'drops replay <workflowId> | drops replay --file history.json | drops replay --drop <dropId>';

export async function runReplay(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('replay', USAGE, { args, allowPositionals: true, options: { file: { type: 'string' }, drop: { type: 'string' } } }, 1);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const [id] = positionals;
  const given = [id, values.file, values.drop].filter((v) => v !== undefined).length;
  if (given === 0) return usageError('replay', USAGE, 'a workflow id, --file or --drop is required') ?? 2;
  if (given > 1) return usageError('replay', USAGE, 'give one of a workflow id, --file or --drop, not several') ?? 2;
  if (values.file) return replayFile(values.file);
  if (values.drop) {
    // The id goes into a visibility query: only what a drop id can be (launch's rule) gets there.
    if (!slug.safeParse(values.drop).success) return usageError('replay', USAGE, `'${values.drop}' is not a drop id`) ?? 2;
    return replayDrop(values.drop);
  }
  return withTemporalClient(async (client, where) => {
    let runs: History[];
    try {
      // Every run, not only the latest: a drop that continued as new ran this code in each.
      runs = await everyRunHistory(client, id!);
    } catch (err) {
      if (!isWorkflowNotFound(err)) throw err;
      console.error(`drops replay: workflow ${id} not found (${where})`);
      return 1;
    }
    const outcomes = await replayWorkflows(oneWorkflow(id!, runs), { eachRun: true });
    return outcomes.some((o) => o.error) ? 1 : 0;
  });
}

async function replayFile(file: string): Promise<number> {
  let runs: History[];
  try {
    runs = historiesFromJSON(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`drops replay: cannot read ${file} as a history file: ${(err as Error).message}`);
    return 1;
  }
  // A history does not carry its workflow id; the file's name stands in for it.
  const outcomes = await replayWorkflows(oneWorkflow(file, runs), { eachRun: true });
  return outcomes.some((o) => o.error) ? 1 : 0;
}

/**
 * Every workflow of the drop: `drop:<dropId>` and each workflow the visibility store lists with
 * `DropId = "<dropId>"` (its orders), every run of each. Prints each failure as it comes and a
 * summary, `n ok, n failed`, naming each failed workflow with the reason.
 */
async function replayDrop(dropId: string): Promise<number> {
  return withTemporalClient(async (client, where) => {
    const ids = await dropWorkflowIds(client, dropId);
    if (ids.length === 1 && !(await exists(client, ids[0]!))) {
      console.error(`drops replay: no drop ${dropId}: no workflow ${ids[0]} and none with DropId = "${dropId}" (${where})`);
      return 1;
    }
    const outcomes = await replayWorkflows(fetchEach(client, ids), { eachRun: false });
    const failed = outcomes.filter((o) => o.error);
    const runs = outcomes.reduce((n, o) => n + o.runs, 0);
    console.log(`replay of drop ${dropId}: ${outcomes.length - failed.length} ok, ${failed.length} failed (${outcomes.length} workflows, ${runs} runs)`);
    if (failed.length > 0) {
      console.log('failed:');
      for (const o of failed) console.log(`  ${o.workflowId}: ${o.error}`);
    }
    return failed.length > 0 ? 1 : 0;
  });
}

async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** The drop's workflow first, then every other workflow carrying its DropId (its orders), by id. */
async function dropWorkflowIds(client: Client, dropId: string): Promise<string[]> {
  const ids = new Set<string>();
  // One entry per run: a drop that continued as new is listed once per run.
  for await (const execution of client.workflow.list({ query: `${DROP_ID.name} = "${dropId}"` })) ids.add(execution.workflowId);
  const drop = dropWorkflowId(dropId);
  ids.delete(drop);
  return [drop, ...[...ids].sort()];
}

type Fetched = { workflowId: string; runs: History[] } | { workflowId: string; error: unknown };

async function* oneWorkflow(workflowId: string, runs: History[]): AsyncGenerator<Fetched> {
  yield { workflowId, runs };
}

/** Each workflow's runs, fetched one workflow at a time (a drop's histories are never all in memory). */
async function* fetchEach(client: Client, ids: string[]): AsyncGenerator<Fetched> {
  for (const workflowId of ids) {
    try {
      yield { workflowId, runs: await everyRunHistory(client, workflowId) };
    } catch (error) {
      yield { workflowId, error };
    }
  }
}

interface Outcome {
  workflowId: string;
  runs: number;
  /** Why the workflow failed: its first failing run's error, or why its history could not be fetched. */
  error?: string;
}

/**
 * Replays every run of every workflow in one replay worker (the workflow code is bundled once).
 * `eachRun`: print a line per run replayed; otherwise only failures, as they come.
 */
async function replayWorkflows(workflows: AsyncIterable<Fetched>, opts: { eachRun: boolean }): Promise<Outcome[]> {
  // The SDK logs each bundling step at INFO; our lines say what was replayed.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const outcomes = new Map<string, Outcome>();
  const fail = (outcome: Outcome, reason: string) => {
    outcome.error ??= reason;
    console.error(`replay FAILED for ${outcome.workflowId}: ${reason}`);
  };
  async function* histories() {
    for await (const w of workflows) {
      const outcome: Outcome = { workflowId: w.workflowId, runs: 0 };
      outcomes.set(w.workflowId, outcome);
      if ('error' in w) {
        fail(outcome, isWorkflowNotFound(w.error) ? 'not found' : `could not fetch its history: ${String(w.error)}`);
        continue;
      }
      outcome.runs = w.runs.length;
      for (const history of w.runs) yield { workflowId: w.workflowId, history };
    }
  }
  const replayed = new Map<string, number>();
  for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories())) {
    const outcome = outcomes.get(result.workflowId)!;
    const run = (replayed.get(result.workflowId) ?? 0) + 1;
    replayed.set(result.workflowId, run);
    const ofRuns = outcome.runs > 1 ? ` (run ${run} of ${outcome.runs})` : '';
    if (result.error) fail(outcome, `${ofRuns ? `run ${run} of ${outcome.runs}: ` : ''}${result.error.name}: ${result.error.message}`);
    else if (opts.eachRun) console.log(`replay ok: ${result.workflowId}${ofRuns} replays deterministically against the current workflow code`);
  }
  return [...outcomes.values()];
}
