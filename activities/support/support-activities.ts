import { escalateOverdueExceptions, findException, listUnnotifiedEscalations, markEscalationNotified } from '../../src/db/repositories/exceptions';
import { postOpsWebhook } from '../../src/integrations/ops-webhook';
import type { ActivityDeps } from '../deps';

/** At most this many exceptions are escalated, and notified, per sweep; the rest wait for the next. */
const SWEEP_LIMIT = 100;

export function createSupportActivities({ db, opsWebhook }: ActivityDeps) {
  let toldNoWebhook = false;
  return {
    /**
     * Step one of the SLA escalation: marks every open exception past its SLA deadline as
     * escalated (exactly once, with an `exception.escalated` event; see the repository), and
     * returns the escalations whose ops webhook is still owed (these and earlier ones whose
     * webhook failed): none when no ops webhook is configured (logged once per process).
     */
    async escalateOverdueExceptions(): Promise<{ escalated: number[]; toNotify: number[] }> {
      const escalated = (await escalateOverdueExceptions(db, SWEEP_LIMIT)).map((r) => Number(r.exception_id));
      if (!opsWebhook) {
        if (escalated.length > 0 && !toldNoWebhook) {
          toldNoWebhook = true;
          console.warn('[sla] exceptions past their SLA are escalated (recorded); no DROPS_OPS_WEBHOOK_URL is set, so no webhook is sent');
        }
        return { escalated, toNotify: [] };
      }
      return { escalated, toNotify: await listUnnotifiedEscalations(db, SWEEP_LIMIT) };
    },

    /**
     * Step two, per escalation: POSTs the signed `exception.escalated` webhook unless it was
     * answered 2xx before (the outbox mark), then marks it. A non-2xx throws, and the activity's
     * retry policy sends it again with backoff. Never re-escalates: the escalation was recorded
     * by step one. A crash between the 2xx and the mark sends it again, with the same
     * `x-drops-event-id`.
     */
    async notifyEscalation(input: { exceptionId: number }): Promise<{ sent: boolean }> {
      if (!opsWebhook) return { sent: false };
      const e = await findException(db, input.exceptionId);
      if (!e || e.escalated_at === null || e.escalation_notified_at !== null) return { sent: false };
      const eventId = `exception.escalated:${e.exception_id}`;
      // Ids and times only: the detail text stays in our database (GET /v1/exceptions shows it to staff).
      await postOpsWebhook(opsWebhook, eventId, {
        id: eventId,
        type: 'exception.escalated',
        exception: {
          exceptionId: Number(e.exception_id),
          dropId: e.drop_id,
          orderId: e.order_id,
          kind: e.kind,
          status: e.status,
          assignedTo: e.assigned_to,
          createdAt: new Date(e.created_at).toISOString(),
          slaDeadline: new Date(e.sla_deadline).toISOString(),
          escalatedAt: new Date(e.escalated_at).toISOString(),
        },
      });
      await markEscalationNotified(db, input.exceptionId);
      return { sent: true };
    },
  };
}
