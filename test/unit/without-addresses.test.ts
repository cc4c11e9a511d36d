import { withoutAddresses } from '../../src/domain/notification/without-addresses';

describe('withoutAddresses (failure texts that are stored, logged and shown to support)', () => {
  it('replaces each quoted address and keeps the rest of the reason', () => {
    expect(withoutAddresses('550 5.1.1 <ann.lee+drops@example.org>: Recipient address rejected; cc bob@mail.example.com')).toBe(
      '550 5.1.1 <<address>>: Recipient address rejected; cc <address>',
    );
  });
  it('leaves a text without an address as it is', () => {
    expect(withoutAddresses('connect ECONNREFUSED 127.0.0.1:1025')).toBe('connect ECONNREFUSED 127.0.0.1:1025');
  });
});
