import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { readEnvConfig } from '../config';

/**
 * The history of every run of a workflow, oldest first: the latest run, then each run it
 * continued from (`continuedExecutionRunId`), fetched by run id.
 */
export async function everyRunHistory(client: Client, workflowId: string) {
  const runs = [];
  let runId: string | undefined;
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.unshift(history);
    const previous = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return runs;
    runId = previous;
  }
}

/** gRPC NOT_FOUND: the server has no such workflow (or run) in the namespace. */
const GRPC_NOT_FOUND = 5;

/** True when a history fetch failed because the workflow does not exist. */
export function isWorkflowNotFound(err: unknown): boolean {
  return isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND;
}

/** Runs `use` with a client of the server in TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, then closes it. */
export async function withTemporalClient<T>(use: (client: Client, where: string) => Promise<T>): Promise<T> {
  const config = readEnvConfig();
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    return await use(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), `namespace ${config.TEMPORAL_NAMESPACE} at ${config.TEMPORAL_ADDRESS}`);
  } finally {
    await connection.close();
  }
}

/**
 * A history file as `drops history export` writes it and `drops replay --file` reads it: one run
 * is Temporal's own history JSON (`historyToJSON`, as `temporal workflow show -o json` prints);
 * several runs (a workflow that continued as new) are a JSON array of those, oldest first.
 */
export function historiesToJSON(runs: History[]): string {
  if (runs.length === 1) return historyToJSON(runs[0]!);
  return `[\n${runs.map(historyToJSON).join(',\n')}\n]`;
}

/** Reads a history file (one history, or an array of runs oldest first); throws on anything else. */
export function historiesFromJSON(text: string): History[] {
  const parsed: unknown = JSON.parse(text);
  const runs = Array.isArray(parsed) ? parsed : [parsed];
  if (runs.length === 0) throw new Error('the file holds no history (an empty array)');
  return runs.map((run, i) => {
    if (typeof run !== 'object' || run === null || !Array.isArray((run as { events?: unknown }).events)) {
      throw new Error(`${runs.length > 1 ? `run ${i + 1}` : 'the file'} is not a workflow history (no "events" array)`);
    }
    return historyFromJSON(run);
  });
}
