/**
 * A deliberately changed order workflow (a new timer before the first step, without
 * `patched()`): replaying a recorded history against it must fail.
 */
import { sleep } from '@temporalio/workflow';
import type { OrderWorkflowInput } from '../../../workflows/definitions';
import { orderWorkflowV2 as currentOrderWorkflow } from '../../../workflows/order/order-workflow-v2';

export { dropWorkflow } from '../../../workflows/drop/drop-workflow';

export async function orderWorkflowV2(input: OrderWorkflowInput) {
  await sleep('1 second');
  return currentOrderWorkflow(input);
}
