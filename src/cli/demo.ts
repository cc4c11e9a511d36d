import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../devstack/ports';
import { PROJECT_ROOT, startStack } from '../devstack/stack';
import { reportAddsUp, runScenario } from '../demo/scenario';
import { SimulatedPaymentAdapter } from '../integrations/simulator-adapters';
import { formatReconcile, reconcileDrop } from '../services/payment/reconcile';
import { checkDemoMessages } from '../demo/messages';

/**
 * The main job: bring the stack up, run one whole drop (1,000 entrants, 100 units, 3 regional
 * nodes, short windows) through the API with the provider simulators injecting faults, print
 * the post-mortem and the reconciliation of the ledger with the payment provider; exit 0 when
 * both add up.
 */
export async function runDemo(): Promise<number> {
  const started = Date.now();
  const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);
  log('starting the stack (Temporal dev server, PostgreSQL, provider simulators, worker, API)');
  // A fresh start every time: the simulators keep their state in memory, so the workflows of an
  // earlier, interrupted demo could not finish against them and would only load this run.
  const dataDir = join(PROJECT_ROOT, '.data', 'demo');
  rmSync(dataDir, { recursive: true, force: true });
  const stack = await startStack({
    dataDir,
    temporalPort: 'free',
    temporalUiPort: await freePort(),
    postgresPort: await freePort(),
    apiPort: 0,
    log,
    // The simulators fail calls on purpose: the retries are expected, not worth a warning each.
    sdkLogLevel: 'ERROR',
    // Providers misbehave a little, as real ones do: failures, lost answers, duplicate and
    // out-of-order webhooks. Seeded, so a run can be repeated.
    simulator: {
      seed: 2026,
      faults: { errorRate: 0.02, lostResponseRate: 0.01, latencyMs: 20, duplicateWebhookRate: 0.05, webhookJitterMs: 300 },
    },
  });
  try {
    log(`stack up: API ${stack.apiUrl}, Temporal UI ${stack.temporalUiUrl}`);
    const dropId = `demo-${new Date()
      .toISOString()
      .slice(0, 19)
      .replace(/[^0-9]/g, '')}`;
    const result = await runScenario({
      apiUrl: stack.apiUrl,
      providerUrl: stack.providerUrl,
      opsKey: stack.secrets.opsApiKey,
      dropId,
      entrants: 1000,
      units: 100,
      nodes: [
        { nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 40 },
        { nodeId: 'south-locker', region: 'south', kind: 'locker', stock: 35 },
        { nodeId: 'east-popup', region: 'east', kind: 'popup', stock: 35 },
      ],
      regions: ['north', 'south', 'east', 'west'],
      payRate: 0.8,
      declineRate: 0.05,
      pickupRate: 0.8,
      windows: { registrationSeconds: 120, paymentSeconds: 15, pickupSeconds: 15, postMortemDelaySeconds: 2 },
      log,
    });
    const c = result.report.counts;
    console.log(`
Post-mortem for ${dropId}
  entrants ${c.entrants}   units ${c.units}   orders ${c.winners} (${c.winners - c.promoted} drawn winners + ${c.promoted} promoted)   waitlisted ${c.waitlisted}
  paid ${c.paid}   unpaid ${c.unpaid}   declined ${c.declined}   promoted from the waitlist ${c.promoted}
  picked up ${c.pickedUp}   shipped ${c.shipped}   refunded ${c.refunded}   credited ${c.credited}
  pay rate ${(result.report.rates.payRate * 100).toFixed(1)}%   pickup rate ${(result.report.rates.pickupRate * 100).toFixed(1)}%   sell-through ${(result.report.rates.sellThrough * 100).toFixed(1)}%
  money captured ${result.report.money.capturedCents / 100}  refunded ${result.report.money.refundedCents / 100}  ledger balanced ${result.report.money.ledgerBalanced}
  draw commitment ${result.report.draw.commitment}
       seed       ${result.report.draw.seed}
  full report: ${stack.apiUrl}/v1/drops/${dropId}/report?format=html (while the stack runs)
  drop workflow: drop:${dropId}`);
    const reconciled = await reconcileDrop({ db: stack.db, payments: new SimulatedPaymentAdapter(stack.providerUrl) }, dropId);
    console.log(`\n$ drops reconcile ${dropId}\n${formatReconcile(reconciled)}`);
    console.log(`  faults injected by the simulators: ${JSON.stringify(stack.simulator.stats())}\n`);
    log("waiting for the entrants' messages to be sent to Mailpit");
    const messages = await checkDemoMessages(stack.db, dropId, { entrants: c.entrants, winOrders: c.winners });
    console.log(messages.summary);
    console.log(`  read them in Mailpit: ${stack.mailpitUrl ?? '(SMTP_URL given: the messages went there)'}\n`);
    const problems = [...reportAddsUp(c), ...messages.problems];
    if (!result.report.money.ledgerBalanced) problems.push('ledger not balanced');
    if (!reconciled.reconciled) problems.push('the ledger does not reconcile with the payment provider');
    if (problems.length > 0) {
      console.error(`the post-mortem does not add up:\n  ${problems.join('\n  ')}`);
      return 1;
    }
    log('demo complete: every winner ended in exactly one final state and the counts add up');
    return 0;
  } finally {
    await stack.stop();
  }
}
