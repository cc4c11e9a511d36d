import type { Db } from '../../db/connection';
import { post } from '../../db/repositories/ledger';
import type { LedgerPostingsTable } from '../../db/schema';
import { orderKeys } from '../../domain/idempotency-keys';
import { ledgerAccounts } from '../../domain/ledger-accounts';

/**
 * An order's money movements in the ledger, each posted once per order (its business key):
 * whichever learns of a movement first (the order's activity or a webhook) posts it, and the
 * other's posting is a no-op. Amounts in cents. Each returns whether this call posted it.
 */
export type OrderMoney = { dropId: string; orderId: string; amountCents: number };

/** `amountCents` moved from `credit` to `debit` (debits positive), for one order. */
const postMovement = (db: Db, m: OrderMoney, idempotencyKey: string, kind: LedgerPostingsTable['kind'], debit: string, credit: string) =>
  post(db, {
    idempotencyKey,
    dropId: m.dropId,
    orderId: m.orderId,
    kind,
    lines: [
      { account: debit, amountCents: m.amountCents },
      { account: credit, amountCents: -m.amountCents },
    ],
  });

/** The money the provider captured for an order. */
export const postCapture = (db: Db, m: OrderMoney) =>
  postMovement(db, m, orderKeys.capture(m.dropId, m.orderId), 'payment_captured', ledgerAccounts.providerClearing, ledgerAccounts.sales(m.dropId));

/** The entrant's money given back. */
export const postRefund = (db: Db, m: OrderMoney) =>
  postMovement(db, m, orderKeys.refund(m.dropId, m.orderId), 'payment_refunded', ledgerAccounts.sales(m.dropId), ledgerAccounts.providerClearing);

/** Support's `part`-th partial refund (the order keeps going; the full refund later posts what is left). */
export const postPartialRefund = (db: Db, m: OrderMoney & { part: number }) =>
  postMovement(db, m, orderKeys.refundPart(m.dropId, m.orderId, m.part), 'payment_refunded', ledgerAccounts.sales(m.dropId), ledgerAccounts.providerClearing);

/**
 * A lost dispute: the bank took the money back from us for the cardholder (a chargeback), so
 * the ledger agrees with the provider and no refund is ever posted on top of it.
 */
export const postChargeback = (db: Db, m: OrderMoney) =>
  postMovement(db, m, orderKeys.chargeback(m.dropId, m.orderId), 'payment_charged_back', ledgerAccounts.sales(m.dropId), ledgerAccounts.providerClearing);

/** Missed pickup under the `credit` policy: the payment stays with us as the entrant's store credit. */
export const postStoreCredit = (db: Db, m: OrderMoney) =>
  postMovement(db, m, orderKeys.storeCredit(m.dropId, m.orderId), 'store_credit_issued', ledgerAccounts.sales(m.dropId), ledgerAccounts.storeCredit(m.dropId));
