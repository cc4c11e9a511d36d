import { ApiError } from '../../api/errors';
import type { RegisterEntry } from '../../api/schemas';
import { findDrop } from '../db/repositories/drops';
import { findEntry, insertEntryIfOpen } from '../db/repositories/entries';
import { findOrderByEntry } from '../db/repositories/orders';
import {
  hashReceiptSecret,
  identityHash,
  newEntryId,
  newReceiptSecret,
  normaliseEmail,
  normalisePhone,
  receiptSecretMatches,
} from '../domain/identity';
import type { ServiceDeps } from './deps';

export interface Receipt {
  dropId: string;
  entryId: string;
  registeredAt: string;
  /** Shown only to the request that created the entry: it unlocks the entry's status. */
  receiptSecret?: string;
  duplicate: boolean;
}

/** Registers one entrant; acknowledged only after the entry is committed. */
export async function register(deps: ServiceDeps, dropId: string, body: RegisterEntry): Promise<Receipt> {
  const entryId = newEntryId();
  const receiptSecret = newReceiptSecret();
  const result = await insertEntryIfOpen(deps.db, {
    dropId,
    entryId,
    identityHash: identityHash(deps.secrets.identitySecret, dropId, body.email),
    tier: 'general',
    weight: 1,
    region: body.region,
    receiptSecretHash: hashReceiptSecret(receiptSecret),
    email: normaliseEmail(body.email),
    phone: normalisePhone(body.phone),
  });
  switch (result.kind) {
    case 'created':
      return { dropId, entryId, registeredAt: new Date().toISOString(), receiptSecret, duplicate: false };
    case 'duplicate':
      return {
        dropId,
        entryId: result.entry.entry_id,
        registeredAt: new Date(result.entry.created_at).toISOString(),
        duplicate: true,
      };
    case 'closed':
      if (!(await findDrop(deps.db, dropId))) throw new ApiError(404, 'drop_not_found', `no drop ${dropId}`);
      throw new ApiError(409, 'registration_closed', 'this drop is not taking registrations now');
  }
}

/** What an entrant may see of their own entry, with their receipt secret. */
export async function entryStatus(deps: Pick<ServiceDeps, 'db'>, dropId: string, entryId: string, secret: string | undefined) {
  const entry = await findEntry(deps.db, dropId, entryId);
  // Same answer for "no such entry" and "wrong secret": ids cannot be probed.
  if (!entry || !secret || !receiptSecretMatches(secret, entry.receipt_secret_hash)) {
    throw new ApiError(404, 'entry_not_found', 'no entry with that id and receipt secret');
  }
  const order = await findOrderByEntry(deps.db, dropId, entryId);
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    dropId,
    entryId,
    status: entry.status,
    drawRank: entry.draw_rank,
    order: order && {
      orderId: order.order_id,
      state: order.state,
      payLink: order.state === 'awaiting_payment' ? order.pay_link : null,
      payDeadline: iso(order.pay_deadline),
      nodeId: order.node_id,
      fulfillment: order.fulfillment,
      claimCode: order.state === 'awaiting_pickup' ? order.claim_code : null,
      pickupDeadline: iso(order.pickup_deadline),
      carrier: order.carrier,
      trackingNumber: order.tracking_number,
    },
  };
}
