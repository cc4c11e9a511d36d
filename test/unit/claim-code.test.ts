import { issueClaimCode, verifyClaimCode } from '../../src/domain/claim-code';
import { pickupExtensionRefusal } from '../../src/domain/order/pickup-window';

describe('claim codes', () => {
  const secret = 'claim_unit_test_secret';
  const claims = { orderId: 'ord_e1', nodeId: 'north-locker', expiresAt: 1_900_000_000_000 };

  it('a first code (version 0) keeps the form issued before versions, and reads back as version 0', () => {
    const code = issueClaimCode(secret, claims);
    expect(code).toBe(issueClaimCode(secret, { ...claims, version: 0 }));
    expect(JSON.parse(Buffer.from(code.split('.')[1]!, 'base64url').toString('utf8'))).toEqual({ o: 'ord_e1', n: 'north-locker', e: claims.expiresAt });
    expect(verifyClaimCode(secret, code, 0)).toEqual({ ok: true, claims: { ...claims, version: 0 } });
  });

  it('each version is another code for the same order, node and deadline', () => {
    const codes = [0, 1, 2].map((version) => issueClaimCode(secret, { ...claims, version }));
    expect(new Set(codes).size).toBe(3);
    expect(verifyClaimCode(secret, codes[2]!, 0)).toEqual({ ok: true, claims: { ...claims, version: 2 } });
  });

  it('a version written into a code by anyone but us is refused (its signature no longer matches)', () => {
    const payload = Buffer.from(JSON.stringify({ o: 'ord_e1', n: 'north-locker', e: claims.expiresAt, v: 'x' })).toString('base64url');
    const forged = issueClaimCode(secret, claims).split('.');
    expect(verifyClaimCode(secret, `dc1.${payload}.${forged[2]}`, 0)).toEqual({ ok: false, reason: 'forged' });
  });
});

describe('pickup extensions', () => {
  it('take 60 seconds to the locker reservation limit (7 days), whole seconds', () => {
    expect(pickupExtensionRefusal(60)).toBeNull();
    expect(pickupExtensionRefusal(604_800)).toBeNull();
    expect(pickupExtensionRefusal(undefined)).toContain('needs seconds');
    for (const bad of [59, 604_801, 90.5]) expect(pickupExtensionRefusal(bad)).toContain('from 60 to 604800');
  });
});
