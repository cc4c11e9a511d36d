import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { STAFF_ID } from '../../domain/staff/staff';

/**
 * API keys: `<staffId>.<secret>`, the secret 32 random bytes (base64url). Only the secret's
 * sha256 is stored; the key is shown once, when it is made. The id lets a key be found by
 * index without comparing secrets in SQL; the secret is then compared in constant time.
 */
const KEY = /^(stf_[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export const hashKeySecret = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/** A new staff id and key (the key's hash is what gets stored). */
export function newStaffKey(): { staffId: string; key: string; keyHash: Buffer } {
  const staffId = `stf_${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  return { staffId, key: `${staffId}.${secret}`, keyHash: hashKeySecret(secret) };
}

/** The id and the secret's hash of a key in our format; undefined for anything else. */
export function parseStaffKey(key: string): { staffId: string; secretHash: Buffer } | undefined {
  const m = KEY.exec(key);
  if (!m || !STAFF_ID.test(m[1]!)) return undefined;
  return { staffId: m[1]!, secretHash: hashKeySecret(m[2]!) };
}

/** Constant-time comparison of two sha256 digests. */
export const sameKeyHash = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);
