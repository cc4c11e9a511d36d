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
  };
  for (const e of history.events) {
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (activity) facts.activities.add(activity);
    const state = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.OrderState;
    if (state) facts.orderStates.add(decode(state));
  }
  return facts;
}
