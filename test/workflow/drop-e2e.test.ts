import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { reportAddsUp, runScenario } from '../../src/demo/scenario';
import { SimulatedPaymentAdapter } from '../../src/integrations/simulator-adapters';
import { reconcileDrop } from '../../src/services/payment/reconcile';
import { startTestStack, type TestStack } from '../helpers/context';
import { checkOrderInvariants } from '../helpers/invariants';

describe('a whole drop, announce to post-mortem', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('settles every winner once and writes a report whose counts add up', async () => {
    const result = await runScenario({
      apiUrl: stack.apiUrl,
      providerUrl: stack.providerUrl,
      opsKey: stack.secrets.opsApiKey,
      dropId: 'e2e-drop',
      entrants: 150,
      units: 24,
      nodes: [
        { nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 10 },
        { nodeId: 'south-locker', region: 'south', kind: 'locker', stock: 8 },
        { nodeId: 'east-popup', region: 'east', kind: 'popup', stock: 8 },
      ],
      regions: ['north', 'south', 'east', 'west'],
      payRate: 0.7,
      declineRate: 0.1,
      pickupRate: 0.7,
      windows: { registrationSeconds: 120, paymentSeconds: 8, pickupSeconds: 8, postMortemDelaySeconds: 1 },
      seed: 7,
    });
    const c = result.report.counts;
    expect(reportAddsUp(c)).toEqual([]);
    expect(c).toMatchObject({ entrants: 150, waitlisted: 126 });
    expect(c.paid).toBe(result.paidByEntrants);
    expect(c.pickedUp).toBe(result.pickedUpByEntrants);
    expect(c.unpaid).toBeGreaterThan(0);
    expect(c.declined).toBeGreaterThan(0);
    // Every lapsed or declined unit went to exactly one waitlisted entrant (and the other invariants).
    expect(c.promoted).toBeGreaterThanOrEqual(c.unpaid + c.declined);
    expect(c.winners).toBe(24 + c.promoted);
    expect(await checkOrderInvariants(stack, 'e2e-drop')).toEqual([]);
    expect(result.promoted).toBe(c.promoted);
    expect(c.shipped).toBeGreaterThan(0);
    expect(result.duplicatesAnswered).toBe(8);
    expect(result.report.money.ledgerBalanced).toBe(true);

    // Stock conserved per node: what left is exactly what was picked up or shipped.
    const nodes = await stack.db.selectFrom('nodes').selectAll().where('drop_id', '=', 'e2e-drop').execute();
    for (const n of nodes) {
      const gone = result.report.nodes.find((x: any) => x.nodeId === n.node_id);
      expect(n.stock_total - n.stock_remaining).toBe(gone.pickedUp + gone.shippedFrom);
    }

    // The published draw record ranks every entrant and names the units' winners.
    const draw = await stack.api.call('GET', '/v1/drops/e2e-drop/draw');
    expect(draw.status).toBe(200);
    expect(draw.body.ranking).toHaveLength(150);
    expect(draw.body.winners).toEqual(draw.body.ranking.slice(0, 24));

    // Promotions went down the published waitlist in draw order, none skipped, none twice.
    const promotions = await stack.db
      .selectFrom('promotions')
      .select(['entry_id', 'ranking_position'])
      .where('drop_id', '=', 'e2e-drop')
      .orderBy('ranking_position')
      .execute();
    expect(promotions.map((p) => p.entry_id)).toEqual(draw.body.waitlist.slice(0, c.promoted));

    // The ledger agrees with the payment provider's own records.
    const reconciled = await reconcileDrop({ db: stack.db, payments: new SimulatedPaymentAdapter(stack.providerUrl) }, 'e2e-drop');
    expect(reconciled.mismatches).toEqual([]);
    expect(reconciled).toMatchObject({ reconciled: true, doubleCharges: 0, orphanCharges: 0, lostRefunds: 0 });

    // `drops reconcile` says so (exit 0); with a refund missing from the ledger it names it (exit 1).
    // Asynchronously: the simulators it asks live in this process.
    const cli = () =>
      new Promise<{ stdout: string; stderr: string; status: number }>((resolve) => {
        execFile(
          process.execPath,
          [join(__dirname, '..', '..', 'bin', 'drops.js'), 'reconcile', 'e2e-drop', '--provider', stack.providerUrl],
          { env: { ...process.env, DATABASE_URL: stack.databaseUrl } },
          (err, stdout, stderr) => resolve({ stdout, stderr, status: err ? ((err as { code?: number }).code ?? -1) : 0 }),
        );
      });
    const clean = await cli();
    expect(clean.stderr).toBe('');
    expect(clean.stdout).toContain('RECONCILED');
    expect(clean.status).toBe(0);
    const refund = await stack.db
      .selectFrom('ledger_postings')
      .selectAll()
      .where('drop_id', '=', 'e2e-drop')
      .where('kind', '=', 'payment_refunded')
      .executeTakeFirst();
    expect(refund).toBeDefined();
    await stack.db.deleteFrom('ledger_lines').where('posting_id', '=', refund!.posting_id).execute();
    await stack.db.deleteFrom('ledger_postings').where('posting_id', '=', refund!.posting_id).execute();
    const tampered = await cli();
    expect(tampered.stdout).toContain(`MISMATCH ${refund!.order_id}: provider refunded`);
    expect(tampered.stdout).toContain('NOT RECONCILED');
    expect(tampered.status).toBe(1);
  });
});
