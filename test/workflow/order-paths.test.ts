import { Worker } from '@temporalio/worker';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'kysely';
import { runOrderPaths, type OrderPathsResult } from '../../src/demo/order-paths';
import { balances } from '../../src/db/repositories/ledger';
import { WORKFLOWS_PATH } from '../../src/worker/worker';
import { dropWorkflowId, orderWorkflowId } from '../../workflows/definitions';
import { startTestStack, type TestStack } from '../helpers/context';

describe('every order path on a real Temporal server and a real Postgres', () => {
  let stack: TestStack;
  let result: OrderPathsResult;

  beforeAll(async () => {
    stack = await startTestStack();
    result = await runOrderPaths({ api: stack.api, providerUrl: stack.providerUrl, dropId: 'paths-drop' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('ends each winner in the final state its path calls for', () => {
    expect(result.byPath.picked_up.finalState).toBe('picked_up');
    expect(result.byPath.never_paid.finalState).toBe('unpaid');
    expect(result.byPath.pickup_expired.finalState).toBe('refunded');
    expect(result.byPath.support_marked_picked_up.finalState).toBe('picked_up');
  });

  it('writes a post-mortem whose counts add up', () => {
    expect(result.report.counts).toMatchObject({ winners: 4, paid: 3, unpaid: 1, pickedUp: 2, refunded: 1, shipped: 0, unsettled: 0 });
    expect(result.report.money).toMatchObject({ capturedCents: 3000, refundedCents: 1000, netCents: 2000, ledgerBalanced: true });
  });

  it('keeps no personal data in the public report', () => {
    expect(JSON.stringify(result.report)).not.toMatch(/@example\.test/);
  });

  it('conserves stock: the expired unit went back to its node', async () => {
    const node = await stack.db.selectFrom('nodes').selectAll().where('drop_id', '=', 'paths-drop').executeTakeFirstOrThrow();
    expect(node.stock_remaining).toBe(node.stock_total - 2);
  });

  it('balances the ledger to zero and never posts a movement twice', async () => {
    const b = await balances(stack.db, 'paths-drop');
    expect(Object.values(b).reduce((s, v) => s + v, 0)).toBe(0);
    expect(b['provider:payments:clearing']).toBe(2000);
    const dupes = await sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT order_id, kind FROM ledger_postings GROUP BY 1, 2 HAVING count(*) > 1) d`.execute(
      stack.db,
    );
    expect(Number(dupes.rows[0]!.n)).toBe(0);
  });

  it('replays the live drop and order histories against the current code', async () => {
    const ids = [dropWorkflowId('paths-drop'), ...Object.values(result.byPath).map((p) => orderWorkflowId('paths-drop', p.entryId))];
    for (const id of ids) {
      const history = await stack.client.workflow.getHandle(id).fetchHistory();
      await expect(Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, id)).resolves.toBeUndefined();
    }
  });

  it('`drops replay <workflowId>` downloads and replays a live history', () => {
    const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'drops.js'), 'replay', dropWorkflowId('paths-drop')], {
      encoding: 'utf8',
      env: { ...process.env, TEMPORAL_ADDRESS: stack.temporalAddress },
    });
    expect(r.stdout).toContain('replay ok');
    expect(r.status).toBe(0);
  });

  it('refuses a support action on a settled order (409 order_final: its workflow has finished)', async () => {
    const res = await stack.api.call('POST', `/v1/orders/${result.byPath.never_paid.orderId}/resolve`, {
      as: 'support',
      body: { action: 'mark_picked_up' },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('order_final');
  });
});
