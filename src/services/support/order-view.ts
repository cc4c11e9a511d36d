import { listOrderEvents } from '../../db/repositories/events';
import { withoutAddresses } from '../../domain/notification/without-addresses';
import { listOrderExceptions } from '../../db/repositories/exceptions';
import { readOrderMoney } from '../../db/repositories/ledger';
import { listEntrantMessages } from '../../db/repositories/notifications';
import { findOrder } from '../../db/repositories/orders';
import { notFound } from '../../domain/errors';
import { ledgerAccounts } from '../../domain/ledger-accounts';
import { claimCodeStatus } from '../../domain/support/claim-code-status';
import { allowedResolveActions, dropWorkflowId, orderWorkflowId, type OrderWorkflowState } from '../../../workflows/definitions';
import { listAudit } from '../audit/audit';
import type { ServiceDeps } from '../deps';
import { temporalUiLink } from '../temporal-links';
import { exceptionView } from './support';

/** How many of the order's audit entries the view shows (newest first); `GET /v1/audit?orderId=` pages through all. */
const AUDIT_ENTRIES = 100;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** A failure's text may quote an address (an SMTP server's answer): support sees the reason, not the address. */
const reasonOf = (text: string | null) => (text === null ? null : withoutAddresses(text));

/**
 * Everything support needs about one order, from the read model (Temporal is not asked):
 * its state timeline (the `events` rows of the order: `order.state` for each state change,
 * tracking, promotions, disputes, escalations), the payment (intent id, amount, and captured,
 * refunded, charged back per the ledger, in cents), the route (node, fulfillment,
 * compartment, carrier, tracking, label), the claim code's STATUS and deadline (never the code,
 * the pay link or the offer code), its exceptions, its audit entries (newest first), the resolve
 * actions its state allows now, the entrant's messages (kind, status, attempts, times, last error;
 * never the address or the body), and links to its order and drop workflows in the Temporal UI
 * (null without a UI URL). 404 `order_not_found`.
 */
export async function supportOrderView(deps: Pick<ServiceDeps, 'db' | 'temporalUi'>, orderId: string) {
  const order = await findOrder(deps.db, orderId);
  if (!order) throw notFound('order_not_found', `no order ${orderId}`);
  const [events, exceptions, money, audit, messages] = await Promise.all([
    listOrderEvents(deps.db, orderId),
    listOrderExceptions(deps.db, orderId),
    readOrderMoney(deps.db, orderId, ledgerAccounts.providerClearing),
    listAudit(deps, { orderId, limit: AUDIT_ENTRIES }),
    listEntrantMessages(deps.db, order.drop_id, order.entry_id),
  ]);
  const now = Date.now();
  const pickupDeadline = order.pickup_deadline === null ? null : new Date(order.pickup_deadline);
  const claim = claimCodeStatus({ state: order.state, nodeId: order.node_id, pickupDeadline, compartmentReservationId: order.compartment_reservation_id }, now);
  const ui = deps.temporalUi?.baseUrl;
  const namespace = deps.temporalUi?.namespace ?? 'default';
  return {
    orderId: order.order_id,
    dropId: order.drop_id,
    entryId: order.entry_id,
    state: order.state,
    finalReason: order.final_reason,
    region: order.region,
    promotedFromOrderId: order.promoted_from_order_id,
    createdAt: iso(order.created_at),
    updatedAt: iso(order.updated_at),
    timeline: events.map((e) => ({ at: new Date(e.at).toISOString(), kind: e.kind, data: e.data })),
    payment: {
      paymentIntentId: order.payment_intent_id,
      amountCents: order.amount_cents,
      currency: order.currency,
      payDeadline: iso(order.pay_deadline),
      ...money,
      creditCents: order.credit_cents,
    },
    route: {
      nodeId: order.node_id,
      fulfillment: order.fulfillment,
      compartmentReservationId: order.compartment_reservation_id,
      carrier: order.carrier,
      trackingNumber: order.tracking_number,
      trackingStatus: order.tracking_status,
      labelId: order.label_id,
      labelCarriersTried: order.label_carriers_tried,
    },
    claimCode: claim === null ? null : { status: claim, nodeId: order.node_id, deadline: pickupDeadline!.toISOString() },
    exceptions: exceptions.map((e) => exceptionView(e, now)),
    audit: audit.entries,
    auditNextCursor: audit.nextCursor,
    messages: messages.map((m) => ({
      kind: m.kind,
      status: m.status,
      attempts: m.attempts,
      createdAt: iso(m.created_at)!,
      finishedAt: iso(m.finished_at),
      lastError: reasonOf(m.last_error),
    })),
    allowedResolveActions: allowedResolveActions(order.state as OrderWorkflowState),
    links: ui
      ? {
          orderWorkflow: temporalUiLink(ui, namespace, orderWorkflowId(order.drop_id, order.entry_id)),
          dropWorkflow: temporalUiLink(ui, namespace, dropWorkflowId(order.drop_id)),
        }
      : null,
  };
}
