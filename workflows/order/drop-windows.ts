import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { OrderWorkflowInput } from '../definitions';
import { presets } from '../options';

const { currentOrderWindows } = proxyActivities<Activities>(presets.database);

/**
 * The pay or pickup window (seconds) for an order entering that phase now: the drop's, as ops last
 * changed it (POST /v1/drops/:dropId/windows), else the order's own from its start. Orders started
 * before ops could change windows keep their own (patch 'drop-window-changes').
 */
export async function windowSeconds(input: OrderWorkflowInput, which: 'paymentSeconds' | 'pickupSeconds'): Promise<number> {
  if (!patched('drop-window-changes')) return input[which];
  const current = await currentOrderWindows({ dropId: input.dropId });
  return current[which] ?? input[which];
}
