import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DropsApiClient } from '../demo/api-client';
import { runOrderPaths, type OrderPath } from '../demo/order-paths';
import { freePort } from '../devstack/ports';
import { PROJECT_ROOT, startStack } from '../devstack/stack';
import { parseCommandArgs } from './args';
import { dropWorkflowId, orderWorkflowId } from '../../workflows/definitions';

const FIXTURE_DIR = join(PROJECT_ROOT, 'test', 'replay', 'histories');
/**
 * Histories of the current workflow versions. The v1 order fixtures (order-*.json without v2)
 * and drop-whole.json were recorded before orderWorkflowV2 and the drop's provider-leftovers patch; they
 * stay, so the frozen v1 code and the patch's old branch keep being replayed.
 */
const FILES: Record<OrderPath, string> = {
  picked_up: 'order-v2-paid-picked-up.json',
  never_paid: 'order-v2-never-paid.json',
  pickup_expired: 'order-v2-pickup-expired.json',
  support_marked_picked_up: 'order-v2-support-marked-picked-up.json',
};
const DROP_FILE = 'drop-v2-whole.json';

/** Runs a real drop whose orders take every path and saves their histories as replay fixtures. */
export async function runRecordHistories(args: string[]): Promise<number> {
  if (!parseCommandArgs('record-histories', 'drops record-histories', { args, options: {} })) return 2;
  const stack = await startStack({
    dataDir: join(PROJECT_ROOT, '.data', 'record'),
    temporalPort: 'free',
    temporalUiPort: null,
    postgresPort: await freePort(),
    apiPort: 0,
  });
  try {
    const api = new DropsApiClient(stack.apiUrl, { ops: stack.secrets.opsApiKey, support: stack.secrets.supportApiKey });
    const result = await runOrderPaths({ api, providerUrl: stack.providerUrl, dropId: `record-${Date.now()}` });
    mkdirSync(FIXTURE_DIR, { recursive: true });
    const save = async (workflowId: string, file: string) => {
      const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
      writeFileSync(join(FIXTURE_DIR, file), historyToJSON(history));
      console.log(`saved ${workflowId} → test/replay/histories/${file}`);
    };
    await save(dropWorkflowId(result.dropId), DROP_FILE);
    for (const [path, file] of Object.entries(FILES) as Array<[OrderPath, string]>) {
      await save(orderWorkflowId(result.dropId, result.byPath[path].entryId), file);
    }
    return 0;
  } finally {
    await stack.stop();
  }
}
