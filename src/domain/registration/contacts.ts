import { domainToASCII } from 'node:url';
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * How an entrant's contacts are read, so that every spelling of one mailbox or one phone number
 * maps to one identity (README, "Registration at scale": the rule and its threat model).
 */

/** ISO 3166-1 alpha-2 code that libphonenumber knows (upper case), e.g. "US". */
export type PhoneCountry = CountryCode;

/** A drop launched without `phoneCountry` reads national numbers as US numbers. */
export const DEFAULT_PHONE_COUNTRY: PhoneCountry = 'US';

export function isPhoneCountry(code: string): code is PhoneCountry {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/**
 * The address after normalisation: the local part as zod's e-mail check has always accepted
 * it (ASCII, no leading, trailing or double dot), an ASCII (punycode) host of two or more labels.
 */
const ADDRESS = /^[a-z0-9_'+\-.]*[a-z0-9_+-]@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * The mailbox address as we store and would write to: trimmed, Unicode NFC, local part
 * lower-cased, host lower-cased and IDNA-converted to punycode (`bücher.de` → `xn--bcher-kva.de`),
 * without a trailing root dot. `null` when it is not an address (at most 254 characters).
 */
export function mailboxAddress(raw: string): string | null {
  let address: string;
  if (PRINTABLE_ASCII.test(raw)) {
    // The hot path: NFC and IDNA leave plain ASCII as it is, but for case.
    address = raw.trim().toLowerCase();
  } else {
    const s = raw.normalize('NFC').trim();
    const at = s.lastIndexOf('@');
    if (at <= 0) return null;
    address = `${s.slice(0, at).toLowerCase()}@${domainToASCII(s.slice(at + 1))}`;
  }
  if (address.endsWith('.')) address = address.slice(0, -1);
  return address.length <= 254 && address.charCodeAt(0) !== 46 /* . */ && !address.includes('..') && ADDRESS.test(address) ? address : null;
}

const GMAIL_HOSTS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The identity of a mailbox address (from `mailboxAddress`): the address without its `+tag`
 * sub-address (`ann+drops@x.org` → `ann@x.org`), and for Gmail without the dots Gmail ignores,
 * under one host (`a.n.n@googlemail.com` → `ann@gmail.com`). Used only to dedupe (hashed); the
 * address itself is kept as given, since not every host delivers `a+b@` to `a@`.
 */
export function mailboxIdentity(address: string): string {
  const at = address.lastIndexOf('@');
  let local = address.slice(0, at);
  let host = address.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (GMAIL_HOSTS.has(host)) {
    local = local.replaceAll('.', '');
    host = 'gmail.com';
  }
  return `${local}@${host}`;
}

function possibleE164(text: string, country: PhoneCountry | undefined): string | null {
  const phone = parsePhoneNumberFromString(text, { defaultCountry: country, extract: false });
  return phone?.isPossible() ? phone.number : null;
}

/**
 * The phone number in E.164 (`+14155550100`), national numbers read in the drop's country;
 * `null` when it cannot be parsed or is not a possible number (the API answers 400).
 * One rule beyond libphonenumber's: when the number is not possible in the drop's country and
 * starts with `00` (the international prefix of most of the world, ITU-T E.164), `00` is read as
 * `+`, so `001 415 555 0100` under US is `+14155550100`, not a second identity.
 */
export function normalisePhone(raw: string, country: PhoneCountry): string | null {
  const e164 = possibleE164(raw, country);
  if (e164 !== null) return e164;
  const digits = raw.replace(/[^0-9+]/g, '');
  return digits.startsWith('00') ? possibleE164(`+${digits.slice(2)}`, undefined) : null;
}
