import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { SLA_ESCALATION_WORKFLOW_TYPE, slaEscalationWorkflowId, type SlaEscalationInput } from '../../../workflows/definitions';

/**
 * Starts the SLA escalation workflow of this task queue unless it runs already (the same id:
 * starting it again, from every worker and at every start, is a no-op). Returns its id.
 */
export async function ensureSlaEscalation(client: Client, o: { taskQueue: string; intervalSeconds: number }): Promise<string> {
  const workflowId = slaEscalationWorkflowId(o.taskQueue);
  const input: SlaEscalationInput = { intervalSeconds: o.intervalSeconds };
  await client.workflow.start(SLA_ESCALATION_WORKFLOW_TYPE, {
    taskQueue: o.taskQueue,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  return workflowId;
}
