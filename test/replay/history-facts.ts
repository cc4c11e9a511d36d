/** What a recorded history (Temporal's JSON form) shows about the branch its workflow took. */
export interface HistoryFacts {
  workflowType: string;
  /** This run's id, the run it continued from, and the run it continued as (if any). */
  runId: string;
  continuedFrom: string | null;
  continuedAs: string | null;
  /** The workflow's return value, when this run completed. */
  result: Record<string, unknown> | null;
  activities: Set<string>;
  /** Every OrderState the run upserted. */
  orderStates: Set<string>;
  /** Every DropPhase the run started with or upserted. */
  dropPhases: Set<string>;
  /** The workflow's input (its first argument). */
  input: Record<string, any> | null;
  /** The Updates the run accepted, in order, with their first argument. */
  updates: Array<{ name: string; arg: Record<string, any> | undefined }>;
}

const decode = (payload: { data?: string } | undefined): any =>
  payload?.data === undefined ? undefined : JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));

export function historyFacts(history: { events: Array<Record<string, any>> }): HistoryFacts {
  const started = history.events[0]!.workflowExecutionStartedEventAttributes;
  const last = history.events[history.events.length - 1]!;
  const facts: HistoryFacts = {
    workflowType: started.workflowType.name,
    runId: started.originalExecutionRunId,
    continuedFrom: started.continuedExecutionRunId || null,
    continuedAs: last.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null,
    result: decode(last.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]) ?? null,
    activities: new Set(),
    orderStates: new Set(),
    dropPhases: new Set(),
    input: decode(started.input?.payloads?.[0]) ?? null,
    updates: [],
  };
  const startPhase = started.searchAttributes?.indexedFields?.DropPhase;
  if (startPhase) facts.dropPhases.add(decode(startPhase));
  for (const e of history.events) {
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (activity) facts.activities.add(activity);
    const state = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.OrderState;
    if (state) facts.orderStates.add(decode(state));
    const phase = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.DropPhase;
    if (phase) facts.dropPhases.add(decode(phase));
    const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (update) facts.updates.push({ name: update.name, arg: decode(update.args?.payloads?.[0]) });
  }
  return facts;
}

/**
 * One workflow's runs (oldest first) seen as one: what any run did, the first run's input and
 * id, the last run's result and successor.
 */
export function mergeRuns(runs: HistoryFacts[]): HistoryFacts {
  const first = runs[0]!;
  const last = runs[runs.length - 1]!;
  const union = (pick: (h: HistoryFacts) => Set<string>) => new Set(runs.flatMap((h) => [...pick(h)]));
  return {
    ...first,
    continuedAs: last.continuedAs,
    result: last.result,
    activities: union((h) => h.activities),
    orderStates: union((h) => h.orderStates),
    dropPhases: union((h) => h.dropPhases),
    updates: runs.flatMap((h) => h.updates),
  };
}

/** True when the history accepted Update `name` (and, if given, its argument passes `arg`). */
export const accepted = (h: HistoryFacts, name: string, arg: (a: Record<string, any>) => boolean = () => true): boolean =>
  h.updates.some((u) => u.name === name && arg(u.arg ?? {}));
