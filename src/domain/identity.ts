import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Identity dedupe without keeping who people are on the entry row. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function normalisePhone(phone: string | undefined): string | null {
  if (!phone) return null;
  const digits = phone.replace(/[^0-9+]/g, '');
  return digits.length > 0 ? digits : null;
}

/** Keyed hash per drop: the same person in two drops cannot be linked from the hashes. */
export function identityHash(secret: string, dropId: string, email: string): string {
  return createHmac('sha256', secret).update(`${dropId}\n${normaliseEmail(email)}`).digest('hex');
}

/** Entry ids are random, never derived from personal data. */
export function newEntryId(): string {
  return `e${randomBytes(12).toString('hex')}`;
}

export function newReceiptSecret(): string {
  return randomBytes(24).toString('base64url');
}

export function hashReceiptSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function receiptSecretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashReceiptSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
