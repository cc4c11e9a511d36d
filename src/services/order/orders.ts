import { conflict, notFound } from '../../domain/errors';
import { findOrder } from '../../db/repositories/orders';
import { isFinalOrderState } from '../../domain/order/order-states';
import {
  STEPS_UNDER_WAY,
  allowedResolveActions,
  orderStatusQuery,
  orderWorkflowId,
  resolveRefusal,
  resolveOrderUpdate,
  type OrderWorkflowState,
  type ResolveAction,
  type ResolveRequest,
} from '../../../workflows/definitions';
import type { ServiceDeps } from '../deps';
import { messageWorkflow } from '../workflow-messages';
import { audited } from '../audit/audit';
import type { Actor, ReasonCode } from '../../domain/staff/staff';

/**
 * Support resolves an order with one call: a Workflow Update whose validator has the last word.
 * Errors: 404 `order_not_found`; 409 `order_final` (the order is settled, its workflow finished);
 * 409 `invalid_action` (not allowed in the order's state, with `details.allowed`; a partial refund
 * beyond what is left, with `details.remainingCents`; or refused by the workflow, with its reason).
 */
export async function resolveOrder(deps: ServiceDeps, actor: Actor, orderId: string, request: SupportRequest) {
  const { action, reasonCode, reason, amountCents, seconds } = request;
  const args = { ...(amountCents !== undefined && { amountCents }), ...(seconds !== undefined && { seconds }) };
  // The drop too, so `GET /v1/audit?dropId=` lists the drop's order actions (an unknown order has none).
  const dropId = (await findOrder(deps.db, orderId))?.drop_id;
  return audited(deps, actor, { action, orderId, dropId, reasonCode, reason }, () => sendResolve(deps, actor, orderId, action, reasonCode, args));
}

/** What support asks of an order: the action, and why (the free text stays in the audit log). */
export interface SupportRequest {
  action: ResolveAction;
  reasonCode?: ReasonCode;
  reason?: string;
  /** `refund`: partial, in cents. */
  amountCents?: number;
  /** `extend_pickup` / `retry_payment`: the new window, seconds from now. */
  seconds?: number;
}

async function sendResolve(
  deps: ServiceDeps,
  actor: Actor,
  orderId: string,
  action: ResolveAction,
  reasonCode: ReasonCode | undefined,
  args: Pick<ResolveRequest, 'amountCents' | 'seconds'>,
) {
  const order = await findOrder(deps.db, orderId);
  if (!order) throw notFound('order_not_found', `no order ${orderId}`);
  const settled = (state: string) => `order ${orderId} is already settled (${state})`;
  if (isFinalOrderState(order.state)) throw conflict('order_final', settled(order.state));
  const refusal = resolveRefusal(order.state as OrderWorkflowState, action);
  if (refusal) {
    const stepUnderWay = STEPS_UNDER_WAY[order.state as OrderWorkflowState];
    throw conflict('invalid_action', refusal, { allowed: allowedResolveActions(order.state as OrderWorkflowState), ...(stepUnderWay && { stepUnderWay }) });
  }
  // A partial refund beyond what is left: refused here with the amount (the workflow checks again).
  const remainingCents = order.amount_cents - order.refunded_cents;
  if (action === 'refund' && args.amountCents !== undefined && order.state === 'awaiting_pickup' && args.amountCents > remainingCents) {
    throw conflict('invalid_action', `amountCents ${args.amountCents} is more than what is left to refund: ${remainingCents} cents`, { remainingCents });
  }
  const handle = deps.temporal.workflow.getHandle(orderWorkflowId(order.drop_id, order.entry_id));
  // The workflow's own state first: it is final a moment before the read model says so.
  const currentState = async () =>
    (await handle.query(orderStatusQuery).then(
      (s) => s.state as string,
      () => undefined,
    )) ??
    (await findOrder(deps.db, orderId))?.state ??
    order.state;
  const result = await messageWorkflow(
    () =>
      handle.executeUpdate(resolveOrderUpdate, {
        args: [{ action, actor: actor.staffId, staffId: actor.staffId, ...(reasonCode && { reasonCode }), ...args }],
      }),
    {
      rejectedCode: 'invalid_action',
      goneCode: 'order_final',
      gone: async () => settled(await currentState()),
      finalNow: async () => isFinalOrderState(await currentState()),
    },
  );
  return { orderId, state: result.state };
}
