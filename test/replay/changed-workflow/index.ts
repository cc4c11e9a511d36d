/**
 * A deliberately changed order workflow (a new timer before the first step, without
 * `patched()`): replaying a recorded history against it must fail.
 */
import { sleep } from '@temporalio/workflow';
import type { OrderWorkflowInput } from '../../../workflows/definitions';
import { orderWorkflow as currentOrderWorkflow } from '../../../workflows/order/order-workflow';

export { dropWorkflow } from '../../../workflows/drop/drop-workflow';

export async function orderWorkflow(input: OrderWorkflowInput) {
  await sleep('1 second');
  return currentOrderWorkflow(input);
}
