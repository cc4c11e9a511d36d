import type { Db } from '../db/connection';
import { countDeliveredDistinct, countDuePending, countOrdersAwaitingPickupEver } from '../db/repositories/notification-dispatch';
import { countNotifications } from '../db/repositories/notifications';
import { MESSAGE_KINDS } from '../domain/notification/kinds';
import { pollUntil } from '../lib/poll';

/**
 * The demo's message check (issue 15): waits until the drop's outbox has nothing due left
 * unsent, then counts the delivered messages by kind and checks receipts = entrants, win
 * messages (won + promoted) = orders (drawn winners + promoted), claim messages = orders that
 * reached a node's pickup window.
 */
export async function checkDemoMessages(db: Db, dropId: string, expected: { entrants: number; winOrders: number }, timeoutMs = 300_000) {
  await pollUntil("the demo drop's messages to be sent", async () => (await countDuePending(db, dropId)) === 0, { timeoutMs, intervalMs: 500 });
  const counts = await countNotifications(db, dropId);
  const delivered = (kind: string) => counts.filter((r) => r.kind === kind && r.status === 'delivered').reduce((s, r) => s + r.n, 0);
  const other = counts.filter((r) => r.status !== 'delivered' && r.status !== 'expanded');
  const [receipts, won, promoted, claimOrders, routedToNode] = await Promise.all([
    countDeliveredDistinct(db, dropId, 'entry_received', 'entry_id'),
    countDeliveredDistinct(db, dropId, 'won', 'entry_id'),
    countDeliveredDistinct(db, dropId, 'promoted', 'entry_id'),
    countDeliveredDistinct(db, dropId, 'claim_code', 'order_id'),
    countOrdersAwaitingPickupEver(db, dropId),
  ]);
  const lines = MESSAGE_KINDS.filter((k) => delivered(k) > 0).map((k) => `    ${k.padEnd(18)} ${delivered(k)}`);
  const notSent = other.map((r) => `    ${r.kind} ${r.status}: ${r.n}`);
  const problems: string[] = [];
  if (receipts !== expected.entrants) problems.push(`receipts sent ${receipts}, entrants ${expected.entrants}`);
  if (won + promoted !== expected.winOrders)
    problems.push(`win messages sent ${won + promoted} (won ${won} + promoted ${promoted}), orders ${expected.winOrders}`);
  if (claimOrders !== routedToNode) problems.push(`claim messages sent for ${claimOrders} orders, ${routedToNode} orders routed to a node`);
  const summary = `
Messages sent to entrants (delivered to the SMTP server, by kind)
${lines.join('\n')}
${notSent.length > 0 ? `  not delivered (skipped reminders, bounces):\n${notSent.join('\n')}\n` : ''}  receipts ${receipts} = entrants ${expected.entrants};  win messages ${won + promoted} (won ${won} + promoted ${promoted}) = orders ${expected.winOrders};  claim messages ${claimOrders} = orders routed to a node ${routedToNode}`;
  return { summary, problems };
}
