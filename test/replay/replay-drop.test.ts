import { NativeConnection, Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/devstack/stack';
import { DROP_ID, dropWorkflowId, orderWorkflowId, type OrderWorkflowInput } from '../../workflows/definitions';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { dropDriver } from '../helpers/drops';

/**
 * The engineers' commands against a real drop: `drops history export` writes what `drops replay
 * --file` replays, and `drops replay --drop` replays the drop's workflow and each of its orders,
 * found by their DropId, naming every one that the current code does not reproduce.
 */
describe('drops history export and drops replay --drop', () => {
  let stack: TestStack;
  const dir = mkdtempSync(join(tmpdir(), 'drops-replay-'));
  // Unique on the run's shared Temporal server: the visibility query matches by DropId alone.
  const dropId = `replay-${randomBytes(4).toString('hex')}`;
  const uiUrl = 'http://ui.example.test:8233/';
  const before = process.env.DROPS_TEMPORAL_UI_URL;
  const d = dropDriver(() => stack);

  beforeAll(async () => {
    process.env.DROPS_TEMPORAL_UI_URL = uiUrl;
    stack = await startTestStack();
  });
  afterAll(async () => {
    if (before === undefined) delete process.env.DROPS_TEMPORAL_UI_URL;
    else process.env.DROPS_TEMPORAL_UI_URL = before;
    await stack?.client.workflow
      .getHandle(orderWorkflowId(dropId, 'bogus'))
      .terminate('test over')
      .catch(() => {});
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `node bin/drops.js …` against the run's Temporal server, without blocking this process (its worker and API run here). */
  const drops = (args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [join(PROJECT_ROOT, 'bin', 'drops.js'), ...args],
        { env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: stack.temporalAddress }, encoding: 'utf8', timeout: 150_000, maxBuffer: 64 << 20 },
        (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
      );
    });
  const workflowIdsOfDrop = async () => {
    const ids = new Set<string>();
    for await (const w of stack.client.workflow.list({ query: `DropId = "${dropId}"` })) ids.add(w.workflowId);
    return [...ids].sort();
  };

  it('runs a small drop to completion: one unit, its winner and the promoted entrant never pay', async () => {
    await d.launch(dropId, { windows: { paymentSeconds: 2, postMortemDelaySeconds: 0 } });
    for (const i of [0, 1]) {
      expect((await stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email: `${dropId}-${i}@example.org`, region: 'north' } })).status).toBe(
        201,
      );
    }
    expect((await stack.api.call('POST', `/v1/drops/${dropId}/close`, { as: 'ops' })).status).toBe(200);
    const view = await eventually(
      'the drop to complete',
      async () => {
        const body = (await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body;
        return body.phase === 'completed' ? body : undefined;
      },
      120_000,
    );
    expect(view.counts.orders).toEqual({ unpaid: 2 });
    // The view links to the drop's workflow in the configured Temporal UI.
    expect(view.links).toEqual({ workflow: `http://ui.example.test:8233/namespaces/default/workflows/${encodeURIComponent(dropWorkflowId(dropId))}` });
    await eventually('the drop and both orders listed by DropId', async () => ((await workflowIdsOfDrop()).length === 3 ? true : undefined));
  });

  it('history export writes the history that replay --file replays; an unknown workflow is exit 1', async () => {
    const file = join(dir, 'drop.json');
    const exported = await drops(['history', 'export', dropWorkflowId(dropId), '--out', file]);
    expect(exported.stderr).toContain(`wrote 1 run of ${dropWorkflowId(dropId)}`);
    expect(exported.status).toBe(0);
    const history = JSON.parse(readFileSync(file, 'utf8'));
    expect(history.events[0].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(history.events.at(-1).eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');

    // Without --out: to stdout.
    const order = (await workflowIdsOfDrop()).find((id) => id.startsWith('order:'))!;
    const printed = await drops(['history', 'export', order]);
    expect(printed.status).toBe(0);
    expect(JSON.parse(printed.stdout).events[0].workflowExecutionStartedEventAttributes.workflowType.name).toBe('orderWorkflowV2');

    const replayed = await drops(['replay', '--file', file]);
    expect(replayed.stdout).toContain(`replay ok: ${file} replays deterministically`);
    expect(replayed.status).toBe(0);

    const missing = await drops(['history', 'export', 'drop:no-such-drop-here']);
    expect(missing.stderr).toContain('workflow drop:no-such-drop-here not found');
    expect(missing.status).toBe(1);
  });

  it('replay --drop replays the drop and its orders: 3 ok, exit 0', async () => {
    const r = await drops(['replay', '--drop', dropId]);
    expect(r.stdout).toContain(`replay of drop ${dropId}: 3 ok, 0 failed (3 workflows, 3 runs)`);
    expect(r.status).toBe(0);
  });

  it('replay --drop exits 1 naming an order whose history other workflow code wrote', async () => {
    // An order workflow run by a changed order workflow (a timer first, no patched()), carrying the drop's DropId.
    const taskQueue = `changed-${randomBytes(4).toString('hex')}`;
    const connection = await NativeConnection.connect({ address: stack.temporalAddress });
    const worker = await Worker.create({ connection, taskQueue, workflowsPath: require.resolve('./changed-workflow') });
    const running = worker.run();
    const bogus = orderWorkflowId(dropId, 'bogus');
    try {
      const input: OrderWorkflowInput = {
        orderId: 'ord_bogus',
        dropId,
        entryId: 'bogus',
        region: 'north',
        amountCents: 1500,
        currency: 'usd',
        paymentSeconds: 60,
        pickupSeconds: 60,
        missedPickupPolicy: 'refund',
        paymentMode: 'pay_after_win',
      };
      const handle = await stack.client.workflow.start('orderWorkflowV2', {
        taskQueue,
        workflowId: bogus,
        args: [input],
        typedSearchAttributes: [{ key: DROP_ID, value: dropId }],
      });
      await eventually('the changed workflow to start its timer', async () =>
        (await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes) ? true : undefined,
      );
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
    }
    await eventually('the bogus order listed by DropId', async () => ((await workflowIdsOfDrop()).includes(bogus) ? true : undefined));

    const r = await drops(['replay', '--drop', dropId]);
    expect(r.stdout).toContain(`replay of drop ${dropId}: 3 ok, 1 failed (4 workflows, 4 runs)`);
    expect(r.stdout).toMatch(new RegExp(`failed:\\n  ${bogus}: DeterminismViolationError: `));
    expect(r.stderr).toContain(`replay FAILED for ${bogus}`);
    expect(r.status).toBe(1);
  });

  it('replay --drop of a drop that does not exist is exit 1, saying so', async () => {
    const r = await drops(['replay', '--drop', 'no-such-drop-here']);
    expect(r.stderr).toContain('no drop no-such-drop-here: no workflow drop:no-such-drop-here');
    expect(r.status).toBe(1);
  });
});
