import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Identity dedupe without keeping who people are on the entry row. Keyed hash per drop: the same
 * person in two drops cannot be linked from the hashes. `mailbox` is already normalised
 * (`mailboxIdentity` in registration/contacts.ts), so every spelling of one mailbox hashes alike.
 */
export function identityHash(secret: string, dropId: string, mailbox: string): string {
  return createHmac('sha256', secret).update(`${dropId}\n${mailbox}`).digest('hex');
}

/**
 * The phone number (E.164, from `normalisePhone`) is a second identity, hashed under its own
 * key, so a phone hash can never equal an e-mail's. Unverified, it never answers for another
 * entry: a number already on an entry under another e-mail is refused (README, phone policy).
 */
export function phoneHash(phoneKey: Buffer, dropId: string, phone: string): string {
  return createHmac('sha256', phoneKey).update(`${dropId}\n${phone}`).digest('hex');
}

/** Random bytes drawn in blocks: one system call per 1,024 entry ids instead of one each. */
const ENTROPY_BLOCK = 12 * 1024;
let entropy = Buffer.alloc(0);
let entropyAt = ENTROPY_BLOCK;

/** Entry ids are random (96 bits), never derived from personal data; lowercase hex, so byte order is plain. */
export function newEntryId(): string {
  if (entropyAt >= entropy.length) {
    entropy = randomBytes(ENTROPY_BLOCK);
    entropyAt = 0;
  }
  entropyAt += 12;
  return `e${entropy.toString('hex', entropyAt - 12, entropyAt)}`;
}

/** One server secret, separate keys per purpose (a leaked receipt key says nothing of identities). */
export function deriveKey(secret: string, purpose: 'receipt' | 'pass' | 'phone'): Buffer {
  return createHmac('sha256', secret).update(`drops-key:${purpose}`).digest();
}

/**
 * The receipt secret is derived from the entry id, so an Idempotency-Key replay can hand the
 * same receipt back without the secret ever being stored (only its hash is).
 */
export function receiptSecretFor(receiptKey: Buffer, dropId: string, entryId: string): string {
  return createHmac('sha256', receiptKey).update(`${dropId}\n${entryId}`).digest('base64url');
}

export function receiptSecretMatches(receiptKey: Buffer, dropId: string, entryId: string, secret: string): boolean {
  const a = Buffer.from(receiptSecretFor(receiptKey, dropId, entryId));
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}
