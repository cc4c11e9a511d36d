import type { OpsWebhook } from '../config';
import { signWebhook } from './webhook-signature';

/**
 * One POST to the ops webhook, signed as providers sign theirs to us (and as
 * src/integrations/webhook-signature.ts `verifyWebhook` checks): `x-drops-signature:
 * t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, over the exact bytes sent.
 * `x-drops-event-id` is stable across re-sends, so the receiver can drop a copy. Any answer
 * but a 2xx (or none) throws: the caller's retry policy sends it again, freshly signed.
 */
export async function postOpsWebhook(hook: OpsWebhook, eventId: string, payload: unknown, timeoutMs = 10_000): Promise<void> {
  const body = JSON.stringify(payload);
  const res = await fetch(hook.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-drops-signature': signWebhook(hook.secret, body, Math.floor(Date.now() / 1000)),
      'x-drops-event-id': eventId,
    },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  // The URL may carry a token: name the path only.
  if (!res.ok) throw new Error(`ops webhook ${new URL(hook.url).pathname} answered ${res.status}`);
}
