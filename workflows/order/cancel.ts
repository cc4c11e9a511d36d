import { ApplicationFailure } from '@temporalio/workflow';
import type { ResolveRequest } from '../definitions';
import type { OrderOutcome, OrderRun } from './order-run';

/**
 * PLACEHOLDER (wip/orderpickup): support's cancel_order, implemented on another branch, which
 * replaces this file. The pickup loop calls it; the validator refuses cancel_order at the locker
 * until then (pickup-support.ts), so this is never reached.
 */
export function cancelOrder(_order: OrderRun, request: ResolveRequest): Promise<OrderOutcome> {
  throw ApplicationFailure.nonRetryable(`${request.action} is not implemented`, 'NotImplemented');
}
