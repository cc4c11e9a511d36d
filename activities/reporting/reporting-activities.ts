import { sql } from 'kysely';
import { DRAW_ALGORITHM } from '../../src/domain/draw/lottery';
import { ratio, renderHtml, renderMarkdown, type PostMortem } from '../../src/domain/report';
import { findDrop, listNodes } from '../../src/db/repositories/drops';
import { recordEvent } from '../../src/db/repositories/events';
import { balances } from '../../src/db/repositories/ledger';
import { saveReport } from '../../src/db/repositories/reports';
import type { ActivityDeps } from '../deps';
import { ledgerAccounts } from '../../src/domain/ledger-accounts';

export function createReportingActivities({ db }: ActivityDeps) {
  return {
    /** Computes the KPIs from Postgres and writes the post-mortem (JSON, Markdown, HTML). */
    async writePostMortem(input: { dropId: string }) {
      const drop = await findDrop(db, input.dropId);
      if (!drop) throw new Error(`drop ${input.dropId} not found`);
      const { dropId } = input;

      const entryCounts = await sql<{ entrants: string; drawn: string }>`
        SELECT (SELECT count(*) FROM entries WHERE drop_id = ${dropId}) AS entrants,
               (SELECT count(*) FROM draw_winners WHERE drop_id = ${dropId}) AS drawn`.execute(db);
      const entrants = Number(entryCounts.rows[0]!.entrants);
      const drawnWinners = Number(entryCounts.rows[0]!.drawn);
      const orderCounts = await sql<{ state: string; n: string }>`
        SELECT state, count(*) AS n FROM orders WHERE drop_id = ${dropId} GROUP BY state`.execute(db);
      const byState: Record<string, number> = Object.fromEntries(orderCounts.rows.map((r) => [r.state, Number(r.n)]));
      const perNode = await sql<{ node_id: string; picked_up: string; shipped: string; refunded_pickups: string }>`
        SELECT node_id, count(*) FILTER (WHERE state = 'picked_up') AS picked_up,
               count(*) FILTER (WHERE state = 'shipped') AS shipped,
               count(*) FILTER (WHERE state = 'refunded' AND fulfillment = 'pickup') AS refunded_pickups
        FROM orders WHERE drop_id = ${dropId} AND node_id IS NOT NULL GROUP BY node_id`.execute(db);
      const timings = await sql<{ to_pay: number | null; to_pickup: number | null }>`
        WITH t AS (
          SELECT order_id,
            min(at) FILTER (WHERE data->>'state' = 'awaiting_payment') AS offered,
            min(at) FILTER (WHERE data->>'state' = 'paid') AS paid,
            min(at) FILTER (WHERE data->>'state' = 'awaiting_pickup') AS ready,
            min(at) FILTER (WHERE data->>'state' = 'picked_up') AS picked
          FROM events WHERE drop_id = ${dropId} AND kind = 'order.state' GROUP BY order_id)
        SELECT
          round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM paid - offered))::numeric, 1)::float AS to_pay,
          round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM picked - ready))::numeric, 1)::float AS to_pickup
        FROM t`.execute(db);
      const money = await sql<{ kind: string; total: string }>`
        SELECT p.kind, sum(l.amount_cents) AS total FROM ledger_postings p
        JOIN ledger_lines l ON l.posting_id = p.posting_id
        WHERE p.drop_id = ${dropId} AND l.account = ${ledgerAccounts.providerClearing} GROUP BY p.kind`.execute(db);
      const moneyBy = Object.fromEntries(money.rows.map((r) => [r.kind, Number(r.total)]));
      const ledger = await balances(db, dropId);
      const exceptions = await sql<{ opened: string; open: string }>`
        SELECT count(*) AS opened, count(*) FILTER (WHERE status = 'open') AS open
        FROM exceptions WHERE drop_id = ${dropId}`.execute(db);
      const nodes = await listNodes(db, dropId);

      const n = (s: string) => byState[s] ?? 0;
      const pickedUp = n('picked_up');
      const shipped = n('shipped');
      const refunded = n('refunded');
      const unpaid = n('unpaid');
      const declined = n('declined');
      const credited = n('credited');
      const paid = pickedUp + shipped + refunded + credited;
      const promoted = await db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('drop_id', '=', dropId)
        .where('promoted_from_order_id', 'is not', null)
        .executeTakeFirstOrThrow();
      const winners = Object.values(byState).reduce((a, b) => a + b, 0);
      const pickupRoutedFinal = pickedUp + perNode.rows.reduce((sum, r) => sum + Number(r.refunded_pickups), 0);
      const capturedCents = moneyBy['payment_captured'] ?? 0;
      const refundedCents = -(moneyBy['payment_refunded'] ?? 0);
      // Lost disputes: the bank returned the money to the cardholder.
      const chargedBackCents = -(moneyBy['payment_charged_back'] ?? 0);

      const report: PostMortem = {
        dropId,
        name: drop.name,
        generatedAt: new Date().toISOString(),
        draw: {
          algorithm: DRAW_ALGORITHM,
          commitment: drop.commitment,
          seed: drop.seed,
          entrantsDigest: drop.entrants_digest,
          beacon: drop.beacon,
          recordUrl: `/v1/drops/${dropId}/draw`,
        },
        counts: {
          entrants,
          units: drop.units,
          winners,
          // After the draw everyone who did not win is on the waitlist, in draw order.
          waitlisted: entrants - drawnWinners,
          paid,
          unpaid,
          declined,
          promoted: Number(promoted.n),
          pickedUp,
          refunded,
          shipped,
          credited,
          unsettled: winners - paid - unpaid - declined,
        },
        rates: {
          payRate: ratio(paid, winners),
          pickupRate: ratio(pickedUp, pickupRoutedFinal),
          sellThrough: ratio(pickedUp + shipped, drop.units),
        },
        money: {
          currency: drop.currency,
          capturedCents,
          refundedCents,
          chargedBackCents,
          netCents: capturedCents - refundedCents - chargedBackCents,
          storeCreditCents: -(ledger[ledgerAccounts.storeCredit(dropId)] ?? 0),
          ledgerBalanced: Object.values(ledger).reduce((a, b) => a + b, 0) === 0,
        },
        timings: { medianSecondsToPay: timings.rows[0]?.to_pay ?? null, medianSecondsToPickup: timings.rows[0]?.to_pickup ?? null },
        nodes: nodes.map((node) => {
          const row = perNode.rows.find((r) => r.node_id === node.node_id);
          return {
            nodeId: node.node_id,
            region: node.region,
            kind: node.kind,
            stockTotal: node.stock_total,
            stockRemaining: node.stock_remaining,
            pickedUp: Number(row?.picked_up ?? 0),
            shippedFrom: Number(row?.shipped ?? 0),
          };
        }),
        exceptions: { opened: Number(exceptions.rows[0]?.opened ?? 0), open: Number(exceptions.rows[0]?.open ?? 0) },
      };
      const markdown = renderMarkdown(report);
      await saveReport(db, { dropId, report, markdown, html: renderHtml(report, markdown) });
      await recordEvent(db, { dropId, kind: 'drop.report_written', data: { winners, paid } });
      return report.counts;
    },
  };
}
