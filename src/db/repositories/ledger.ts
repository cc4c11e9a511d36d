import type { Kysely } from 'kysely';
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
