import { CancellationScope, condition, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ResolveRequest } from '../definitions';
import { presets } from '../options';
import { finishCancelled } from './cancel';
import type { OrderOutcome, OrderRun } from './order-run';

const { openOrderException, resolveOrderExceptions } = proxyActivities<Activities>(presets.database);

/** Support answers a failed compensation within an hour. */
const SUPPORT_SLA_MINUTES = 60;

/**
 * The order's compensation: each step that succeeds registers its undo beside the step (in the
 * phase files); a failure runs the undos newest first. Some policy steps undo one step on
 * purpose (`undoLatest`), or learn that a step was undone another way (`forgetLatest`).
 */
export class Saga {
  private readonly undos: Array<{ step: string; run: () => Promise<void> }> = [];

  /** Registers the undo of a step (before the step when an unanswered call must be undone too). */
  add(step: string, run: () => Promise<void>): void {
    this.undos.push({ step, run });
  }

  /** The step whose undo runs next (named in support's exception). */
  latestStep(): string | undefined {
    return this.undos[this.undos.length - 1]?.step;
  }

  /** Forgets the newest undo without running it: its step was undone, or made final, another way. */
  forgetLatest(): void {
    this.undos.pop();
  }

  /** Runs the newest undo now (a policy step, not a failure); it leaves the stack once done. */
  async undoLatest(): Promise<void> {
    await this.undos[this.undos.length - 1]!.run();
    this.undos.pop();
  }

  /**
   * Runs every undo, newest first; an undo leaves the stack only once it succeeded, so a failed
   * one is tried again on the next call. Not cancellable: a half-undone order is worse than a late one.
   */
  compensate(): Promise<void> {
    return CancellationScope.nonCancellable(async () => {
      while (this.undos.length > 0) {
        await this.undos[this.undos.length - 1]!.run();
        this.undos.pop();
      }
    });
  }
}

/** The undo step that gives the entrant's money back (named in support's exception). */
export const REFUND_STEP = 'refund payment';

/**
 * Something a retry could not fix: undo what we can (a taken payment ends `refunded`, else
 * `unpaid`; an order being cancelled ends `cancelled`). What cannot be undone becomes a
 * `compensation_failed` exception for support, with an SLA; the order waits in needs_support and
 * tries again on each of support's requests (`retry_compensation`, formerly `refund`). When the
 * undo that fails is the refund, support's `close_without_refund` says the money went back
 * another way (a chargeback): the refund is forgotten, the rest undone, the order ends
 * `refunded` / `closed_without_refund:<staffId>` (`cancelled` when it was being cancelled).
 */
export async function settleFailure(order: OrderRun, err: unknown): Promise<OrderOutcome> {
  const { orderId, dropId } = order.input;
  const cause = err instanceof Error ? err.message : String(err);
  let escalated = false;
  for (;;) {
    try {
      await order.saga.compensate();
      if (escalated) await resolveOrderExceptions({ orderId, resolution: order.refundEndedBy ?? `compensated after support retry` });
      if (order.cancelling || order.dropCancel) return await finishCancelled(order);
      return await order.finish(order.moneyTaken ? 'refunded' : 'unpaid', order.refundedReason(`compensated_after_failure: ${cause}`));
    } catch (compensationError) {
      if (!escalated) {
        escalated = true;
        order.compensationFailed = true;
        const step = order.saga.latestStep() ?? 'unknown step';
        await order.moveTo('needs_support');
        await openOrderException({
          dropId,
          orderId,
          kind: 'compensation_failed',
          detail: `${step} failed (${String(compensationError)}) after: ${cause}`,
          slaMinutes: SUPPORT_SLA_MINUTES,
        });
      }
      // Answer the request that asked for this try, then wait for support's next one.
      order.supportRequest = undefined;
      await condition(() => order.supportRequest !== undefined);
      // (read again: the handler set it while this waited)
      const close = order.supportRequest as ResolveRequest | undefined;
      if (close?.action === 'close_without_refund' && order.saga.latestStep() === REFUND_STEP && patched('support-actions-v2')) {
        // A chargeback (or support by hand) already returned the money: the refund is not run.
        order.saga.forgetLatest();
        order.refundEndedBy = `closed_without_refund:${close.actor}`;
      }
    }
  }
}
