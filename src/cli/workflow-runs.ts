import type { Client } from '@temporalio/client';

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
