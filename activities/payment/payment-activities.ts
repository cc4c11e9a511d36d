import { Context, heartbeat } from '@temporalio/activity';
import { advanceAuthorization, findAuthorization, listOpenAuthorizations } from '../../src/db/repositories/authorizations';
import { openException } from '../../src/db/repositories/exceptions';
import { recordRefundedCents, savePayLink } from '../../src/db/repositories/orders';
import { ProviderRejectedError, isDisputeOpen, type DisputeStatus, type PaymentIntent } from '../../src/integrations/providers';
import { entryKeys, orderKeys } from '../../src/domain/idempotency-keys';
import { postCapture, postChargeback, postPartialRefund, postRefund, postStoreCredit } from '../../src/services/payment/payment-ledger';
import type { ActivityDeps } from '../deps';
import { askAgainOnTransientFailure, failFastOnRejection } from '../provider-errors';

/** A card hold or intent the provider will not settle for us: support checks it by hand within a day. */
const HOLD_VOID_SLA_MINUTES = 24 * 60;

/** What a refund step found: done, or not ours to do because the charge is disputed. */
export type RefundOutcome =
  | { outcome: 'refunded'; refundId: string }
  | { outcome: 'disputed'; disputeId: string | null; disputeStatus: DisputeStatus }
  | { outcome: 'charged_back'; disputeId: string | null };

/** What support's partial refund found: done, or refused by the provider (a dispute, or more than is left). */
export type PartialRefundOutcome = { outcome: 'refunded'; refundId: string } | { outcome: 'refused'; reason: string };

/** The key of the order's `attempt`-th intent or void: the first keeps the form it always had. */
const attemptKey = (first: string, later: (attempt: number) => string, attempt: number | undefined) =>
  attempt !== undefined && attempt > 1 ? later(attempt) : first;

export function createPaymentActivities({ db, payments }: ActivityDeps) {
  return {
    /**
     * Creates the order's intent (once, whatever the retries) and keeps its pay link on the order
     * row for the entrant's status page. Returns the intent id only: the pay link is a bearer
     * secret and must not enter workflow history. `attempt` (2, 3, …): support's retry_payment,
     * a fresh intent under a key of its own (absent: the order's first intent).
     */
    async createPaymentIntent(input: { dropId: string; orderId: string; amountCents: number; currency: string; attempt?: number }) {
      const intent = await failFastOnRejection(() =>
        payments.createPaymentIntent({
          dropId: input.dropId,
          orderId: input.orderId,
          amountCents: input.amountCents,
          currency: input.currency,
          idempotencyKey: attemptKey(
            orderKeys.intent(input.dropId, input.orderId),
            (n) => orderKeys.intentAttempt(input.dropId, input.orderId, n),
            input.attempt,
          ),
        }),
      );
      await savePayLink(db, input.orderId, intent.payLink);
      return { paymentIntentId: intent.id };
    },

    /**
     * A webhook said the entrant paid; ask the provider before believing it, then post the
     * capture to the ledger (once, whatever the retries).
     */
    async confirmPayment(input: { dropId: string; orderId: string; paymentIntentId: string }) {
      const intent = await failFastOnRejection(() => payments.retrievePaymentIntent(input.paymentIntentId));
      if (intent.status !== 'succeeded') return { paid: false };
      await postCapture(db, { dropId: input.dropId, orderId: input.orderId, amountCents: intent.amountReceivedCents });
      return { paid: true };
    },

    /**
     * The pay window closed: void the intent. If the entrant paid at the last moment the cancel
     * is refused and we report it, so the workflow refunds instead of keeping unowed money.
     * `attempt`: which of the order's intents (support's retry_payment), for the void's key.
     */
    async cancelPaymentIntent(input: { dropId: string; orderId: string; paymentIntentId: string; attempt?: number }) {
      const retrieve = () => failFastOnRejection(() => payments.retrievePaymentIntent(input.paymentIntentId));
      const intent = await payments.retrievePaymentIntent(input.paymentIntentId).catch(async (err: unknown) => {
        // Any other failure: the same answer as any retrieve (a rejection fails fast), without asking again.
        if (!(err instanceof ProviderRejectedError && err.status === 404)) return failFastOnRejection(() => Promise.reject(err));
        // The provider has no such intent (it lost it, or it belongs to another account): no
        // money can move on it, so there is nothing to void. Support is told, since it should
        // not happen; the compensation goes on instead of waiting on an undo that cannot succeed.
        await openException(db, {
          dropId: input.dropId,
          orderId: input.orderId,
          kind: 'payment_record_missing',
          detail: `the payment provider does not know payment intent ${input.paymentIntentId} (${err.message}); treated as voided`,
          slaMinutes: HOLD_VOID_SLA_MINUTES,
          dedupeKey: `payment-record-missing:${input.paymentIntentId}`,
        });
        return null;
      });
      if (intent === null) return { outcome: 'canceled' as const };
      if (intent.status === 'succeeded') return { outcome: 'already_paid' as const };
      // The bank is still deciding an attempt made inside the window: it cannot be canceled;
      // the order waits for it to settle.
      if (intent.status === 'processing') return { outcome: 'processing' as const };
      if (intent.status !== 'canceled') {
        try {
          const key = attemptKey(orderKeys.cancel(input.dropId, input.orderId), (n) => orderKeys.cancelAttempt(input.dropId, input.orderId, n), input.attempt);
          await payments.cancelPaymentIntent(input.paymentIntentId, key);
        } catch (err) {
          if (!(err instanceof ProviderRejectedError)) throw err;
          // Refused because the entrant's attempt moved the intent on between our two calls.
          const now = await retrieve();
          if (now.status === 'succeeded') return { outcome: 'already_paid' as const };
          if (now.status === 'processing') return { outcome: 'processing' as const };
          if (now.status !== 'canceled') return failFastOnRejection(() => Promise.reject(err));
        }
      }
      return { outcome: 'canceled' as const };
    },

    /**
     * Gives the entrant's money back, unless the charge is disputed: a dispute the bank has not
     * decided blocks it (`disputed`; the money is the bank's to move), a lost one already
     * returned it (`charged_back`, posted once). A won dispute refunds under a key of its own,
     * since the provider replays the `charge_disputed` answer it may have stored for the first.
     * `amountCents` is what is left to refund; `refundedBeforeCents` what support's partial
     * refunds returned before it (the order row's total becomes their sum).
     */
    async refundPayment(input: {
      dropId: string;
      orderId: string;
      paymentIntentId: string;
      amountCents: number;
      refundedBeforeCents?: number;
    }): Promise<RefundOutcome> {
      const disputeOutcome = async (intent: PaymentIntent): Promise<RefundOutcome | null> => {
        const d = intent.dispute;
        if (!d) return null;
        if (d.status === 'lost') {
          await postChargeback(db, input);
          return { outcome: 'charged_back', disputeId: d.id };
        }
        return isDisputeOpen(d.status) ? { outcome: 'disputed', disputeId: d.id, disputeStatus: d.status } : null;
      };
      const intent = await failFastOnRejection(() => payments.retrievePaymentIntent(input.paymentIntentId));
      const blocked = await disputeOutcome(intent);
      if (blocked) return blocked;
      let refund: { refundId: string };
      try {
        refund = await payments.refund({
          paymentIntentId: input.paymentIntentId,
          amountCents: input.amountCents,
          idempotencyKey: intent.dispute
            ? orderKeys.refundAfterDispute(input.dropId, input.orderId, intent.dispute.id)
            : orderKeys.refund(input.dropId, input.orderId),
        });
      } catch (err) {
        if (!(err instanceof ProviderRejectedError)) throw err;
        // The dispute opened between our look and the refund.
        if (err.code === 'charge_disputed') {
          const now = await failFastOnRejection(() => payments.retrievePaymentIntent(input.paymentIntentId));
          const late = await disputeOutcome(now);
          if (late) return late;
          return { outcome: 'disputed', disputeId: null, disputeStatus: 'needs_response' };
        }
        return failFastOnRejection(() => Promise.reject(err));
      }
      await postRefund(db, input);
      await recordRefundedCents(db, input.orderId, (input.refundedBeforeCents ?? 0) + input.amountCents);
      return { outcome: 'refunded', refundId: refund.refundId };
    },

    /**
     * Support's partial refund of `amountCents` (the `part`-th, 1, 2, …; its own key at the
     * provider and in the ledger); the order goes on. Refused, changing nothing, when the
     * charge is or was disputed (the bank decides that money) or the provider says the amount
     * is more than is left. `refundedBeforeCents`: the order's refunds before this one.
     */
    async refundPartOfPayment(input: {
      dropId: string;
      orderId: string;
      paymentIntentId: string;
      amountCents: number;
      part: number;
      refundedBeforeCents: number;
    }): Promise<PartialRefundOutcome> {
      const intent = await failFastOnRejection(() => payments.retrievePaymentIntent(input.paymentIntentId));
      if (intent.dispute && intent.dispute.status !== 'won' && intent.dispute.status !== 'warning_closed') {
        return { outcome: 'refused', reason: `the payment is disputed (${intent.dispute.status}): no partial refund` };
      }
      let refund: { refundId: string };
      try {
        refund = await payments.refund({
          paymentIntentId: input.paymentIntentId,
          amountCents: input.amountCents,
          idempotencyKey: orderKeys.refundPart(input.dropId, input.orderId, input.part),
        });
      } catch (err) {
        if (!(err instanceof ProviderRejectedError)) throw err;
        return { outcome: 'refused', reason: `the payment provider refused the refund: ${err.message}` };
      }
      await postPartialRefund(db, input);
      await recordRefundedCents(db, input.orderId, input.refundedBeforeCents + input.amountCents);
      return { outcome: 'refunded', refundId: refund.refundId };
    },

    /**
     * authorize_at_entry: takes the winner's hold. No hold (or one never authorised, or
     * expired) means no payment: the order lapses and its unit goes down the waitlist.
     */
    async captureAuthorizedPayment(input: { dropId: string; orderId: string; entryId: string }) {
      const held = await findAuthorization(db, input.dropId, input.entryId);
      if (!held) return { outcome: 'not_authorized' as const, paymentIntentId: null };
      let intent = await failFastOnRejection(() => payments.retrievePaymentIntent(held.payment_intent_id));
      // The card network (or the provider) released the hold before we captured it: the
      // entrant authorised, so the order asks them again rather than lapsing.
      if (intent.status === 'canceled') {
        await advanceAuthorization(db, held.payment_intent_id, 'voided');
        return { outcome: 'hold_canceled' as const, paymentIntentId: held.payment_intent_id };
      }
      if (intent.status === 'authorized') {
        try {
          intent = await payments.capturePaymentIntent(held.payment_intent_id, orderKeys.capture(input.dropId, input.orderId));
        } catch (err) {
          // The card network refused (an expired hold, say): a decline, not a retry.
          if (err instanceof ProviderRejectedError) return { outcome: 'capture_failed' as const, paymentIntentId: held.payment_intent_id };
          throw err;
        }
      }
      if (intent.status !== 'succeeded') return { outcome: 'not_authorized' as const, paymentIntentId: null };
      await postCapture(db, { dropId: input.dropId, orderId: input.orderId, amountCents: intent.amountReceivedCents });
      await advanceAuthorization(db, held.payment_intent_id, 'captured');
      return { outcome: 'captured' as const, paymentIntentId: held.payment_intent_id };
    },

    /**
     * authorize_at_entry, once every order is final: releases every hold that was not
     * captured (losers, the waitlist, lapsed winners). Resumes from its heartbeat.
     */
    async voidUnusedAuthorizations(input: { dropId: string }) {
      let after = (Context.current().info.heartbeatDetails as { after: string } | undefined)?.after ?? '';
      let voided = 0;
      for (;;) {
        const page = await listOpenAuthorizations(db, input.dropId, after, 50);
        if (page.length === 0) break;
        // A page at a time, each call asked again in place when it fails for a moment, so a
        // flaky provider slows the sweep down without throwing its progress away.
        await Promise.all(
          page.map(async (held) => {
            try {
              await voidOneHold(input.dropId, held);
            } catch (err) {
              // The provider refuses to tell us about, or to void, this one hold (e.g. it no
              // longer knows the intent): one hold must not fail the drop. Support is told,
              // and the hold stays open in our records so reconcile keeps naming it.
              const rejected = err instanceof ProviderRejectedError ? err : null;
              if (!rejected) throw err;
              await openException(db, {
                dropId: input.dropId,
                orderId: null,
                kind: 'hold_void_failed',
                detail: `the card hold ${held.payment_intent_id} of entry ${held.entry_id} could not be voided after the drop settled: ${rejected.message}; check it at the provider and release it by hand`,
                slaMinutes: HOLD_VOID_SLA_MINUTES,
                dedupeKey: `hold-void:${held.payment_intent_id}`,
              });
            }
          }),
        );
        after = page[page.length - 1]!.entry_id;
        heartbeat({ after });
      }
      return { voided };

      /** Voids one hold, or records that it was captured or released meanwhile. Throws ProviderRejectedError. */
      async function voidOneHold(dropId: string, held: { payment_intent_id: string; entry_id: string }) {
        const intent = await askAgainOnTransientFailure(() => payments.retrievePaymentIntent(held.payment_intent_id));
        if (intent.status === 'succeeded') return void (await advanceAuthorization(db, held.payment_intent_id, 'captured'));
        if (intent.status !== 'canceled') {
          try {
            await askAgainOnTransientFailure(() => payments.cancelPaymentIntent(held.payment_intent_id, entryKeys.void(dropId, held.entry_id)));
          } catch (err) {
            if (!(err instanceof ProviderRejectedError)) throw err;
            // Refused because the hold moved on meanwhile (released by the provider, or
            // captured): record where it is instead of failing the whole sweep.
            const now = await askAgainOnTransientFailure(() => payments.retrievePaymentIntent(held.payment_intent_id));
            if (now.status === 'succeeded') return void (await advanceAuthorization(db, held.payment_intent_id, 'captured'));
            if (now.status !== 'canceled') throw err;
          }
        }
        await advanceAuthorization(db, held.payment_intent_id, 'voided');
        voided += 1;
      }
    },

    /**
     * Missed pickup under the `credit` policy: the payment stays with us and becomes store
     * credit. Idempotent: once per order. The fallback offer code is derived from the order by
     * the API when the entrant asks (src/domain/offer-code.ts), so it never enters history.
     */
    async issueStoreCredit(input: { dropId: string; orderId: string; amountCents: number }) {
      await postStoreCredit(db, input);
    },
  };
}
