import type { Db } from '../db/connection';
import { post } from '../db/repositories/ledger';
import { orderKeys } from '../domain/idempotency-keys';
import { ledgerAccounts } from '../domain/ledger-accounts';

/**
 * An order's money movements in the ledger, each posted once per order (its business key):
 * whichever learns of a movement first (the order's activity or a webhook) posts it, and the
 * other's posting is a no-op. Amounts in cents. Returns whether this call posted it.
 */
export type OrderMoney = { dropId: string; orderId: string; amountCents: number };

/** The money the provider captured for an order. */
export const postCapture = (db: Db, m: OrderMoney) =>
  post(db, {
    idempotencyKey: orderKeys.capture(m.dropId, m.orderId),
    dropId: m.dropId,
    orderId: m.orderId,
    kind: 'payment_captured',
    lines: [
      { account: ledgerAccounts.providerClearing, amountCents: m.amountCents },
      { account: ledgerAccounts.sales(m.dropId), amountCents: -m.amountCents },
    ],
  });

/** The entrant's money given back. */
export const postRefund = (db: Db, m: OrderMoney) =>
  post(db, {
    idempotencyKey: orderKeys.refund(m.dropId, m.orderId),
    dropId: m.dropId,
    orderId: m.orderId,
    kind: 'payment_refunded',
    lines: [
      { account: ledgerAccounts.sales(m.dropId), amountCents: m.amountCents },
      { account: ledgerAccounts.providerClearing, amountCents: -m.amountCents },
    ],
  });

/**
 * A lost dispute: the bank took the money back from us for the cardholder (a chargeback), so
 * the ledger agrees with the provider and no refund is ever posted on top of it.
 */
export const postChargeback = (db: Db, m: OrderMoney) =>
  post(db, {
    idempotencyKey: orderKeys.chargeback(m.dropId, m.orderId),
    dropId: m.dropId,
    orderId: m.orderId,
    kind: 'payment_charged_back',
    lines: [
      { account: ledgerAccounts.sales(m.dropId), amountCents: m.amountCents },
      { account: ledgerAccounts.providerClearing, amountCents: -m.amountCents },
    ],
  });

/** Missed pickup under the `credit` policy: the payment stays with us as the entrant's store credit. */
export const postStoreCredit = (db: Db, m: OrderMoney) =>
  post(db, {
    idempotencyKey: orderKeys.storeCredit(m.dropId, m.orderId),
    dropId: m.dropId,
    orderId: m.orderId,
    kind: 'store_credit_issued',
    lines: [
      { account: ledgerAccounts.sales(m.dropId), amountCents: m.amountCents },
      { account: ledgerAccounts.storeCredit(m.dropId), amountCents: -m.amountCents },
    ],
  });
