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
  closeRegistrationUpdate,
  dropStatusQuery,
  extendRegistrationUpdate,
  pauseRegistrationUpdate,
  resumeRegistrationUpdate,
  type DropOutcome,
  type DropStatus,
  type DropWorkflowInput,
  type DropWorkflowPhase,
} from '../definitions';
import { SETTLE_WAIT_SECONDS, presets } from '../options';

const store = proxyActivities<Activities>(presets.database);
const batch = proxyActivities<Activities>(presets.batch);
const settle = proxyActivities<Activities>(presets.settleWait);

const MAX_EXTENSION_SECONDS = 7 * 24 * 3600;

/**
 * One drop, from announce to post-mortem. Per-entrant state lives in Postgres and in the order
 * workflows, so this history stays small whatever the number of entrants or winners.
 */
export async function dropWorkflow(input: DropWorkflowInput): Promise<DropOutcome> {
  const { dropId, windows } = input;
  let phase: DropWorkflowPhase = input.resumeAt ?? 'announcing';
  let closesAt: number | null = null;
  let closeRequested = false;
  /** True once the entrant list is frozen in Postgres: intake refuses entries from then on. */
  let registrationFrozen = input.resumeAt === 'settling';
  /** Pause/resume/extend writes still in flight; the list is frozen only after they land. */
  let phaseWrites = 0;
  let winners = input.winners ?? 0;

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

  setHandler(dropStatusQuery, status);

  setHandler(
    closeRegistrationUpdate,
    async () => {
      closeRequested = true;
      // Answer ops only when no entry can be added any more.
      await condition(() => registrationFrozen);
      return status();
    },
    // 'announcing' too: the read model says "registration" as soon as the announce activity has
    // written it, a moment before this workflow hears back; a close in that moment is honoured.
    { validator: () => requirePhase('announcing', 'registration', 'paused') },
  );

  setHandler(
    pauseRegistrationUpdate,
    async () => {
      phase = 'paused';
      await tracked(store.recordDropPhase({ dropId, phase: 'paused', from: ['registration'] }));
      return status();
    },
    { validator: () => requirePhase('registration') },
  );

  setHandler(
    resumeRegistrationUpdate,
    async () => {
      phase = 'registration';
      await tracked(store.recordDropPhase({ dropId, phase: 'registration', from: ['paused'] }));
      return status();
    },
    { validator: () => requirePhase('paused') },
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

  const enter = async (next: DropWorkflowPhase) => {
    phase = next;
    upsertSearchAttributes([{ key: DROP_PHASE, value: next }]);
    if (next !== 'announcing') await store.recordDropPhase({ dropId, phase: next });
  };

  // ---- the drop ----

  if (input.resumeAt !== 'settling') {
    // announce: seed created, commitment published, registration opened
    const announced = await store.announceDrop({ dropId, registrationSeconds: windows.registrationSeconds });
    closesAt = announced.registrationClosesAt;
    phase = 'registration';
    upsertSearchAttributes([{ key: DROP_PHASE, value: phase }]);

    // registration: a durable timer that ops can move (extend) or cut short (close)
    while (!closeRequested) {
      const remaining = closesAt - Date.now();
      if (remaining <= 0) break;
      const seen = closesAt;
      await condition(() => closeRequested || closesAt !== seen, remaining);
    }
    // Let an in-flight pause/extend finish writing before the list is frozen.
    await condition(() => phaseWrites === 0);

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
  for (;;) {
    const { settled } = await settle.awaitOrdersSettled({ dropId, maxWaitSeconds: SETTLE_WAIT_SECONDS });
    if (settled) break;
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof dropWorkflow>({ ...input, resumeAt: 'settling', winners });
    }
  }

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
