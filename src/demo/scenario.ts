import { DropsApiClient, mapLimit } from './api-client';
import { seededRandom } from '../lib/seeded-random';
import { isFinalOrderState } from '../domain/order/order-states';
import { pollUntil } from '../lib/poll';

/**
 * A scripted drop driven only through public HTTP: ops launch and close it, simulated entrants
 * register, some winners pay (at the simulated provider's checkout) and some pick up (at the
 * simulated locker). Used by `drops demo`, the end-to-end test and the history recorder.
 */
export interface ScenarioOptions {
  apiUrl: string;
  providerUrl: string;
  opsKey: string;
  dropId: string;
  entrants: number;
  units: number;
  nodes: Array<{ nodeId: string; region: string; kind: 'locker' | 'popup'; stock: number }>;
  /** Regions entrants come from; one without a node makes shipped orders. */
  regions: string[];
  payRate: number;
  /** Share of winners whose card is declined at the checkout (their unit goes to the waitlist). */
  declineRate?: number;
  pickupRate: number;
  missedPickupPolicy?: 'refund' | 'reship' | 'credit';
  windows: { registrationSeconds: number; paymentSeconds: number; pickupSeconds: number; postMortemDelaySeconds: number };
  seed?: number;
  log?: (line: string) => void;
  deadlineMs?: number;
}

export interface ScenarioResult {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from over the wire, read field by field
  report: any;
  receipts: number;
  duplicatesAnswered: number;
  paidByEntrants: number;
  declinedByEntrants: number;
  pickedUpByEntrants: number;
  /** Waitlisted entrants who got an order when a winner lapsed or was declined. */
  promoted: number;
}

const RELEASED = new Set(['unpaid', 'declined']);

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const log = o.log ?? (() => {});
  const api = new DropsApiClient(o.apiUrl, { ops: o.opsKey });
  const rand = seededRandom(o.seed ?? 42);
  const deadline = Date.now() + (o.deadlineMs ?? 10 * 60_000);
  const until = (what: string, check: () => Promise<boolean>) => pollUntil(`the scenario: ${what}`, check, { deadline, intervalMs: 250 });

  // announce
  const launch = await api.call('POST', '/v1/drops', {
    as: 'ops',
    body: {
      dropId: o.dropId,
      name: `Demo drop ${o.dropId}`,
      units: o.units,
      priceCents: 2500,
      currency: 'usd',
      nodes: o.nodes,
      windows: o.windows,
      policies: { missedPickup: o.missedPickupPolicy ?? 'refund' },
    },
  });
  if (launch.status !== 201) throw new Error(`launch answered ${launch.status}: ${JSON.stringify(launch.body)}`);
  let phase = '';
  const phaseIs = async (...phases: string[]) => {
    const { body } = await api.call('GET', `/v1/drops/${o.dropId}`, { as: 'ops' });
    if (body.phase !== phase) {
      phase = body.phase;
      log(`phase: ${phase}${body.commitment && phase === 'registration' ? ` (commitment ${body.commitment})` : ''}`);
    }
    return phases.includes(body.phase);
  };
  await until('registration to open', () => phaseIs('registration'));

  // registration
  const people = Array.from({ length: o.entrants }, (_, i) => ({
    email: `entrant${i}@example.test`,
    region: o.regions[Math.floor(rand() * o.regions.length)]!,
  }));
  const receipts = await mapLimit(people, 32, async (p) => {
    const r = await api.call('POST', `/v1/drops/${o.dropId}/entries`, { body: p });
    if (r.status !== 201) throw new Error(`registration answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body as { entryId: string; receiptSecret: string };
  });
  // Some people try again: they get their first receipt back, not a second entry.
  const again = await mapLimit(people.slice(0, Math.ceil(o.entrants / 20)), 16, (p) =>
    api.call('POST', `/v1/drops/${o.dropId}/entries`, { body: { ...p, email: p.email.toUpperCase() } }),
  );
  const duplicatesAnswered = again.filter((r, i) => r.status === 200 && r.body.entryId === receipts[i]!.entryId).length;
  log(`registered ${receipts.length} entrants; ${duplicatesAnswered} repeat submissions got their first receipt back`);

  const close = await api.call('POST', `/v1/drops/${o.dropId}/close`, { as: 'ops' });
  log(`ops closed registration early (${close.status})`);
  await until('the draw', () => phaseIs('settling', 'post_mortem_pending', 'completed'));

  // the winners act: pay, decline or let the window lapse, then pick up (or not); a lapsed or
  // declined unit goes to the next waitlisted entrant in draw order, who then acts the same way
  const status = (r: { entryId: string; receiptSecret: string }) =>
    api.call('GET', `/v1/drops/${o.dropId}/entries/${r.entryId}`, { headers: { 'x-receipt-secret': r.receiptSecret } });
  const all = await mapLimit(receipts, 32, async (r) => ({ r, s: (await status(r)).body }));
  const winners = all.filter((x) => x.s.status === 'won').map((x) => x.r);
  const waitlist = all
    .filter((x) => x.s.status === 'waitlisted')
    .sort((a, b) => a.s.drawPosition - b.s.drawPosition)
    .map((x) => x.r);
  log(`draw: ${winners.length} winners, ${waitlist.length} waitlisted`);
  type Choice = 'pay' | 'decline' | 'lapse';
  const choices = new Map<string, { pay: Choice; pickUp: boolean }>();
  const choiceOf = (entryId: string) => {
    if (!choices.has(entryId)) {
      const roll = rand();
      const pay: Choice = roll < (o.declineRate ?? 0) ? 'decline' : roll < (o.declineRate ?? 0) + o.payRate ? 'pay' : 'lapse';
      choices.set(entryId, { pay, pickUp: rand() < o.pickupRate });
    }
    return choices.get(entryId)!;
  };
  const done = new Set<string>();
  const released = new Set<string>();
  const paid = new Set<string>();
  const declined = new Set<string>();
  const pickedUp = new Set<string>();
  const promotedSeen = new Set<string>();
  await until('every order to settle', async () => {
    // Promotions go down the waitlist in draw order, one per released unit.
    const watched = [...winners, ...waitlist.slice(0, released.size)];
    await mapLimit(
      watched.filter((w) => !done.has(w.entryId)),
      32,
      async (w) => {
        const { body } = await status(w);
        const order = body.order;
        if (!order) return;
        if (body.status === 'promoted') promotedSeen.add(w.entryId);
        if (isFinalOrderState(order.state)) {
          done.add(w.entryId);
          if (RELEASED.has(order.state)) released.add(w.entryId);
          return;
        }
        const choice = choiceOf(w.entryId);
        if (order.state === 'awaiting_payment' && order.payLink && choice.pay !== 'lapse' && !paid.has(w.entryId) && !declined.has(w.entryId)) {
          const res = await fetch(order.payLink, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ outcome: choice.pay === 'decline' ? 'decline' : 'pay' }),
          });
          if (res.ok) paid.add(w.entryId);
          else if (res.status === 402) declined.add(w.entryId);
        }
        if (order.state === 'awaiting_pickup' && order.claimCode && choice.pickUp && !pickedUp.has(w.entryId)) {
          const res = await fetch(`${o.providerUrl}/lockers/${order.nodeId}/open`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ claim_code: order.claimCode }),
          });
          if (res.ok) pickedUp.add(w.entryId);
        }
      },
    );
    // Settled when every watched order is final and no released unit awaits a promoted order.
    return done.size === watched.length && (await phaseIs('post_mortem_pending', 'completed'));
  });
  log(
    `orders settled: ${paid.size} paid, ${declined.size} declined, ${released.size} units released to the waitlist ` +
      `(${promotedSeen.size} promoted entrants), ${pickedUp.size} opened their locker`,
  );

  // post-mortem
  await until('the post-mortem', () => phaseIs('completed'));
  const report = await api.call('GET', `/v1/drops/${o.dropId}/report`);
  if (report.status !== 200) throw new Error(`report answered ${report.status}`);
  return {
    report: report.body,
    receipts: receipts.length,
    duplicatesAnswered,
    paidByEntrants: paid.size,
    declinedByEntrants: declined.size,
    pickedUpByEntrants: pickedUp.size,
    promoted: promotedSeen.size,
  };
}

/**
 * The report's counts must add up: orders (winners, promoted included) = paid + unpaid +
 * declined; paid = picked up + refunded + shipped + credited.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from over the wire, read field by field
export function reportAddsUp(counts: any): string[] {
  const problems: string[] = [];
  if (counts.winners !== counts.paid + counts.unpaid + counts.declined) {
    problems.push(`orders ${counts.winners} != paid ${counts.paid} + unpaid ${counts.unpaid} + declined ${counts.declined}`);
  }
  if (counts.paid !== counts.pickedUp + counts.refunded + counts.shipped + counts.credited) {
    problems.push(
      `paid ${counts.paid} != picked up ${counts.pickedUp} + refunded ${counts.refunded} + shipped ${counts.shipped} + credited ${counts.credited}`,
    );
  }
  if (counts.unsettled !== 0) problems.push(`${counts.unsettled} orders never settled`);
  return problems;
}
