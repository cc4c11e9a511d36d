import { DRAW_ALGORITHM } from '../../src/domain/draw/lottery';
import { ratio, renderHtml, renderMarkdown, type PostMortem } from '../../src/domain/report';
import { findDrop, listNodes } from '../../src/db/repositories/drops';
import { recordEvent } from '../../src/db/repositories/events';
import { balances } from '../../src/db/repositories/ledger';
import { readReportFigures, saveReport } from '../../src/db/repositories/reports';
import type { ActivityDeps } from '../deps';
import { ledgerAccounts } from '../../src/domain/ledger-accounts';

export function createReportingActivities({ db }: ActivityDeps) {
  return {
    /** Computes the KPIs from Postgres and writes the post-mortem (JSON, Markdown, HTML). */
    async writePostMortem(input: { dropId: string }) {
      const drop = await findDrop(db, input.dropId);
      if (!drop) throw new Error(`drop ${input.dropId} not found`);
      const { dropId } = input;

      const { entryCounts, orderCounts, perNode, timings, money, exceptions, promoted, cancelledPaid } = await readReportFigures(
        db,
        dropId,
        ledgerAccounts.providerClearing,
      );
      const entrants = Number(entryCounts.rows[0]!.entrants);
      const drawnWinners = Number(entryCounts.rows[0]!.drawn);
      const byState: Record<string, number> = Object.fromEntries(orderCounts.rows.map((r) => [r.state, Number(r.n)]));
      const moneyBy = Object.fromEntries(money.rows.map((r) => [r.kind, Number(r.total)]));
      const ledger = await balances(db, dropId);
      const nodes = await listNodes(db, dropId);

      const n = (s: string) => byState[s] ?? 0;
      const pickedUp = n('picked_up');
      const shipped = n('shipped');
      const refunded = n('refunded');
      const unpaid = n('unpaid');
      const declined = n('declined');
      const credited = n('credited');
      const cancelled = n('cancelled');
      const paid = pickedUp + shipped + refunded + credited + cancelledPaid;
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
          cancelled,
          unsettled: winners - paid - unpaid - declined - (cancelled - cancelledPaid),
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
        ...(drop.cancelled_at && {
          cancellation: {
            reasonCode: drop.cancel_reason_code,
            at: new Date(drop.cancelled_at).toISOString(),
            inPhase: drop.cancelled_in_phase,
            beforeDraw: drop.cancelled_in_phase !== 'settling',
          },
        }),
      };
      const markdown = renderMarkdown(report);
      await saveReport(db, { dropId, report, markdown, html: renderHtml(report, markdown) });
      await recordEvent(db, { dropId, kind: 'drop.report_written', data: { winners, paid } });
      return report.counts;
    },
  };
}
