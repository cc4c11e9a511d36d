import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Claim codes: what the entrant shows at the locker (as text or a QR code). Signed by us, bound
 * to one order, one node and an expiry, so a code cannot be forged, moved to another node or
 * used late. Deterministic for the same inputs, so a retried reservation sends the same code.
 * Single use is enforced by the locker (the compartment opens once) and by the order, whose
 * state only moves forward. Support replacing a code (extend_pickup, reissue_claim_code) bumps
 * the order's claim code version (`orders.claim_code_version`): a new code for a new
 * reservation, while the old one's reservation is released (its door no longer opens) and our
 * API refuses a code older than the order's version.
 *
 *   dc1.<base64url({"o":orderId,"n":nodeId,"e":expiresAtMs[,"v":version]})>.<base64url(HMAC-SHA256)[0..22]>
 *
 * Version 0 (every order's first code) carries no `v`, so codes issued before versions stay valid.
 */
const PREFIX = 'dc1';

export interface ClaimCodeClaims {
  orderId: string;
  nodeId: string;
  expiresAt: number;
  /** The order's claim code version; absent or 0 for its first code. */
  version?: number;
}

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(`${PREFIX}.${payload}`).digest('base64url').slice(0, 22);

export function issueClaimCode(secret: string, claims: ClaimCodeClaims): string {
  const v = claims.version ?? 0;
  const payload = Buffer.from(JSON.stringify({ o: claims.orderId, n: claims.nodeId, e: claims.expiresAt, ...(v > 0 && { v }) })).toString('base64url');
  return `${PREFIX}.${payload}.${mac(secret, payload)}`;
}

export type ClaimCodeCheck = { ok: true; claims: Required<ClaimCodeClaims> } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

export function verifyClaimCode(secret: string, code: string, nowMs: number): ClaimCodeCheck {
  const [prefix, payload, sig, extra] = code.split('.');
  if (prefix !== PREFIX || !payload || !sig || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  let parsed: { o?: unknown; n?: unknown; e?: unknown; v?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof parsed.o !== 'string' || typeof parsed.n !== 'string' || typeof parsed.e !== 'number') return { ok: false, reason: 'malformed' };
  if (parsed.v !== undefined && !(Number.isInteger(parsed.v) && (parsed.v as number) > 0)) return { ok: false, reason: 'malformed' };
  if (nowMs > parsed.e) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { orderId: parsed.o, nodeId: parsed.n, expiresAt: parsed.e, version: (parsed.v as number | undefined) ?? 0 } };
}
