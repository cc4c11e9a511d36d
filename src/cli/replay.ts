import { Client, Connection } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { readEnvConfig } from '../config';
import { WORKFLOWS_PATH } from '../worker/worker';
import { everyRunHistory } from './workflow-runs';
import { parseCommandArgs, usageError } from './args';

/**
 * Replays a saved history, or every run of a workflow on the server (oldest first, following
 * continue-as-new), against the current workflow code. Exit 0: the code reproduces each.
 * Exit 1: it does not (non-determinism), with the SDK's account of where and which run.
 */
const USAGE = 'drops replay <workflowId> | drops replay --file history.json';

export async function runReplay(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('replay', USAGE, { args, allowPositionals: true, options: { file: { type: 'string' } } }, 1);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  let histories: unknown[];
  let workflowId: string;
  if (values.file) {
    if (positionals.length > 0) return usageError('replay', USAGE, 'give a workflow id or --file, not both') ?? 2;
    histories = [historyFromJSON(JSON.parse(readFileSync(values.file, 'utf8')))];
    workflowId = values.file;
  } else {
    const [id] = positionals;
    if (!id) return usageError('replay', USAGE, 'a workflow id or --file is required') ?? 2;
    workflowId = id;
    const config = readEnvConfig();
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    try {
      const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
      // Every run, not only the latest: a drop that continued as new ran this code in each.
      histories = await everyRunHistory(client, workflowId);
    } finally {
      await connection.close();
    }
  }
  for (const [i, history] of histories.entries()) {
    const label = histories.length > 1 ? `${workflowId} (run ${i + 1} of ${histories.length})` : workflowId;
    try {
      await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, workflowId);
    } catch (err) {
      console.error(`replay FAILED for ${label}: ${(err as Error).name}: ${(err as Error).message}`);
      return 1;
    }
    console.log(`replay ok: ${label} replays deterministically against the current workflow code`);
  }
  return 0;
}
