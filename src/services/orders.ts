import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApiError } from '../../api/errors';
import { findOrder } from '../db/repositories/orders';
import {
  STEPS_UNDER_WAY,
  allowedResolveActions,
  orderWorkflowId,
  resolveRefusal,
  resolveOrderUpdate,
  type OrderWorkflowState,
  type ResolveAction,
} from '../../workflows/definitions';
import type { ServiceDeps } from './deps';

/** Support resolves an order with one call: a Workflow Update whose validator has the last word. */
export async function resolveOrder(deps: ServiceDeps, orderId: string, action: ResolveAction, note: string | undefined) {
  const order = await findOrder(deps.db, orderId);
  if (!order) throw new ApiError(404, 'order_not_found', `no order ${orderId}`);
  const refusal = resolveRefusal(order.state as OrderWorkflowState, action);
  if (refusal) {
    const stepUnderWay = STEPS_UNDER_WAY[order.state as OrderWorkflowState];
    throw new ApiError(409, 'invalid_action', refusal, { allowed: allowedResolveActions(order.state as OrderWorkflowState), ...(stepUnderWay && { stepUnderWay }) });
  }
  try {
    const handle = deps.temporal.workflow.getHandle(orderWorkflowId(order.drop_id, order.entry_id));
    const result = await handle.executeUpdate(resolveOrderUpdate, { args: [{ action, note, actor: 'support' }] });
    return { orderId, state: result.state };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ApiError(409, 'invalid_action', err.cause?.message ?? err.message);
    }
    if (err instanceof WorkflowNotFoundError) throw new ApiError(409, 'order_final', `order ${orderId} is already settled`);
    throw err;
  }
}
