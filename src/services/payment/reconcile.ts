import type { Db } from '../../db/connection';
import { findDrop } from '../../db/repositories/drops';
import { readReconcileFigures } from '../../db/repositories/ledger';
import { isFinalOrderState, ORDER_STATES_KEEPING_PAYMENT, ORDER_STATES_RETURNING_PAYMENT } from '../../domain/order/order-states';
import { ProviderRejectedError, type PaymentProvider } from '../../integrations/providers';
import { withRetries } from '../../lib/retry';
import { ledgerAccounts } from '../../domain/ledger-accounts';

/**
 * Compares our double-entry ledger with the payment provider's own records for one drop:
 * per order, what the provider captured and refunded against what we posted, and whether that
 * matches the order's final state. Any difference is named; `reconciled` is true only when
 * there is none.
 */
export interface ReconcileReport {
  dropId: string;
  orders: number;
  providerIntents: number;
  provider: { capturedCents: number; refundedCents: number; chargedBackCents: number };
  ledger: { capturedCents: number; refundedCents: number; chargedBackCents: number; storeCreditCents: number; balanced: boolean; unbalancedPostings: number };
  doubleCharges: number;
  orphanCharges: number;
  lostRefunds: number;
  /** authorize_at_entry: holds still placed on cards after the drop completed. */
  heldAuthorizations: number;
  unsettledOrders: number;
  mismatches: string[];
  reconciled: boolean;
}

export async function reconcileDrop(deps: { db: Db; payments: PaymentProvider }, dropId: string): Promise<ReconcileReport> {
  const clearing = ledgerAccounts.providerClearing;
  const { orders, unbalanced, storeCredit } = await readReconcileFigures(deps.db, dropId, clearing, ledgerAccounts.storeCredit(dropId));

  const { intents, refunds, disputes } = await readWithRetries(() => deps.payments.listDropPayments(dropId));
  // A lost dispute: the bank took the money back for the cardholder (a chargeback).
  const chargedBackByIntent = new Map<string, number>();
  for (const d of disputes.filter((x) => x.status === 'lost'))
    chargedBackByIntent.set(d.paymentIntentId, (chargedBackByIntent.get(d.paymentIntentId) ?? 0) + d.amountCents);
  const refundedByIntent = new Map<string, number>();
  for (const r of refunds) refundedByIntent.set(r.paymentIntentId, (refundedByIntent.get(r.paymentIntentId) ?? 0) + r.amountCents);
  const chargesByOrder = new Map<string, Array<{ id: string; captured: number; refunded: number; chargedBack: number }>>();
  for (const i of intents) {
    if (i.amountReceivedCents === 0) continue;
    const list = chargesByOrder.get(i.orderId ?? '') ?? [];
    list.push({ id: i.id, captured: i.amountReceivedCents, refunded: refundedByIntent.get(i.id) ?? 0, chargedBack: chargedBackByIntent.get(i.id) ?? 0 });
    chargesByOrder.set(i.orderId ?? '', list);
  }

  const mismatches: string[] = [];
  let doubleCharges = 0;
  let orphanCharges = 0;
  let lostRefunds = 0;
  let unsettledOrders = 0;
  const known = new Set<string>();
  for (const o of orders.rows) {
    known.add(o.order_id);
    const charges = chargesByOrder.get(o.order_id) ?? [];
    const providerCaptured = charges.reduce((s, c) => s + c.captured, 0);
    const providerRefunded = charges.reduce((s, c) => s + c.refunded, 0);
    const providerChargedBack = charges.reduce((s, c) => s + c.chargedBack, 0);
    const ledgerChargedBack = Number(o.charged_back);
    const ledgerCaptured = Number(o.captured);
    const ledgerRefunded = Number(o.refunded);
    if (!isFinalOrderState(o.state)) unsettledOrders += 1;
    if (charges.length > 1 || providerCaptured > o.amount_cents || ledgerCaptured > o.amount_cents) {
      doubleCharges += 1;
      mismatches.push(`${o.order_id}: charged more than once (provider ${providerCaptured}, ledger ${ledgerCaptured}, price ${o.amount_cents})`);
    }
    if (providerCaptured !== ledgerCaptured) {
      if (ledgerCaptured === 0) orphanCharges += 1;
      mismatches.push(`${o.order_id}: provider captured ${providerCaptured}, ledger captured ${ledgerCaptured}`);
    }
    const refundMismatch = providerRefunded !== ledgerRefunded;
    if (refundMismatch) {
      lostRefunds += 1;
      mismatches.push(`${o.order_id}: provider refunded ${providerRefunded}, ledger refunded ${ledgerRefunded}`);
    }
    if (providerChargedBack !== ledgerChargedBack) {
      mismatches.push(`${o.order_id}: provider charged back ${providerChargedBack}, ledger charged back ${ledgerChargedBack}`);
    }
    // The final state says where the money must be. A chargeback on a kept order is a loss
    // (the ledger shows it), not money misplaced; support's partial refunds are not kept.
    const net = providerCaptured - providerRefunded - providerChargedBack;
    const keeps = ORDER_STATES_KEEPING_PAYMENT.includes(o.state);
    const returns = ORDER_STATES_RETURNING_PAYMENT.includes(o.state);
    const kept = o.amount_cents - o.refunded_cents;
    if (keeps && net + providerChargedBack !== kept) {
      const partly = o.refunded_cents > 0 ? ` (${o.refunded_cents} refunded by support)` : '';
      mismatches.push(`${o.order_id}: ${o.state} but the provider holds ${net} of ${kept}${partly}`);
    }
    if (returns && net !== 0) {
      if (o.state === 'refunded' && !refundMismatch) lostRefunds += 1;
      mismatches.push(`${o.order_id}: ${o.state} but the provider still holds ${net}`);
    }
  }
  for (const [orderId, charges] of chargesByOrder) {
    if (known.has(orderId)) continue;
    orphanCharges += charges.length;
    mismatches.push(`${charges.map((c) => c.id).join(', ')}: charged for ${orderId || 'no order'}, which is not an order of this drop`);
  }

  // Once the drop is over, no entrant's card may still carry a hold from it.
  const drop = await findDrop(deps.db, dropId);
  const held = drop?.phase === 'completed' ? intents.filter((i) => i.status === 'authorized') : [];
  for (const i of held) mismatches.push(`${i.id}: a hold of ${i.amountCents} is still placed for ${i.orderId ?? 'no order'}`);

  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const unbalancedPostings = Number(unbalanced.rows[0]?.n ?? 0);
  if (unbalancedPostings > 0) mismatches.push(`${unbalancedPostings} ledger postings do not sum to zero`);
  if (unsettledOrders > 0) mismatches.push(`${unsettledOrders} orders are not final yet`);
  return {
    dropId,
    orders: orders.rows.length,
    providerIntents: intents.length,
    provider: {
      capturedCents: sum(intents.map((i) => i.amountReceivedCents)),
      refundedCents: sum(refunds.map((r) => r.amountCents)),
      chargedBackCents: sum([...chargedBackByIntent.values()]),
    },
    ledger: {
      capturedCents: sum(orders.rows.map((o) => Number(o.captured))),
      refundedCents: sum(orders.rows.map((o) => Number(o.refunded))),
      chargedBackCents: sum(orders.rows.map((o) => Number(o.charged_back))),
      storeCreditCents: Number(storeCredit.rows[0]?.total ?? 0),
      balanced: unbalancedPostings === 0,
      unbalancedPostings,
    },
    doubleCharges,
    orphanCharges,
    lostRefunds,
    heldAuthorizations: held.length,
    unsettledOrders,
    mismatches,
    reconciled: mismatches.length === 0,
  };
}

/** Providers fail now and then; a reconciliation asks again (reads only) before giving up. */
const readWithRetries = <T>(read: () => Promise<T>): Promise<T> =>
  withRetries(read, { attempts: 6, initialBackoffMs: 400, isFinal: (err) => err instanceof ProviderRejectedError });

export function formatReconcile(r: ReconcileReport): string {
  const lines = [
    `reconcile ${r.dropId}: ${r.orders} orders, ${r.providerIntents} provider payment intents`,
    `  provider  captured ${r.provider.capturedCents}  refunded ${r.provider.refundedCents}`,
    `  ledger    captured ${r.ledger.capturedCents}  refunded ${r.ledger.refundedCents}  store credit ${r.ledger.storeCreditCents}  balanced ${r.ledger.balanced}`,
    `  double charges ${r.doubleCharges}  orphan charges ${r.orphanCharges}  lost refunds ${r.lostRefunds}  holds left ${r.heldAuthorizations}  unsettled orders ${r.unsettledOrders}`,
    ...r.mismatches.slice(0, 50).map((m) => `  MISMATCH ${m}`),
    ...(r.mismatches.length > 50 ? [`  … and ${r.mismatches.length - 50} more`] : []),
    `  ${r.reconciled ? 'RECONCILED' : 'NOT RECONCILED'}`,
  ];
  return lines.join('\n');
}
