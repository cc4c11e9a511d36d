import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  DROP_PHASE,
  cancelDropUpdate,
  changeOrderWindowsUpdate,
  closeRegistrationUpdate,
  dropStatusQuery,
  extendRegistrationUpdate,
  pauseRegistrationUpdate,
  restockNodeUpdate,
  resumeRegistrationUpdate,
  type DropOutcome,
  type DropStatus,
  type DropWorkflowInput,
  type DropWorkflowPhase,
  type StaffRequest,
} from '../definitions';
import { SETTLE_WAIT_SECONDS, presets } from '../options';

const store = proxyActivities<Activities>(presets.database);
const batch = proxyActivities<Activities>(presets.batch);
const settle = proxyActivities<Activities>(presets.settleWait);

const MAX_EXTENSION_SECONDS = 7 * 24 * 3600;
const MAX_ORDER_WINDOW_SECONDS = 7 * 24 * 3600;
const MAX_RESTOCK_UNITS = 100_000;

/** Phases before the draw: a cancel here stops registration and no draw runs. */
const BEFORE_DRAW: DropWorkflowPhase[] = ['scheduled', 'announcing', 'announced', 'registration', 'paused'];

/**
 * One drop, from announce to post-mortem (or to its cancellation). Per-entrant state lives in
 * Postgres and in the order workflows, so this history stays small whatever the number of
 * entrants or winners.
 */
export async function dropWorkflow(input: DropWorkflowInput): Promise<DropOutcome> {
  const { dropId, windows, schedule } = input;
  /** Ops cancelled the drop (who and why); carried across continue-as-new. */
  let cancel: StaffRequest | undefined = input.cancelled;
  let phase: DropWorkflowPhase = cancel ? 'cancelling' : (input.resumeAt ?? (schedule ? 'scheduled' : 'announcing'));
  let closesAt: number | null = null;
  let closeRequested = false;
  /** True once the entrant list is frozen in Postgres: intake refuses entries from then on. */
  let registrationFrozen = input.resumeAt === 'settling';
  /** Pause/resume/extend writes still in flight; the list is frozen only after they land. */
  let phaseWrites = 0;
  let winners = input.winners ?? 0;
  /** The cancellation is written to the row (and, after the draw, every open order told). */
  let cancelRecorded = cancel !== undefined;
  /** True once every order is final: nothing is left to cancel or to promote into. */
  let ordersSettled = false;
  /** Restocks in flight, and how many promoted someone while settling (the settle wait looks again). */
  let restocksRunning = 0;
  let restocksPromoting = 0;
  /** After a cancel while settling: every open order told (the activity retries until each took it). */
  let ordersTold: Promise<unknown> = Promise.resolve();

  // ---- message handlers ----

  const status = (): DropStatus => ({ phase, registrationClosesAt: closesAt });
  const requirePhase = (...allowed: DropWorkflowPhase[]) => {
    if (!allowed.includes(phase)) throw ApplicationFailure.nonRetryable(`drop is ${phase}`, 'WrongPhase');
  };

  const tracked = async <T>(write: Promise<T>): Promise<T> => {
    phaseWrites += 1;
    try {
      return await write;
    } finally {
      phaseWrites -= 1;
    }
  };

  /** The DropPhase search attribute follows the row (pause and resume too, patch 'drop-phase-search-attribute'). */
  const showPhase = (next: DropWorkflowPhase) => upsertSearchAttributes([{ key: DROP_PHASE, value: next }]);

  setHandler(dropStatusQuery, status);

  setHandler(
    closeRegistrationUpdate,
    async (_request) => {
      closeRequested = true;
      // Answer ops only when no entry can be added any more (frozen for the draw, or cancelled).
      await condition(() => registrationFrozen || cancelRecorded);
      return status();
    },
    // 'announcing' too: the read model says "registration" as soon as the announce activity has
    // written it, a moment before this workflow hears back; a close in that moment is honoured.
    { validator: (_request) => requirePhase('announcing', 'registration', 'paused') },
  );

  setHandler(
    pauseRegistrationUpdate,
    async (_request) => {
      phase = 'paused';
      if (patched('drop-phase-search-attribute')) showPhase(phase);
      await tracked(store.recordDropPhase({ dropId, phase: 'paused', from: ['registration'] }));
      return status();
    },
    { validator: (_request) => requirePhase('registration') },
  );

  setHandler(
    resumeRegistrationUpdate,
    async (_request) => {
      phase = 'registration';
      if (patched('drop-phase-search-attribute')) showPhase(phase);
      await tracked(store.recordDropPhase({ dropId, phase: 'registration', from: ['paused'] }));
      return status();
    },
    { validator: (_request) => requirePhase('paused') },
  );

  setHandler(
    extendRegistrationUpdate,
    async ({ seconds }) => {
      closesAt = (closesAt ?? Date.now()) + seconds * 1000;
      await tracked(store.setRegistrationClosesAt({ dropId, closesAt }));
      return status();
    },
    {
      validator: ({ seconds }) => {
        requirePhase('registration', 'paused');
        if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_EXTENSION_SECONDS) {
          throw ApplicationFailure.nonRetryable('seconds must be an integer from 1 to 604800', 'InvalidExtension');
        }
      },
    },
  );

  setHandler(
    cancelDropUpdate,
    async (request) => {
      const afterDraw = phase === 'settling';
      cancel = request;
      phase = 'cancelling';
      showPhase(phase);
      await store.cancelDrop({ dropId, reasonCode: request.reasonCode });
      // After the draw: every open order is told to undo itself (retried until each took it);
      // ops get their answer now, the drop's end waits for it and the settle wait sees the orders final.
      if (afterDraw) ordersTold = batch.cancelOpenOrders({ dropId, staffId: request.staffId, reasonCode: request.reasonCode });
      cancelRecorded = true;
      return status();
    },
    {
      validator: (request) => {
        if (phase === 'allocating') throw ApplicationFailure.nonRetryable('the draw is running; cancel once it has finished', 'WrongPhase');
        if (phase === 'settling' && ordersSettled) throw ApplicationFailure.nonRetryable('every order is final: nothing is left to cancel', 'WrongPhase');
        requirePhase(...BEFORE_DRAW, 'settling');
        if (!request || typeof request.staffId !== 'string' || typeof request.reasonCode !== 'string') {
          throw ApplicationFailure.nonRetryable('a cancel carries a staffId and a reasonCode', 'InvalidAction');
        }
      },
    },
  );

  setHandler(
    restockNodeUpdate,
    async (request) => {
      const promote = phase === 'settling';
      restocksRunning += 1;
      try {
        const outcome = await batch.restockNode({ dropId, restockId: request.restockId, nodeId: request.nodeId, units: request.units, promote });
        if (outcome.promotedEntryIds.length > 0) restocksPromoting += 1;
        return outcome;
      } finally {
        restocksRunning -= 1;
      }
    },
    {
      validator: (request) => {
        if (phase === 'settling' && ordersSettled) throw ApplicationFailure.nonRetryable('every order is final: the drop is wrapping up', 'WrongPhase');
        requirePhase(...BEFORE_DRAW, 'settling');
        if (!Number.isInteger(request?.units) || request.units < 1 || request.units > MAX_RESTOCK_UNITS) {
          throw ApplicationFailure.nonRetryable(`units must be an integer from 1 to ${MAX_RESTOCK_UNITS}`, 'InvalidAction');
        }
      },
    },
  );

  setHandler(
    changeOrderWindowsUpdate,
    async (request) => {
      await store.changeOrderWindows({ dropId, paymentSeconds: request.paymentSeconds, pickupSeconds: request.pickupSeconds, reasonCode: request.reasonCode });
      return status();
    },
    {
      validator: (request) => {
        requirePhase(...BEFORE_DRAW, 'allocating', 'settling');
        const ok = (s: number | undefined) => s === undefined || (Number.isInteger(s) && s >= 1 && s <= MAX_ORDER_WINDOW_SECONDS);
        if (
          !request ||
          (request.paymentSeconds === undefined && request.pickupSeconds === undefined) ||
          !ok(request.paymentSeconds) ||
          !ok(request.pickupSeconds)
        ) {
          throw ApplicationFailure.nonRetryable(`paymentSeconds and/or pickupSeconds, integers from 1 to ${MAX_ORDER_WINDOW_SECONDS}`, 'InvalidAction');
        }
      },
    },
  );

  const enter = async (next: DropWorkflowPhase) => {
    phase = next;
    showPhase(next);
    if (next !== 'announcing') await store.recordDropPhase({ dropId, phase: next });
  };

  /**
   * The end of a cancelled drop (patch 'drop-cancel'): once the cancellation is recorded (and
   * every order final, after the draw), card holds not captured are voided and stray labels swept
   * as at any drop's end, the report (saying cancelled, by reason code) is written at once, and
   * the drop ends `cancelled`.
   */
  const finishCancelled = async (): Promise<DropOutcome> => {
    await condition(() => cancelRecorded);
    await ordersTold;
    await batch.voidUnusedAuthorizations({ dropId });
    await batch.voidStrayLabels({ dropId });
    await store.writePostMortem({ dropId });
    await enter('cancelled');
    await condition(allHandlersFinished);
    return { dropId, winners, reportWritten: true };
  };

  /** A durable timer to `at` (epoch ms) that a cancel ends early; nothing when `at` has passed. */
  const waitUntil = async (at: number) => {
    const ms = at - Date.now();
    if (ms > 0) await condition(() => cancel !== undefined, ms);
  };

  // ---- the drop ----

  if (input.resumeAt !== 'settling') {
    // A scheduled launch waits for its announce on a durable timer (a cancel ends the wait).
    if (schedule) {
      await waitUntil(schedule.announceAt);
      if (cancel && patched('drop-cancel')) return await finishCancelled();
      phase = 'announcing';
    }
    // announce: seed created, commitment published, registration opened (or, scheduled, to open later)
    const announced = await store.announceDrop({
      dropId,
      registrationSeconds: windows.registrationSeconds,
      ...(schedule && { registrationOpensAt: schedule.registrationOpensAt }),
    });
    closesAt = announced.registrationClosesAt;
    if (cancel && patched('drop-cancel')) return await finishCancelled();
    if (schedule) {
      phase = 'announced';
      showPhase(phase);
      await waitUntil(schedule.registrationOpensAt);
      if (cancel && patched('drop-cancel')) return await finishCancelled();
      await store.recordDropPhase({ dropId, phase: 'registration', from: ['announced'] });
      if (cancel && patched('drop-cancel')) return await finishCancelled();
    }
    phase = 'registration';
    upsertSearchAttributes([{ key: DROP_PHASE, value: phase }]);

    // registration: a durable timer that ops can move (extend) or cut short (close, cancel)
    while (!closeRequested && !cancel) {
      const remaining = closesAt - Date.now();
      if (remaining <= 0) break;
      const seen = closesAt;
      await condition(() => closeRequested || cancel !== undefined || closesAt !== seen, remaining);
    }
    // Let an in-flight pause/extend finish writing before the list is frozen.
    await condition(() => phaseWrites === 0);
    if (cancel && patched('drop-cancel')) return await finishCancelled();

    // allocation: freeze, reveal, rank; winners get order workflows
    await enter('allocating');
    await store.closeRegistration({ dropId });
    registrationFrozen = true;
    const drawn = await batch.runDraw({ dropId });
    winners = drawn.winners;
    await batch.startOrderWorkflows({
      dropId,
      paymentSeconds: windows.paymentSeconds,
      pickupSeconds: windows.pickupSeconds,
      missedPickupPolicy: input.missedPickupPolicy,
    });
    await enter('settling');
  }

  // settling: payment, routing and pickup run in the order workflows; we wait for all of them
  // (a restock that promoted someone while we waited makes us look again)
  for (;;) {
    const promotingBefore = restocksPromoting;
    const { settled } = await settle.awaitOrdersSettled({ dropId, maxWaitSeconds: SETTLE_WAIT_SECONDS });
    if (settled) {
      await condition(() => restocksRunning === 0);
      if (restocksPromoting === promotingBefore) break;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await ordersTold;
      await continueAsNew<typeof dropWorkflow>({ ...input, resumeAt: 'settling', winners, ...(cancel && { cancelled: cancel }) });
    }
  }
  ordersSettled = true;
  if (cancel && patched('drop-cancel')) return await finishCancelled();

  // Leftovers at the providers once every order is final: card holds not captured
  // (authorize_at_entry) and labels bought by requests we had given up on. Added after drops
  // were running, in two steps; each patch id keeps the branch its histories took:
  //  - none (drop-whole.json): nothing here;
  //  - 'void-unused-authorizations' (the first step, later renamed by mistake): holds only;
  //  - 'settle-provider-leftovers' (every new drop): holds, then stray labels.
  // The newest id is asked first, so a new run records only it. Never rename or drop an id.
  if (patched('settle-provider-leftovers')) {
    await batch.voidUnusedAuthorizations({ dropId });
    await batch.voidStrayLabels({ dropId });
  } else if (patched('void-unused-authorizations')) {
    await batch.voidUnusedAuthorizations({ dropId });
  }

  // post-mortem after the published delay
  await enter('post_mortem_pending');
  await sleep(windows.postMortemDelaySeconds * 1000);
  await store.writePostMortem({ dropId });
  await enter('completed');
  await condition(allHandlersFinished);
  return { dropId, winners, reportWritten: true };
}
