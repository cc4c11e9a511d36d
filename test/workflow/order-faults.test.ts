import { sql } from 'kysely';
import { mapLimit } from '../../src/demo/api-client';
import { SimulatedPaymentAdapter } from '../../src/integrations/simulator-adapters';
import { reconcileDrop } from '../../src/services/payment/reconcile';
import { FINAL_ORDER_STATES } from '../../workflows/definitions';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { checkOrderInvariants } from '../helpers/invariants';

const ORDERS = 1000;
const DROP = 'faults-drop';

/**
 * 1,000 winners' orders while every provider fails 30% of calls: 15% answered 500, 5% held past
 * our timeout then carried out, 10% carried out with the answer lost. Webhooks come twice 10% of
 * the time and out of order. Simulated entrants pay, decline, lapse and pick up by themselves.
 */
describe(`${ORDERS} orders at 30% provider errors and timeouts`, () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      providerTimeoutMs: 1_500,
      simulator: { seed: 30, crowd: { payRate: 0.85, declineRate: 0.05, pickupRate: 0.7, delayMs: 2_000 } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(
    'settles every winner in exactly one final state, charges no one twice and reconciles',
    async () => {
      const launched = await stack.api.call('POST', '/v1/drops', {
        as: 'ops',
        body: {
          dropId: DROP,
          name: 'Fault test drop',
          units: ORDERS,
          priceCents: 1200,
          nodes: [
            { nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 450 },
            { nodeId: 'south-locker', region: 'south', kind: 'locker', stock: 550 },
          ],
          windows: { registrationSeconds: 600, paymentSeconds: 15, pickupSeconds: 10, postMortemDelaySeconds: 0 },
          policies: { missedPickup: 'reship' },
        },
      });
      expect(launched.status).toBe(201);
      await eventually('registration', async () =>
        (await stack.api.call('GET', `/v1/drops/${DROP}`, { as: 'ops' })).body.phase === 'registration' ? true : undefined,
      );
      const regions = ['north', 'south', 'west'];
      await mapLimit(
        Array.from({ length: ORDERS + 150 }, (_, i) => i),
        32,
        async (i) => {
          const r = await stack.api.call('POST', `/v1/drops/${DROP}/entries`, { body: { email: `fault${i}@example.test`, region: regions[i % 3] } });
          if (r.status !== 201) throw new Error(`registration answered ${r.status}`);
        },
      );

      stack.simulator.setFaults('all', {
        errorRate: 0.15,
        timeoutRate: 0.05,
        lostResponseRate: 0.1,
        holdMs: 2_000,
        duplicateWebhookRate: 0.1,
        webhookJitterMs: 500,
      });
      expect((await stack.api.call('POST', `/v1/drops/${DROP}/close`, { as: 'ops' })).status).toBe(200);
      await eventually(
        'every order to settle',
        async () => ((await stack.api.call('GET', `/v1/drops/${DROP}`, { as: 'ops' })).body.phase === 'completed' ? true : undefined),
        12 * 60_000,
      ).catch(async (err: Error) => {
        // Say where it stood: orders still open, or every order final and the drop stuck after them.
        const open = await sql<{ state: string; n: string }>`SELECT state, count(*) AS n FROM orders WHERE drop_id = ${DROP} GROUP BY state`.execute(stack.db);
        throw new Error(`${err.message}; orders by state: ${JSON.stringify(open.rows)}`);
      });

      const injected = stack.simulator.stats();
      expect(injected.payments.errors + injected.payments.timeouts + injected.payments.lostResponses).toBeGreaterThan(500);

      const states = await sql<{ state: string; n: string }>`SELECT state, count(*) AS n FROM orders WHERE drop_id = ${DROP} GROUP BY state`.execute(stack.db);
      for (const row of states.rows) expect(FINAL_ORDER_STATES).toContain(row.state);
      const orders = states.rows.reduce((s, r) => s + Number(r.n), 0);
      expect(orders).toBeGreaterThanOrEqual(ORDERS);

      const violations = await checkOrderInvariants(stack, DROP);
      expect(violations).toEqual([]);

      stack.simulator.setFaults('all', { errorRate: 0, timeoutRate: 0, lostResponseRate: 0 });
      const reconciled = await reconcileDrop({ db: stack.db, payments: new SimulatedPaymentAdapter(stack.providerUrl) }, DROP);
      expect(reconciled.mismatches).toEqual([]);
      expect(reconciled).toMatchObject({ reconciled: true, doubleCharges: 0, orphanCharges: 0, lostRefunds: 0, unsettledOrders: 0 });
    },
    15 * 60_000,
  );
});
