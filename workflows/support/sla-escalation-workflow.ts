import { continueAsNew, log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { SlaEscalationInput } from '../definitions';
import { presets } from '../options';

const { escalateOverdueExceptions } = proxyActivities<Activities>(presets.database);
const { notifyEscalation } = proxyActivities<Activities>(presets.opsWebhook);

/** Sweeps per run before continuing as new (each sweep adds about a dozen events to the history). */
const SWEEPS_PER_RUN = 200;

/**
 * Escalates exceptions past their SLA: every `intervalSeconds`, one activity marks the overdue
 * open exceptions escalated (exactly once each, in Postgres), then one activity per escalation
 * still owed its webhook sends it (retried by its own policy; one that keeps failing stays in
 * the outbox for the next sweep, and never holds up the escalations themselves). Runs for ever
 * under one id per task queue, continuing as new to keep its history short. No secrets or
 * free text pass through it: exception ids only.
 */
export async function slaEscalationWorkflow(input: SlaEscalationInput): Promise<void> {
  for (let sweep = 0; sweep < SWEEPS_PER_RUN && !workflowInfo().continueAsNewSuggested; sweep++) {
    const { escalated, toNotify } = await escalateOverdueExceptions();
    if (escalated.length > 0) log.info('exceptions escalated', { count: escalated.length });
    const outcomes = await Promise.allSettled(toNotify.map((exceptionId) => notifyEscalation({ exceptionId })));
    const failed = outcomes.filter((o) => o.status === 'rejected').length;
    if (failed > 0) log.warn('escalation webhooks still owed after their retries; the next sweep sends them again', { failed });
    await sleep(input.intervalSeconds * 1000);
  }
  await continueAsNew<typeof slaEscalationWorkflow>(input);
}
