import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stripe-style webhook signatures: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * Every provider callback (payments, carriers, lockers) is signed and checked this way.
 */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signWebhook(secret: string, rawBody: Buffer | string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`, 'utf8').update(rawBody).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'future' | 'mismatch' };

export function verifyWebhook(
  header: string | undefined,
  rawBody: Buffer | string,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const [k, v] = item.split('=', 2);
    if (!k || v === undefined) return { ok: false, reason: 'malformed' };
    parts.set(k.trim(), [...(parts.get(k.trim()) ?? []), v.trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  const candidates = parts.get('v1') ?? [];
  if (!Number.isInteger(t) || candidates.length === 0) return { ok: false, reason: 'malformed' };
  // A replay of an old delivery, or a timestamp from the future: both refused.
  if (nowSeconds - t > toleranceSeconds) return { ok: false, reason: 'stale' };
  if (t - nowSeconds > toleranceSeconds) return { ok: false, reason: 'future' };
  // Over the exact bytes: decoding first would turn bytes that are not UTF-8 into U+FFFD and
  // refuse a body the provider signed correctly.
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.`, 'utf8').update(rawBody).digest('hex'), 'utf8');
  const matches = candidates.some((c) => {
    const given = Buffer.from(c, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { ok: true } : { ok: false, reason: 'mismatch' };
}
