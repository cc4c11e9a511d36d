import { Client, Connection } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { WORKFLOWS_PATH } from '../worker/worker';

/**
 * Replays one history against the current workflow code. Exit 0: the code reproduces it.
 * Exit 1: it does not (non-determinism), with the SDK's account of where.
 */
export async function runReplay(args: string[]): Promise<number> {
  const fileAt = args.indexOf('--file');
  let history: unknown;
  let workflowId: string;
  if (fileAt >= 0) {
    const file = args[fileAt + 1];
    if (!file) throw new Error('--file needs a path');
    history = historyFromJSON(JSON.parse(readFileSync(file, 'utf8')));
    workflowId = file;
  } else {
    workflowId = args[0] ?? '';
    if (!workflowId) throw new Error('usage: drops replay <workflowId> | --file history.json');
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
    try {
      const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
      history = await client.workflow.getHandle(workflowId).fetchHistory();
    } finally {
      await connection.close();
    }
  }
  try {
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, workflowId);
  } catch (err) {
    console.error(`replay FAILED for ${workflowId}: ${(err as Error).name}: ${(err as Error).message}`);
    return 1;
  }
  console.log(`replay ok: ${workflowId} replays deterministically against the current workflow code`);
  return 0;
}
