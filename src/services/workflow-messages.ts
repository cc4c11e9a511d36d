import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { conflict } from '../domain/errors';

/**
 * What to answer when a workflow does not take a message: `code` is the stable 409 code of the
 * caller's context (`wrong_phase` for a drop, `invalid_action` / `order_final` for an order).
 */
export interface Refusal {
  /** The Update's validator (or handler) said no: its reason is the message. */
  rejectedCode: string;
  /** Words around the workflow's reason, e.g. `cannot close now: …`. */
  explain?: (reason: string) => string;
  /** The workflow has finished: no run is left to take the message. */
  goneCode: string;
  /** Why it is gone, in the caller's terms (e.g. "drop is completed"), read from the read model. */
  gone: () => Promise<string>;
  /**
   * A validator's refusal that raced the target's end (the order became final between our read
   * and the Update): answered with `goneCode` and `gone()` when this says the target is final now.
   */
  finalNow?: () => Promise<boolean>;
}

/**
 * Sends one Update or signal to a workflow; a workflow that refuses it or has already finished
 * becomes a 409-kind DomainError with a stable code, never an unexplained failure and never a
 * silent success. The handle has no run id, so the message goes to the current run; the server
 * answers a message that meets a run closing by continue-as-new as UNAVAILABLE and the client's
 * gRPC retry resends it to the new run (still failing, it is `temporal_unavailable`, see
 * `asUnavailable`, which the HTTP layer applies to every route).
 */
export async function messageWorkflow<T>(send: () => Promise<T>, refusal: Refusal): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const refusedByValidator = (err.cause as { type?: string } | undefined)?.type === 'InvalidAction';
      if (refusedByValidator && refusal.finalNow && (await refusal.finalNow())) throw conflict(refusal.goneCode, await refusal.gone());
      const reason = err.cause?.message ?? err.message;
      throw conflict(refusal.rejectedCode, refusal.explain ? refusal.explain(reason) : reason);
    }
    if (err instanceof WorkflowNotFoundError) throw conflict(refusal.goneCode, await refusal.gone());
    throw err;
  }
}
