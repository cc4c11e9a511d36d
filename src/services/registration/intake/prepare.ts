import { hash } from 'node:crypto';
import type { IntakeItem } from '../../../db/repositories/entry-intake';
import { identityHash, newEntryId, phoneHash } from '../../../domain/identity';

/** A validated registration as the API hands it to the intake thread (nothing secret-derived yet). */
export interface IntakeRequest {
  dropId: string;
  /** The mailbox address as stored (`mailboxAddress`). */
  email: string;
  /** What dedupes it (`mailboxIdentity`): hashed, never stored. */
  emailIdentity: string;
  /** E.164, or null when none was given. */
  phone: string | null;
  /** IANA time zone for the deadlines in the entrant's messages; null: UTC. */
  timeZone: string | null;
  region: string;
  tier: string;
  weight: number;
  passId: string | null;
  passToken: string | null;
  idempotencyKey: string | null;
}

/** The keyed hashes and the new entry id, computed off the API's event loop. */
export function prepareIntakeItem(identitySecret: string, phoneKey: Buffer, r: IntakeRequest): IntakeItem {
  return {
    dropId: r.dropId,
    entryId: newEntryId(),
    identityHash: identityHash(identitySecret, r.dropId, r.emailIdentity),
    phoneHash: r.phone === null ? null : phoneHash(phoneKey, r.dropId, r.phone),
    tier: r.tier,
    weight: r.weight,
    region: r.region,
    passId: r.passId,
    email: r.email,
    phone: r.phone,
    timeZone: r.timeZone,
    idempotency:
      r.idempotencyKey === null
        ? null
        : {
            keyHash: hash('sha256', r.idempotencyKey, 'hex'),
            // A fingerprint of what was asked, so the same key with another request is refused.
            requestHash: hash('sha256', JSON.stringify([r.email, r.phone, r.region, r.passToken, ...(r.timeZone === null ? [] : [r.timeZone])]), 'hex'),
          },
  };
}
