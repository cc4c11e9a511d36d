import { accepted, type HistoryFacts } from './history-facts';

const ORDER = 'orderWorkflowV2';
const DROP = 'dropWorkflow';
const resolved = (h: HistoryFacts, action: string) => accepted(h, 'resolveOrder', (a) => a.action === action);
const ended = (h: HistoryFacts, state: string) => h.workflowType === ORDER && h.result?.state === state;

/**
 * The support and ops branches `drops record-histories` records (its `support` and
 * `drop-controls` groups), by fixture name: what each recording of that name must show, its
 * runs taken together. Read loosely (the Update's name and action, the final state), so that a
 * recording of the intended branch passes however the workflow words its reasons.
 */
export const RECORDED_BRANCHES: Record<string, (h: HistoryFacts) => boolean> = {
  'order-v2-support-retry-payment': (h) => ended(h, 'picked_up') && resolved(h, 'retry_payment'),
  'order-v2-support-partial-refund': (h) =>
    ended(h, 'picked_up') && accepted(h, 'resolveOrder', (a) => a.action === 'refund' && typeof a.amountCents === 'number'),
  'order-v2-support-reship': (h) => ended(h, 'shipped') && resolved(h, 'reship'),
  'order-v2-support-extend-pickup': (h) => ended(h, 'picked_up') && resolved(h, 'extend_pickup'),
  'order-v2-support-reissue-claim-code': (h) => ended(h, 'picked_up') && resolved(h, 'reissue_claim_code'),
  'order-v2-support-cancel-order': (h) => ended(h, 'cancelled') && resolved(h, 'cancel_order') && h.orderStates.has('awaiting_pickup'),
  'order-v2-support-cancel-unpaid': (h) => ended(h, 'cancelled') && resolved(h, 'cancel_order') && !h.orderStates.has('awaiting_pickup'),
  'order-v2-support-retry-compensation': (h) => ended(h, 'refunded') && h.orderStates.has('needs_support') && resolved(h, 'retry_compensation'),
  'order-v2-drop-cancelled': (h) => ended(h, 'cancelled') && accepted(h, 'dropCancelled') && h.orderStates.has('awaiting_pickup'),
  'order-v2-drop-cancelled-unpaid': (h) => ended(h, 'cancelled') && accepted(h, 'dropCancelled') && !h.orderStates.has('awaiting_pickup'),
  // Launched with a long pickup window; ops shortened it before the order paid.
  'order-v2-window-changed': (h) => h.workflowType === ORDER && h.result?.reason === 'pickup_expired' && Number(h.input?.pickupSeconds) > 60,
  'order-v2-promoted-by-restock': (h) => ended(h, 'picked_up'),
  'drop-v2-cancelled-before-draw': (h) => h.workflowType === DROP && h.result !== null && accepted(h, 'cancelDrop') && !h.activities.has('runDraw'),
  'drop-v2-cancelled-after-draw': (h) => h.workflowType === DROP && h.result !== null && accepted(h, 'cancelDrop') && h.activities.has('runDraw'),
  'drop-v2-scheduled': (h) => h.workflowType === DROP && h.result !== null && (h.input?.schedule !== undefined || h.dropPhases.has('announced')),
  'drop-v2-paused-resumed': (h) =>
    h.workflowType === DROP && h.result !== null && accepted(h, 'pauseRegistration') && accepted(h, 'resumeRegistration') && accepted(h, 'changeOrderWindows'),
  'drop-v2-restocked': (h) => h.workflowType === DROP && h.result !== null && accepted(h, 'restockNode'),
};

/** A fixture file's recording: `<name>.<date>.<commit>` (its runs share it), and the name. */
export function recordingOf(file: string): { name: string; recording: string } | null {
  const m = /^(.+?)\.(\d{4}-\d{2}-\d{2}\.[0-9a-z-]+)(?:\.run-\d+)?\.json$/.exec(file);
  return m ? { name: m[1]!, recording: `${m[1]}.${m[2]}` } : null;
}
