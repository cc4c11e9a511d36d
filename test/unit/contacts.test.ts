import { launchDropSchema } from '../../src/domain/drop/launch';
import { mailboxAddress, mailboxIdentity, normalisePhone } from '../../src/domain/registration/contacts';
import { registerEntrySchema } from '../../src/domain/registration/registration';

/** Case E1: every spelling that reaches one phone or one mailbox is one identity. */
describe('phone numbers', () => {
  it.each(['+1 (415) 555-0100', '14155550100', '415-555-0100', '001 415 555 0100', '+1 415 555 0100', '1.415.555.0100', '011 1 415 555 0100'])(
    'reads %s under US as +14155550100',
    (spelling) => {
      expect(normalisePhone(spelling, 'US')).toBe('+14155550100');
    },
  );

  it("reads national numbers in the drop's country, and international ones whatever it is", () => {
    expect(normalisePhone('020 7946 0000', 'GB')).toBe('+442079460000');
    expect(normalisePhone('0044 20 7946 0000', 'GB')).toBe('+442079460000');
    expect(normalisePhone('0044 20 7946 0000', 'US')).toBe('+442079460000');
    expect(normalisePhone('+44 20 7946 0000', 'US')).toBe('+442079460000');
    // the same national digits are another number in another country
    expect(normalisePhone('415-555-0100', 'CA')).toBe('+14155550100');
    expect(normalisePhone('030 1234567', 'DE')).toBe('+49301234567');
  });

  it.each(['12345', '+999 123 4567', '000 000 000', '00', '+1 415 555 01', '415 555 0100 0100 0100'])('refuses %s (not a possible number)', (spelling) => {
    expect(normalisePhone(spelling, 'US')).toBeNull();
  });
});

describe('e-mail addresses', () => {
  const identityOf = (raw: string) => {
    const address = mailboxAddress(raw);
    return address === null ? null : mailboxIdentity(address);
  };

  it('keeps the address as given but for case, spaces and the host', () => {
    expect(mailboxAddress('  Ann.Kowal+Drops@Example.ORG ')).toBe('ann.kowal+drops@example.org');
    expect(mailboxAddress('ann@example.org.')).toBe('ann@example.org');
    expect(mailboxAddress("O'Brien@example.test")).toBe("o'brien@example.test");
  });

  it('maps every alias of one mailbox to one identity', () => {
    const spellings = ['ann.kowal@example.org', ' ANN.KOWAL@EXAMPLE.ORG', 'ann.kowal+spring@example.org', 'Ann.Kowal+a+b@Example.org.'];
    expect(new Set(spellings.map(identityOf))).toEqual(new Set(['ann.kowal@example.org']));
    // dots matter outside Gmail: another mailbox
    expect(identityOf('annkowal@example.org')).toBe('annkowal@example.org');
  });

  it("drops Gmail's dots and maps googlemail.com to gmail.com", () => {
    const spellings = ['ann.kowal@gmail.com', 'annkowal@gmail.com', 'A.N.N.Kowal+drops@GoogleMail.com', 'ann.kowal@googlemail.com'];
    expect(new Set(spellings.map(identityOf))).toEqual(new Set(['annkowal@gmail.com']));
  });

  it('converts an internationalised host to punycode and NFC-normalises', () => {
    expect(mailboxAddress('ann@bücher.de')).toBe('ann@xn--bcher-kva.de');
    expect(mailboxAddress('ann@XN--BCHER-KVA.de')).toBe('ann@xn--bcher-kva.de');
    // "ü" as u + combining diaeresis (NFD) is the same host
    expect(mailboxAddress('ann@bu\u0308cher.de')).toBe('ann@xn--bcher-kva.de');
    expect(mailboxAddress('ann@пример.рф')).toBe('ann@xn--e1afmkfd.xn--p1ai');
  });

  it.each([
    ['no @', 'not-an-email'],
    ['no local part', '@example.org'],
    ['no host', 'ann@'],
    ['a one-label host', 'ann@localhost'],
    ['a double dot', 'ann..kowal@example.org'],
    ['a leading dot', '.ann@example.org'],
    ['a space in the host', 'ann@exa mple.org'],
    ['a host label starting with -', 'ann@-example.org'],
    ['a NUL byte', 'ann\u0000@example.org'],
    ['a lone surrogate in the host', 'ann@exa\ud800mple.org'],
    ['more than 254 characters', `${'a'.repeat(250)}@example.org`],
  ])('refuses an address with %s', (_what, raw) => {
    expect(mailboxAddress(raw)).toBeNull();
  });
});

describe('the registration and launch schemas', () => {
  it('hands the service the normalised address, and refuses a phone with letters', () => {
    const ok = registerEntrySchema.safeParse({ email: ' Ann@Bücher.de ', phone: '+1 (415) 555-0100', region: 'north' });
    expect(ok.success && ok.data.email).toBe('ann@xn--bcher-kva.de');
    const bad = registerEntrySchema.safeParse({ email: 'ann@example.org', phone: '1-800-FLOWERS', region: 'north' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['phone']);
    const badEmail = registerEntrySchema.safeParse({ email: 'ann@localhost', region: 'north' });
    expect(badEmail.error?.issues.map((i) => i.path.join('.'))).toEqual(['email']);
  });

  const launch = {
    dropId: 'phone-drop',
    name: 'Phones',
    units: 1,
    priceCents: 100,
    nodes: [{ nodeId: 'north-locker', region: 'north', stock: 1 }],
    windows: { registrationSeconds: 60, paymentSeconds: 60, pickupSeconds: 60 },
  };

  it('takes an optional phoneCountry, an upper-case ISO 3166-1 alpha-2 code, and leaves it absent by default', () => {
    expect(launchDropSchema.parse(launch)).not.toHaveProperty('phoneCountry');
    expect(launchDropSchema.parse({ ...launch, phoneCountry: 'GB' }).phoneCountry).toBe('GB');
    for (const phoneCountry of ['gb', 'XX', 'USA', '', 1]) {
      const r = launchDropSchema.safeParse({ ...launch, phoneCountry });
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['phoneCountry']);
    }
  });
});
