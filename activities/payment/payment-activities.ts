import { createHmac } from 'node:crypto';
import { post } from '../../src/db/repositories/ledger';
import type { ActivityDeps } from '../deps';
import { failFastOnRejection } from '../provider-errors';

/** Idempotency keys come from business ids, never from a run id: a reset must not pay twice. */
const key = (dropId: string, orderId: string, step: string) => `drop:${dropId}:order:${orderId}:${step}:v1`;

export const ledgerAccounts = {
  providerClearing: 'provider:payments:clearing',
  sales: (dropId: string) => `drop:${dropId}:sales`,
  /** What we owe entrants as store credit (a liability). */
  storeCredit: (dropId: string) => `drop:${dropId}:store_credit`,
};

export function createPaymentActivities({ db, payments, claimSecret }: ActivityDeps) {
  return {
    async createPaymentIntent(input: { dropId: string; orderId: string; amountCents: number; currency: string }) {
      const intent = await failFastOnRejection(() =>
        payments.createPaymentIntent({
          dropId: input.dropId,
          orderId: input.orderId,
          amountCents: input.amountCents,
          currency: input.currency,
          idempotencyKey: key(input.dropId, input.orderId, 'intent'),
        }),
      );
      return { paymentIntentId: intent.id, payLink: intent.payLink };
    },

    /**
     * A webhook said the entrant paid; ask the provider before believing it, then post the
     * capture to the ledger (once, whatever the retries).
     */
    async confirmPayment(input: { dropId: string; orderId: string; paymentIntentId: string }) {
      const intent = await failFastOnRejection(() => payments.retrievePaymentIntent(input.paymentIntentId));
      if (intent.status !== 'succeeded') return { paid: false };
      await post(db, {
        idempotencyKey: key(input.dropId, input.orderId, 'capture'),
        dropId: input.dropId,
        orderId: input.orderId,
        kind: 'payment_captured',
        lines: [
          { account: ledgerAccounts.providerClearing, amountCents: intent.amountReceivedCents },
          { account: ledgerAccounts.sales(input.dropId), amountCents: -intent.amountReceivedCents },
        ],
      });
      return { paid: true };
    },

    /**
     * The pay window closed: void the intent. If the entrant paid at the last moment the cancel
     * is refused and we report it, so the workflow refunds instead of keeping unowed money.
     */
    async cancelPaymentIntent(input: { dropId: string; orderId: string; paymentIntentId: string }) {
      const intent = await failFastOnRejection(() => payments.retrievePaymentIntent(input.paymentIntentId));
      if (intent.status === 'succeeded') return { outcome: 'already_paid' as const };
      if (intent.status !== 'canceled') {
        await failFastOnRejection(() =>
          payments.cancelPaymentIntent(input.paymentIntentId, key(input.dropId, input.orderId, 'cancel')),
        );
      }
      return { outcome: 'canceled' as const };
    },

    async refundPayment(input: { dropId: string; orderId: string; paymentIntentId: string; amountCents: number }) {
      const refund = await failFastOnRejection(() =>
        payments.refund({
          paymentIntentId: input.paymentIntentId,
          amountCents: input.amountCents,
          idempotencyKey: key(input.dropId, input.orderId, 'refund'),
        }),
      );
      await post(db, {
        idempotencyKey: key(input.dropId, input.orderId, 'refund'),
        dropId: input.dropId,
        orderId: input.orderId,
        kind: 'payment_refunded',
        lines: [
          { account: ledgerAccounts.sales(input.dropId), amountCents: input.amountCents },
          { account: ledgerAccounts.providerClearing, amountCents: -input.amountCents },
        ],
      });
      return { refundId: refund.refundId };
    },

    /**
     * Missed pickup under the `credit` policy: the payment stays with us and becomes store
     * credit, with a fallback offer code. Deterministic and idempotent: once per order.
     */
    async issueStoreCredit(input: { dropId: string; orderId: string; amountCents: number }) {
      await post(db, {
        idempotencyKey: key(input.dropId, input.orderId, 'store-credit'),
        dropId: input.dropId,
        orderId: input.orderId,
        kind: 'store_credit_issued',
        lines: [
          { account: ledgerAccounts.sales(input.dropId), amountCents: input.amountCents },
          { account: ledgerAccounts.storeCredit(input.dropId), amountCents: -input.amountCents },
        ],
      });
      const offerCode = `offer_${createHmac('sha256', claimSecret).update(`offer:${input.dropId}:${input.orderId}`).digest('base64url').slice(0, 16)}`;
      return { offerCode };
    },
  };
}
