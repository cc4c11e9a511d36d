import { Client, Connection } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { WORKFLOWS_PATH } from '../worker/worker';
import { everyRunHistory } from './workflow-runs';

/**
 * Replays a saved history, or every run of a workflow on the server (oldest first, following
 * continue-as-new), against the current workflow code. Exit 0: the code reproduces each.
 * Exit 1: it does not (non-determinism), with the SDK's account of where and which run.
 */
export async function runReplay(args: string[]): Promise<number> {
  const fileAt = args.indexOf('--file');
  let histories: unknown[];
  let workflowId: string;
  if (fileAt >= 0) {
    const file = args[fileAt + 1];
    if (!file) throw new Error('--file needs a path');
    histories = [historyFromJSON(JSON.parse(readFileSync(file, 'utf8')))];
    workflowId = file;
  } else {
    workflowId = args[0] ?? '';
    if (!workflowId) throw new Error('usage: drops replay <workflowId> | --file history.json');
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
    try {
      const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
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
