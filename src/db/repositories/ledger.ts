import { sql, type Kysely } from 'kysely';
import type { OrderState } from '../../domain/order/order-states';
import type { Database, LedgerPostingsTable } from '../schema';

export interface LedgerLine {
  account: string;
  amountCents: number;
}

/**
 * Posts one double-entry money movement. The lines must sum to zero, and the idempotency key
 * (business-scoped) makes a retried posting a no-op: no money is recorded twice.
 */
export async function post(
  db: Kysely<Database>,
  p: { idempotencyKey: string; dropId: string; orderId: string | null; kind: LedgerPostingsTable['kind']; lines: LedgerLine[] },
): Promise<boolean> {
  const sum = p.lines.reduce((s, l) => s + l.amountCents, 0);
  if (sum !== 0 || p.lines.length < 2) throw new Error(`unbalanced posting ${p.idempotencyKey}: lines sum to ${sum}`);
  return db.transaction().execute(async (trx) => {
    const posting = await trx
      .insertInto('ledger_postings')
      .values({ idempotency_key: p.idempotencyKey, drop_id: p.dropId, order_id: p.orderId, kind: p.kind })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('posting_id')
      .executeTakeFirst();
    if (!posting) return false;
    await trx
      .insertInto('ledger_lines')
      .values(p.lines.map((l) => ({ posting_id: posting.posting_id, account: l.account, amount_cents: l.amountCents })))
      .execute();
    return true;
  });
}

/** Balance per account for one drop. */
export async function balances(db: Kysely<Database>, dropId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('ledger_lines as l')
    .innerJoin('ledger_postings as p', 'p.posting_id', 'l.posting_id')
    .select(['l.account', (eb) => eb.fn.sum<string>('l.amount_cents').as('total')])
    .where('p.drop_id', '=', dropId)
    .groupBy('l.account')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.account, Number(r.total)]));
}

/** One order's money as the ledger knows it, through the provider's clearing account (cents, as text). */
export interface OrderMoney {
  order_id: string;
  state: OrderState;
  amount_cents: number;
  /** What the order row says it refunded (support's partial refunds, the full refund). */
  refunded_cents: number;
  captured: string;
  refunded: string;
  charged_back: string;
}

/**
 * What reconciliation compares with the provider, for one drop: each order's captured,
 * refunded and charged-back cents (through `clearingAccount`), the postings that do not sum to
 * zero, and the store credit owed (`storeCreditAccount`).
 */
export async function readReconcileFigures(db: Kysely<Database>, dropId: string, clearingAccount: string, storeCreditAccount: string) {
  const orders = await sql<OrderMoney>`
    SELECT o.order_id, o.state, o.amount_cents, o.refunded_cents,
      coalesce(sum(l.amount_cents) FILTER (WHERE p.kind = 'payment_captured'), 0) AS captured,
      coalesce(-sum(l.amount_cents) FILTER (WHERE p.kind = 'payment_refunded'), 0) AS refunded,
      coalesce(-sum(l.amount_cents) FILTER (WHERE p.kind = 'payment_charged_back'), 0) AS charged_back
    FROM orders o
    LEFT JOIN ledger_postings p ON p.order_id = o.order_id
    LEFT JOIN ledger_lines l ON l.posting_id = p.posting_id AND l.account = ${clearingAccount}
    WHERE o.drop_id = ${dropId}
    GROUP BY o.order_id, o.state, o.amount_cents, o.refunded_cents`.execute(db);
  const unbalanced = await sql<{ n: string }>`
    SELECT count(*) AS n FROM (
      SELECT p.posting_id FROM ledger_postings p JOIN ledger_lines l ON l.posting_id = p.posting_id
      WHERE p.drop_id = ${dropId} GROUP BY p.posting_id HAVING sum(l.amount_cents) <> 0
    ) x`.execute(db);
  const storeCredit = await sql<{ total: string | null }>`
    SELECT -sum(l.amount_cents) AS total FROM ledger_lines l JOIN ledger_postings p ON p.posting_id = l.posting_id
    WHERE p.drop_id = ${dropId} AND l.account = ${storeCreditAccount}`.execute(db);
  return { orders, unbalanced, storeCredit };
}

/** One order's money through `clearingAccount` as the ledger knows it, in cents: captured, refunded, charged back. */
export async function readOrderMoney(db: Kysely<Database>, orderId: string, clearingAccount: string) {
  const { rows } = await sql<{ captured: string; refunded: string; charged_back: string }>`
    SELECT
      coalesce(sum(l.amount_cents) FILTER (WHERE p.kind = 'payment_captured'), 0) AS captured,
      coalesce(-sum(l.amount_cents) FILTER (WHERE p.kind = 'payment_refunded'), 0) AS refunded,
      coalesce(-sum(l.amount_cents) FILTER (WHERE p.kind = 'payment_charged_back'), 0) AS charged_back
    FROM ledger_postings p JOIN ledger_lines l ON l.posting_id = p.posting_id AND l.account = ${clearingAccount}
    WHERE p.order_id = ${orderId}`.execute(db);
  const r = rows[0];
  return { capturedCents: Number(r?.captured ?? 0), refundedCents: Number(r?.refunded ?? 0), chargedBackCents: Number(r?.charged_back ?? 0) };
}
