import { signWebhook, verifyWebhook } from '../../src/integrations/webhook-signature';

const SECRET = 'whsec_test_secret_value';
const BODY = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', data: { object: { id: 'pi_1' } } });
const NOW = 1_800_000_000;

describe('webhook signatures', () => {
  it('accepts a fresh, correctly signed body', () => {
    expect(verifyWebhook(signWebhook(SECRET, BODY, NOW), BODY, SECRET, NOW + 5)).toEqual({ ok: true });
  });

  it('rejects a stale or future-dated signature', () => {
    expect(verifyWebhook(signWebhook(SECRET, BODY, NOW - 301), BODY, SECRET, NOW)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhook(signWebhook(SECRET, BODY, NOW + 301), BODY, SECRET, NOW)).toEqual({ ok: false, reason: 'future' });
  });

  it('rejects a forged signature and a re-serialised body', () => {
    expect(verifyWebhook(signWebhook('another-secret-value', BODY, NOW), BODY, SECRET, NOW)).toEqual({ ok: false, reason: 'mismatch' });
    const reserialised = JSON.stringify(JSON.parse(BODY), null, 1);
    expect(verifyWebhook(signWebhook(SECRET, BODY, NOW), reserialised, SECRET, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('signs and checks the exact bytes, also bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('{"id":"evt_2","note":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    expect(verifyWebhook(signWebhook(SECRET, bytes, NOW), bytes, SECRET, NOW)).toEqual({ ok: true });
    // The same text with the bad bytes decoded to U+FFFD is another body.
    expect(verifyWebhook(signWebhook(SECRET, bytes, NOW), bytes.toString('utf8'), SECRET, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a missing or malformed header', () => {
    expect(verifyWebhook(undefined, BODY, SECRET, NOW)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyWebhook('garbage', BODY, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });
});
