import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { DropsApiClient, mapLimit } from '../src/demo/api-client';
import { SimulatedPaymentAdapter } from '../src/integrations/simulator-adapters';
import { spawnWorkerProcess } from '../src/devstack/worker-process';
import { reconcileDrop } from '../src/services/payment/reconcile';
import { benchLog, startBenchStack } from './bench-stack';
import { waitForPhase } from './intake';
import { createTrivialActivities } from './trivial/activities';
import { dropWorkflowId } from '../workflows/definitions';
import { pollUntil } from '../src/lib/poll';
import { FINAL_ORDER_STATES } from '../src/domain/order/order-states';

const REGIONS = ['north', 'south', 'east', 'west'];

/**
 * Orders: 10,000 winners from allocation done to every order final, through the real order
 * workflows, with the provider simulators at 50 ms latency and 1% faults and simulated entrants
 * who pay, decline, lapse and pick up by themselves. Beside it, in the same run on the same
 * Temporal server, a trivial one-activity workflow run as many times. `ratio` = our order state
 * transitions per second ÷ trivial workflow runs per second (one run is one transition).
 * The drop's worker runs as a process of its own so its memory can be read (peak: VmHWM).
 */
export async function runOrdersBench({ orders }: { orders: number }): Promise<number> {
  const log = benchLog('orders');
  const stack = await startBenchStack('orders', log, {
    worker: false,
    simulator: {
      seed: 4,
      faults: {
        latencyMs: 50,
        errorRate: 0.005,
        lostResponseRate: 0.003,
        timeoutRate: 0.002,
        holdMs: 11_000,
        duplicateWebhookRate: 0.01,
        webhookJitterMs: 200,
      },
      crowd: { payRate: 0.9, declineRate: 0.03, pickupRate: 0.85, delayMs: 2_000 },
    },
  });
  let stopped = false;
  try {
    // ---- baseline: the trivial workflow, as many runs, same server ----
    const connection = await NativeConnection.connect({ address: stack.temporalAddress });
    const trivialQueue = `bench-trivial-${process.pid}`;
    const trivialWorker = await Worker.create({
      connection,
      taskQueue: trivialQueue,
      workflowsPath: require.resolve('./trivial/workflow'),
      activities: createTrivialActivities(),
      maxConcurrentActivityTaskExecutions: 200,
    });
    const trivialRun = trivialWorker.run();
    log(`baseline: ${orders} trivial one-activity workflows`);
    const baselineStarted = Date.now();
    await mapLimit(
      Array.from({ length: orders }, (_, i) => i),
      200,
      (i) => stack.client.workflow.execute('trivialWorkflow', { taskQueue: trivialQueue, workflowId: `trivial-${process.pid}-${i}`, args: [i] }),
    );
    const baselineSeconds = (Date.now() - baselineStarted) / 1000;
    trivialWorker.shutdown();
    await trivialRun;
    await connection.close();
    const baselinePerSec = orders / baselineSeconds;
    log(`baseline: ${baselinePerSec.toFixed(1)} workflows/s`);

    // ---- the drop's worker, its own process ----
    const worker = spawnWorkerProcess(stack, { stdio: ['ignore', 'ignore', 'pipe'] });
    // The worker's own log is not the benchmark's output; keep its tail for a failure.
    const workerLog: string[] = [];
    worker.stderr!.on('data', (b: Buffer) => workerLog.push(...b.toString().split('\n').slice(-5)));
    worker.on('exit', (code, signal) => {
      if (signal !== 'SIGTERM' && code !== 0) log(`worker exited (${code ?? signal}):\n${workerLog.slice(-20).join('\n')}`);
    });
    const rssMb = (field: 'VmRSS' | 'VmHWM') => {
      try {
        const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${worker.pid}/status`, 'utf8'));
        return m ? Math.round(Number(m[1]) / 1024) : 0;
      } catch {
        return 0;
      }
    };

    const api = new DropsApiClient(stack.apiUrl, { ops: stack.secrets.opsApiKey });
    const dropId = 'bench-orders';
    const launched = await api.call('POST', '/v1/drops', {
      as: 'ops',
      body: {
        dropId,
        name: 'Orders benchmark',
        units: orders,
        priceCents: 2500,
        // Three regions with a locker, one without (its winners' orders ship by carrier).
        nodes: REGIONS.slice(0, 3).map((region) => ({ nodeId: `${region}-locker`, region, stock: Math.ceil(orders / 3) })),
        windows: { registrationSeconds: 3600, paymentSeconds: 20, pickupSeconds: 15, postMortemDelaySeconds: 0 },
        policies: { missedPickup: 'refund' },
      },
    });
    if (launched.status !== 201) throw new Error(`launch answered ${launched.status}`);
    await waitForPhase(stack.db, dropId, 'registration', 180_000);
    const entrants = Math.ceil(orders * 1.1);
    log(`registering ${entrants} entrants`);
    await mapLimit(
      Array.from({ length: entrants }, (_, i) => i),
      64,
      async (i) => {
        const r = await api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `bench${i}@example.test`, region: REGIONS[i % 4] } });
        if (r.status !== 201) throw new Error(`registration answered ${r.status}`);
      },
    );
    const close = await api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' });
    if (close.status !== 200) throw new Error(`close answered ${close.status}`);

    // From allocation done (every winner has an order) to every order final.
    const count = async () => {
      const r = await sql<{ total: string; open: string }>`
        SELECT count(*) AS total, count(*) FILTER (WHERE state <> ALL(${[...FINAL_ORDER_STATES]})) AS open
        FROM orders WHERE drop_id = ${dropId}`.execute(stack.db);
      return { total: Number(r.rows[0]!.total), open: Number(r.rows[0]!.open) };
    };
    await pollUntil('every winner to have an order', async () => (await count()).total >= orders, { timeoutMs: 60 * 60_000, intervalMs: 100 });
    const started = Date.now();
    const transitionsBefore = await countTransitions(stack.db, dropId);
    log('allocation done: every winner has an order');
    const rssSamples: number[] = [];
    let lastLog = 0;
    await pollUntil(
      'every order to be final',
      async () => {
        const c = await count();
        rssSamples.push(rssMb('VmRSS'));
        if (c.open === 0) return true;
        if (Date.now() - lastLog > 15_000) {
          lastLog = Date.now();
          log(`${c.total - c.open}/${c.total} orders final, worker RSS ${rssSamples[rssSamples.length - 1]} MB`);
        }
        return false;
      },
      { timeoutMs: 60 * 60_000, intervalMs: 500 },
    );
    const seconds = (Date.now() - started) / 1000;
    const transitions = (await countTransitions(stack.db, dropId)) - transitionsBefore;
    const perSec = transitions / seconds;
    const peakRssMb = rssMb('VmHWM');
    const finalOrders = (await count()).total;
    log(`orders final: ${finalOrders} orders, ${transitions} state transitions in ${seconds.toFixed(1)} s`);
    await waitForPhase(stack.db, dropId, 'completed', 600_000);
    const history = await dropHistory(stack.client, dropId).catch((err: Error) => {
      log(`could not list the drop workflow's runs: ${err.message}`);
      return { runs: -1, longest: -1 };
    });
    stack.simulator.setFaults('all', { errorRate: 0, timeoutRate: 0, lostResponseRate: 0, latencyMs: 0 });
    const reconciled = await reconcileDrop({ db: stack.db, payments: new SimulatedPaymentAdapter(stack.providerUrl) }, dropId);
    if (!reconciled.reconciled) log(`reconcile: ${reconciled.mismatches.slice(0, 5).join('; ')}`);
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));

    const tenth = Math.max(1, Math.floor(rssSamples.length / 10));
    const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
    const figures = {
      bench: 'orders',
      orders: finalOrders,
      winners: orders,
      seconds: Math.round(seconds * 10) / 10,
      stateTransitions: transitions,
      transitionsPerSec: Math.round(perSec * 10) / 10,
      baselineWorkflowsPerSec: Math.round(baselinePerSec * 10) / 10,
      ratio: Math.round((perSec / baselinePerSec) * 1000) / 1000,
      doubleCharges: reconciled.doubleCharges,
      reconciled: reconciled.reconciled,
      peakRssMb,
      // The drop workflow stays small whatever the number of winners: its runs (continue-as-new
      // starts a new one) and the longest run's history.
      dropRuns: history.runs,
      dropHistoryEvents: history.longest,
      // "Flat": the worker's memory in the first and the last tenth of the run.
      rssFirstTenthMb: avg(rssSamples.slice(0, tenth)),
      rssLastTenthMb: avg(rssSamples.slice(-tenth)),
      faultsInjected: stack.simulator.stats(),
    };
    await stack.stop();
    stopped = true;
    console.log(JSON.stringify(figures));
    return 0;
  } finally {
    if (!stopped) await stack.stop();
  }
}

async function countTransitions(db: import('../src/db/connection').Db, dropId: string): Promise<number> {
  const r = await sql<{ n: string }>`SELECT count(*) AS n FROM events WHERE drop_id = ${dropId} AND kind = 'order.state'`.execute(db);
  return Number(r.rows[0]!.n);
}

async function dropHistory(client: Client, dropId: string): Promise<{ runs: number; longest: number }> {
  let runs = 0;
  let longest = 0;
  for await (const run of client.workflow.list({ query: `WorkflowId = '${dropWorkflowId(dropId)}'` })) {
    runs++;
    longest = Math.max(longest, run.historyLength);
  }
  return { runs, longest };
}
