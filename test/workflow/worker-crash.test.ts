import { sql } from 'kysely';
import { mapLimit } from '../../src/demo/api-client';
import { SimulatedPaymentAdapter } from '../../src/integrations/simulator-adapters';
import { reconcileDrop } from '../../src/services/payment/reconcile';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { workerProcesses } from '../helpers/worker-process';
import { checkOrderInvariants } from '../helpers/invariants';

const DROP = 'crash-drop';
const UNITS = 150;

/**
 * The worker is a process of its own here (`drops worker`), killed with SIGKILL while payments
 * are in flight; a new one takes over. Nothing is lost, nothing happens twice.
 */
describe('a worker killed with SIGKILL mid-payment', () => {
  let stack: TestStack;
  const workers = workerProcesses(() => stack);

  beforeAll(async () => {
    stack = await startTestStack({
      worker: false,
      // Slow payment calls, so the kill lands while some are in flight.
      simulator: { seed: 9, crowd: { payRate: 0.9, declineRate: 0.05, pickupRate: 0.8, delayMs: 3_000 }, faults: { latencyMs: 400 } },
    });
  });
  afterAll(async () => {
    workers.killAll();
    await stack?.stop();
  });

  it(
    'keeps every invariant when a new worker takes over',
    async () => {
      const first = workers.start();
      const launched = await stack.api.call('POST', '/v1/drops', {
        as: 'ops',
        body: {
          dropId: DROP,
          name: 'Crash test drop',
          units: UNITS,
          priceCents: 900,
          nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: UNITS }],
          windows: { registrationSeconds: 600, paymentSeconds: 40, pickupSeconds: 20, postMortemDelaySeconds: 0 },
        },
      });
      expect(launched.status).toBe(201);
      await eventually(
        'registration',
        async () => ((await stack.api.call('GET', `/v1/drops/${DROP}`, { as: 'ops' })).body.phase === 'registration' ? true : undefined),
        120_000,
      );
      await mapLimit(
        Array.from({ length: UNITS + 30 }, (_, i) => i),
        16,
        async (i) => {
          const r = await stack.api.call('POST', `/v1/drops/${DROP}/entries`, {
            body: { email: `crash${i}@example.test`, region: i % 4 === 0 ? 'west' : 'north' },
          });
          if (r.status !== 201) throw new Error(`registration answered ${r.status}`);
        },
      );
      expect((await stack.api.call('POST', `/v1/drops/${DROP}/close`, { as: 'ops' })).status).toBe(200);

      // Mid-payment: some orders paid, others still waiting for their payment to be confirmed.
      const counts = async () => {
        const rows = await sql<{ state: string; n: string }>`SELECT state, count(*) AS n FROM orders WHERE drop_id = ${DROP} GROUP BY state`.execute(stack.db);
        return Object.fromEntries(rows.rows.map((r) => [r.state, Number(r.n)])) as Record<string, number>;
      };
      const atKill = await eventually(
        'payments in flight',
        async () => {
          const c = await counts();
          return (c.paid ?? 0) + (c.awaiting_pickup ?? 0) + (c.shipped ?? 0) >= 10 && (c.awaiting_payment ?? 0) >= 20 ? c : undefined;
        },
        120_000,
      );
      first.kill('SIGKILL');
      await eventually('the worker to die', async () => (first.signalCode === 'SIGKILL' ? true : undefined));
      const paidIntentsAtKill = [...stack.simulator.payments.intents.values()].filter((i) => i.status === 'succeeded').length;

      workers.start();
      await eventually(
        'every order to settle after the takeover',
        async () => ((await stack.api.call('GET', `/v1/drops/${DROP}`, { as: 'ops' })).body.phase === 'completed' ? true : undefined),
        8 * 60_000,
      );

      expect(atKill.awaiting_payment).toBeGreaterThan(0);
      expect(paidIntentsAtKill).toBeGreaterThan(0);
      const violations = await checkOrderInvariants(stack, DROP);
      if (violations.length > 0) console.error(workers.output.slice(-40).join('\n'));
      expect(violations).toEqual([]);
      const reconciled = await reconcileDrop({ db: stack.db, payments: new SimulatedPaymentAdapter(stack.providerUrl) }, DROP);
      expect(reconciled.mismatches).toEqual([]);
      expect(reconciled).toMatchObject({ reconciled: true, doubleCharges: 0 });
    },
    12 * 60_000,
  );
});
