import { Client, Connection } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { readEnvConfig } from '../config';
import { WORKFLOWS_PATH } from '../worker/worker';
import { parseCommandArgs, usageError } from './args';

/**
 * Replays one history against the current workflow code. Exit 0: the code reproduces it.
 * Exit 1: it does not (non-determinism), with the SDK's account of where.
 */
const USAGE = 'drops replay <workflowId> | drops replay --file history.json';

export async function runReplay(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('replay', USAGE, { args, allowPositionals: true, options: { file: { type: 'string' } } }, 1);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  let history: unknown;
  let workflowId: string;
  if (values.file) {
    if (positionals.length > 0) return usageError('replay', USAGE, 'give a workflow id or --file, not both') ?? 2;
    history = historyFromJSON(JSON.parse(readFileSync(values.file, 'utf8')));
    workflowId = values.file;
  } else {
    const [id] = positionals;
    if (!id) return usageError('replay', USAGE, 'a workflow id or --file is required') ?? 2;
    workflowId = id;
    const config = readEnvConfig();
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    try {
      const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
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
