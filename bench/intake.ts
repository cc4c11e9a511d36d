import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { DropsApiClient } from '../src/demo/api-client';
import { readToolingConfig, secretsEnv } from '../src/config';
import { freePort } from '../src/devstack/ports';
import { PROJECT_ROOT } from '../src/devstack/stack';
import { findDrop } from '../src/db/repositories/drops';
import { pollUntil, pollUntilDeadline } from '../src/lib/poll';
import { benchLog, startBenchStack } from './bench-stack';

interface LoadResult {
  ok: number;
  statuses: Record<string, number>;
  seconds: number;
  p99Ms: number;
  p50Ms: number;
  errors: number;
  timeouts: number;
  acknowledged: string[];
  latencies: number[];
}

const CONNECTIONS = 200;

/**
 * Intake: registrations acknowledged per second and p99 latency through the real API (Express,
 * zod, the intake queue, Postgres) under 200 connections with 20% duplicate identities, beside
 * a no-op JSON POST route on the same server, measured in the same run by the same load
 * generator in its own process. Afterwards every acknowledged entry id is looked up.
 */
export interface IntakeBenchOptions {
  /** Each measured round, per route (default 10). */
  seconds: number;
  /** Rounds per route (default 3). */
  rounds: number;
  /** Warm-up per route, unmeasured (default 10). */
  warmup: number;
  /** One route only, for profiling (the figures then have no ratio). */
  only?: 'noop' | 'intake';
  /** The intake queue's options (see IntakeQueueOptions). */
  batch?: number;
  inFlight?: number;
  queue?: number;
  minBusy?: number;
}

export async function runIntakeBench(opts: IntakeBenchOptions): Promise<number> {
  const { seconds } = opts;
  // The routes are measured in alternating rounds, so a drift of the machine's speed during the
  // run falls on both alike; throughput and percentiles are pooled over the rounds.
  const { rounds } = opts;
  const log = benchLog('intake');
  const intakeOptions = Object.fromEntries(
    Object.entries({ maxBatch: opts.batch, maxInFlight: opts.inFlight, maxQueued: opts.queue, minBatchWhileBusy: opts.minBusy }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  // The hot path writes each entry's receipt to the outbox (measured here); sending it is the
  // worker's dispatcher's work, on another machine in production: on these two cores it would take
  // the CPU the API and Postgres are measured on (README, Benchmarks).
  const stack = await startBenchStack('intake', log, { mail: false });
  // The API under test runs as its own process, as `drops api` does in production: the stack's
  // process also hosts the worker and the provider simulators, which are not part of intake.
  const apiPort = await freePort();
  // DROPS_BENCH_API_NODE_FLAGS: Node flags for that process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeFlags = readToolingConfig().DROPS_BENCH_API_NODE_FLAGS.split(' ').filter(Boolean);
  const apiProcess = spawn(process.execPath, [...nodeFlags, join(PROJECT_ROOT, 'bin', 'bench.js'), 'intake-api'], {
    env: {
      ...process.env,
      ...secretsEnv(stack.secrets),
      DATABASE_URL: stack.databaseUrl,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      DROPS_PROVIDER_URL: stack.providerUrl,
      DROPS_PAYMENT_ADAPTER: 'simulator',
      API_PORT: String(apiPort),
      DROPS_BENCH_INTAKE_OPTIONS: JSON.stringify(intakeOptions),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  try {
    await waitForHealthy(apiUrl, apiProcess);
    const api = new DropsApiClient(apiUrl, { ops: stack.secrets.opsApiKey });
    const dropId = 'bench-intake';
    const launched = await api.call('POST', '/v1/drops', {
      as: 'ops',
      body: {
        dropId,
        name: 'Intake benchmark',
        units: 100,
        priceCents: 2500,
        nodes: [{ nodeId: 'north-locker', region: 'north', stock: 100 }],
        windows: { registrationSeconds: 3600, paymentSeconds: 60, pickupSeconds: 60, postMortemDelaySeconds: 60 },
      },
    });
    if (launched.status !== 201) throw new Error(`launch failed: ${launched.status} ${JSON.stringify(launched.body)}`);
    await waitForPhase(stack.db, dropId, 'registration');

    const loop = async () => (await fetch(`${apiUrl}/bench/loop`).then((r) => r.json())) as { idle: number; active: number };
    const load = async (path: string, secs: number): Promise<LoadResult & { apiLoopBusy: number }> => {
      const out = join(stack.dataDir, `load-${Date.now()}.json`);
      const before = await loop();
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'bench.js'), 'intake-load', apiUrl, path, String(secs), String(CONNECTIONS), out], {
          stdio: 'inherit',
        });
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load generator exited ${code}`))));
      });
      const r = JSON.parse(readFileSync(out, 'utf8')) as LoadResult;
      rmSync(out);
      // How busy the API's event loop was: 1.0 means the API process itself was the ceiling.
      const after = await loop();
      const active = after.active - before.active;
      const apiLoopBusy = Number((active / (active + after.idle - before.idle)).toFixed(3));
      log(`  ${path}: ${Math.round(r.ok / r.seconds)} ok/s, p99 ${r.p99Ms} ms, API event loop busy ${apiLoopBusy}`);
      return { ...r, apiLoopBusy };
    };
    const entryPath = `/v1/drops/${dropId}/entries`;
    // Warm-up is not measured: JIT, Postgres' buffers and indexes, the intake thread's connections.
    const { warmup } = opts;
    log(`warming up both routes, ${warmup}s each`);
    await load('/bench/noop', warmup);
    await load(entryPath, warmup);
    // --only noop | --only intake: for profiling one route (the figures then have no ratio).
    const { only } = opts;
    const noopRounds: Array<LoadResult & { apiLoopBusy: number }> = [];
    const intakeRounds: Array<LoadResult & { apiLoopBusy: number }> = [];
    for (let r = 1; r <= rounds; r++) {
      if (only !== 'intake') {
        log(`round ${r}/${rounds}: no-op JSON POST route, ${seconds}s at ${CONNECTIONS} connections`);
        noopRounds.push(await load('/bench/noop', seconds));
      }
      if (only !== 'noop') {
        log(`round ${r}/${rounds}: registration route, ${seconds}s at ${CONNECTIONS} connections`);
        intakeRounds.push(await load(entryPath, seconds));
      }
    }
    const noop = pooled(noopRounds);
    const intake = pooled(intakeRounds);

    // Every acknowledged entry must be in Postgres.
    const found = await sql<{ n: string }>`
      SELECT count(*) AS n FROM entries WHERE drop_id = ${dropId} AND entry_id = ANY(${intake.acknowledged}::text[])`.execute(stack.db);
    const lostAcknowledged = intake.acknowledged.length - Number(found.rows[0]!.n);
    const noopPerSec = noop.ok / noop.seconds;
    const entriesPerSec = intake.ok / intake.seconds;
    const roundRatios = intakeRounds.map((r, i) => Number((r.ok / r.seconds / (noopRounds[i] ? noopRounds[i]!.ok / noopRounds[i]!.seconds : 1)).toFixed(3)));
    log(`no-op: ${noop.ok} ok in ${noop.seconds}s, statuses ${JSON.stringify(noop.statuses)}, p99 ${noop.p99Ms} ms, API event loop busy ${noop.apiLoopBusy}`);
    log(
      `intake: ${intake.ok} acknowledged in ${intake.seconds}s, statuses ${JSON.stringify(intake.statuses)}, p50 ${intake.p50Ms} ms, p99 ${intake.p99Ms} ms, errors ${intake.errors}, API event loop busy ${intake.apiLoopBusy}`,
    );
    const figures = {
      bench: 'intake',
      connections: CONNECTIONS,
      duplicateShare: 0.2,
      rounds,
      secondsPerRound: seconds,
      entriesPerSec: Math.round(entriesPerSec),
      p99Ms: intake.p99Ms,
      lostAcknowledged,
      acknowledged: intake.ok,
      newEntries: intake.statuses['201'] ?? 0,
      duplicates: intake.statuses['200'] ?? 0,
      rejected503: intake.statuses['503'] ?? 0,
      baselineNoopPerSec: Math.round(noopPerSec),
      baselineP99Ms: noop.p99Ms,
      roundRatios,
      ratio: Number((entriesPerSec / noopPerSec).toFixed(3)),
    };
    console.log(JSON.stringify(figures));
    return lostAcknowledged === 0 ? 0 : 1;
  } finally {
    if (apiProcess.exitCode === null) {
      const exited = new Promise((r) => apiProcess.once('exit', r));
      apiProcess.kill('SIGTERM');
      await exited;
    }
    await stack.stop();
  }
}

async function waitForHealthy(apiUrl: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  await pollUntil(
    `the API at ${apiUrl} to come up`,
    async () => {
      if (child.exitCode !== null) throw new Error(`the API process exited (${child.exitCode})`);
      return fetch(`${apiUrl}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Several rounds as one: counts and seconds summed, percentiles over every request's latency. */
function pooled(results: Array<LoadResult & { apiLoopBusy: number }>) {
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
  const statuses: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  return {
    ok: Math.max(
      1,
      results.reduce((s, r) => s + r.ok, 0),
    ),
    seconds: Math.max(
      1,
      results.reduce((s, r) => s + r.seconds, 0),
    ),
    statuses,
    p50Ms: Math.round(pct(0.5)),
    p99Ms: Math.round(pct(0.99)),
    errors: results.reduce((s, r) => s + r.errors, 0),
    acknowledged: results.flatMap((r) => r.acknowledged),
    apiLoopBusy: results.length === 0 ? 0 : Number((results.reduce((s, r) => s + r.apiLoopBusy, 0) / results.length).toFixed(3)),
  };
}

export async function waitForPhase(db: import('../src/db/connection').Db, dropId: string, phase: string, timeoutMs = 60_000): Promise<void> {
  let last: string | undefined;
  const reached = await pollUntilDeadline(
    async () => {
      last = (await findDrop(db, dropId))?.phase;
      return last === phase;
    },
    { timeoutMs, intervalMs: 50 },
  );
  if (!reached.done) throw new Error(`drop ${dropId} did not reach ${phase} (is ${last})`);
}
