/**
 * The post-mortem / transparency note. Built only from aggregates and the draw record's public
 * fields: no personal data (no e-mail, phone or identity hash) ever reaches it.
 */
export interface PostMortem {
  dropId: string;
  name: string;
  generatedAt: string;
  draw: {
    algorithm: string;
    commitment: string | null;
    seed: string | null;
    entrantsDigest: string | null;
    beacon: string | null;
    recordUrl: string;
  };
  counts: {
    entrants: number;
    units: number;
    winners: number;
    waitlisted: number;
    paid: number;
    unpaid: number;
    declined: number;
    /** Orders that took the unit of a lapsed or declined one, from the waitlist. */
    promoted: number;
    pickedUp: number;
    refunded: number;
    shipped: number;
    credited: number;
    /** Ended `cancelled` (ops cancelled the drop, or support the order); those paid count in `paid` too. */
    cancelled: number;
    unsettled: number;
  };
  rates: { payRate: number; pickupRate: number; sellThrough: number };
  money: {
    currency: string;
    capturedCents: number;
    refundedCents: number;
    chargedBackCents: number;
    netCents: number;
    storeCreditCents: number;
    ledgerBalanced: boolean;
  };
  timings: { medianSecondsToPay: number | null; medianSecondsToPickup: number | null };
  nodes: Array<{ nodeId: string; region: string; kind: string; stockTotal: number; stockRemaining: number; pickedUp: number; shippedFrom: number }>;
  exceptions: { opened: number; open: number };
  /**
   * Set when ops cancelled the drop: why (a reason code: never the staff member's words or name),
   * when, and whether it was before the draw (no draw ran; the seed stays unrevealed) or after it.
   */
  cancellation?: { reasonCode: string | null; at: string | null; inPhase: string | null; beforeDraw: boolean };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

export function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
}

/** Ops-typed text as Markdown text: one line, every Markdown and HTML metacharacter escaped. */
export const mdText = (s: string) => s.replace(/\s+/g, ' ').replace(/[\\`*_{}[\]()<>#+\-.!|~&]/g, (ch) => `\\${ch}`);

export function renderMarkdown(r: PostMortem): string {
  const c = r.counts;
  const lines = [
    `# Post-mortem: ${mdText(r.name)} (${r.dropId})`,
    '',
    `Generated ${r.generatedAt}.`,
    '',
    ...(r.cancellation
      ? [
          `**Cancelled** ${r.cancellation.beforeDraw ? 'before the draw' : 'after the draw'} (reason: \`${mdText(r.cancellation.reasonCode ?? 'unspecified')}\`)${r.cancellation.at ? ` at ${r.cancellation.at}` : ''}.`,
          '',
        ]
      : []),
    '## Outcome',
    '',
    '| measure | value |',
    '| --- | --- |',
    `| entrants | ${c.entrants} |`,
    `| units | ${c.units} |`,
    `| winners | ${c.winners} |`,
    `| paid | ${c.paid} (${pct(r.rates.payRate)} of winners) |`,
    `| unpaid / declined | ${c.unpaid} / ${c.declined} |`,
    `| promoted from the waitlist | ${c.promoted} |`,
    `| picked up | ${c.pickedUp} (${pct(r.rates.pickupRate)} of pickups) |`,
    `| shipped | ${c.shipped} |`,
    `| refunded | ${c.refunded} |`,
    `| credited (missed pickup) | ${c.credited} |`,
    ...(c.cancelled > 0 || r.cancellation ? [`| cancelled | ${c.cancelled} |`] : []),
    `| sell-through | ${pct(r.rates.sellThrough)} |`,
    `| median time to pay | ${r.timings.medianSecondsToPay ?? 'n/a'} s |`,
    `| median time to pickup | ${r.timings.medianSecondsToPickup ?? 'n/a'} s |`,
    `| captured / refunded / net | ${money(r.money.capturedCents, r.money.currency)} / ${money(r.money.refundedCents, r.money.currency)} / ${money(r.money.netCents, r.money.currency)} |`,
    `| ledger balanced | ${r.money.ledgerBalanced ? 'yes' : 'NO'} |`,
    `| exceptions opened / still open | ${r.exceptions.opened} / ${r.exceptions.open} |`,
    '',
    '## Nodes',
    '',
    '| node | region | kind | stock | left | picked up | shipped from |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.nodes.map((n) => `| ${n.nodeId} | ${n.region} | ${n.kind} | ${n.stockTotal} | ${n.stockRemaining} | ${n.pickedUp} | ${n.shippedFrom} |`),
    '',
    '## Verify the draw',
    '',
    `Algorithm \`${r.draw.algorithm}\`. Commitment (published at announce): \`${r.draw.commitment}\`.`,
    `Seed (revealed at close): \`${r.draw.seed}\`. Entrants digest: \`${r.draw.entrantsDigest}\`. Beacon: ${r.draw.beacon ?? 'none'}.`,
    '',
    `Check: \`printf %s "$SEED" | sha256sum\` equals the commitment; the full record is at \`${r.draw.recordUrl}\`.`,
    '',
  ];
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function barChart(title: string, bars: Array<{ label: string; value: number }>): string {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowH = 26;
  const rows = bars
    .map((b, i) => {
      const w = Math.round((b.value / max) * 360);
      const y = i * rowH + 24;
      return `<text x="0" y="${y + 14}" font-size="12">${esc(b.label)}</text><rect x="120" y="${y}" width="${w}" height="18" fill="#3b6fd8"/><text x="${126 + w}" y="${y + 14}" font-size="12">${b.value}</text>`;
    })
    .join('');
  return `<figure><svg role="img" aria-label="${esc(title)}" width="540" height="${bars.length * rowH + 30}" xmlns="http://www.w3.org/2000/svg"><text x="0" y="14" font-size="14" font-weight="bold">${esc(title)}</text>${rows}</svg></figure>`;
}

export function renderHtml(r: PostMortem, markdownTable = renderMarkdown(r)): string {
  const c = r.counts;
  const outcomes = barChart('Winner outcomes', [
    { label: 'picked up', value: c.pickedUp },
    { label: 'shipped', value: c.shipped },
    { label: 'refunded', value: c.refunded },
    { label: 'unpaid', value: c.unpaid },
    ...(c.cancelled > 0 ? [{ label: 'cancelled', value: c.cancelled }] : []),
  ]);
  const nodes = barChart(
    'Pickups per node',
    r.nodes.map((n) => ({ label: n.nodeId, value: n.pickedUp })),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Post-mortem ${esc(r.dropId)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;background:#f5f5f5;padding:1rem}</style>
</head><body>
<h1>Post-mortem: ${esc(r.name)}${r.cancellation ? ' (cancelled)' : ''}</h1>
${outcomes}
${nodes}
<pre>${esc(markdownTable)}</pre>
</body></html>
`;
}
