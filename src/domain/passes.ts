import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Community pass tokens: `<passId>.<tier>.<signature>`, signed by the server per drop, so intake
 * verifies them without a lookup. Single use is enforced by a unique index on the entry's pass id.
 */
export interface Pass {
  passId: string;
  tier: string;
}

function signature(passKey: Buffer, dropId: string, passId: string, tier: string): Buffer {
  return createHmac('sha256', passKey).update(`${dropId}\n${passId}\n${tier}`).digest().subarray(0, 16);
}

export function issuePass(passKey: Buffer, dropId: string, tier: string): string {
  const passId = `p${randomBytes(10).toString('hex')}`;
  return `${passId}.${tier}.${signature(passKey, dropId, passId, tier).toString('base64url')}`;
}

/** The pass a token stands for, or null when it is malformed, forged or for another drop. */
export function verifyPass(passKey: Buffer, dropId: string, token: string): Pass | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [passId, tier, sig] = parts as [string, string, string];
  if (!/^p[0-9a-f]{20}$/.test(passId) || !/^[a-z0-9][a-z0-9-]{2,63}$/.test(tier)) return null;
  const given = Buffer.from(sig, 'base64url');
  const expected = signature(passKey, dropId, passId, tier);
  return given.length === expected.length && timingSafeEqual(given, expected) ? { passId, tier } : null;
}
