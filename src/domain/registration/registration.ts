import { z } from 'zod';
import { region } from '../drop/launch';
import { mailboxAddress } from './contacts';

/** Digits, spaces, `()-.` and a leading `+`; the number itself is read in the drop's country (`normalisePhone`). */
const PHONE_TEXT = /^\+?[0-9 ().-]{6,32}$/;

/** What an entrant sends to register (`POST /v1/drops/:dropId/entries`). */
export const registerEntrySchema = z.strictObject({
  /** Parsed into the mailbox address as stored (`mailboxAddress`: trimmed, NFC, lower case, punycode host). */
  email: z
    .string()
    .max(320)
    .transform((raw, ctx) => {
      const address = mailboxAddress(raw);
      if (address === null) {
        ctx.addIssue({ code: 'custom', message: 'not an e-mail address' });
        return z.NEVER;
      }
      return address;
    }),
  /** As typed; the service reads it as E.164 with the drop's `phoneCountry` (400 with path `phone` when it cannot). */
  phone: z.string().trim().regex(PHONE_TEXT, 'a phone number: digits, spaces, ( ) - . and a leading +').optional(),
  region,
  /** IANA time zone the entrant's messages give deadlines in, any case, stored as the canonical name (`asia/tokyo` → `Asia/Tokyo`); UTC when absent. */
  timeZone: z
    .string()
    .max(64)
    .describe(
      "IANA time zone the entrant's e-mails and pages give deadlines in, e.g. `Europe/Berlin` (any case; stored as the canonical name, `asia/tokyo` → `Asia/Tokyo`). Default UTC.",
    )
    .transform((raw, ctx) => {
      const zone = canonicalTimeZone(raw);
      if (zone === null) {
        ctx.addIssue({ code: 'custom', message: 'an IANA time zone such as Europe/Berlin' });
        return z.NEVER;
      }
      return zone;
    })
    .optional(),
  /** An ops-issued community pass: enters its tier (more tickets). */
  passToken: z.string().min(1).max(200).optional(),
});
/**
 * The zone's canonical name as the runtime's ICU spells it (the zone the templates format deadlines
 * in), or null when it does not know it. Plain zone-name characters only, before and after: ICU
 * would accept more than the names it gives back.
 */
function canonicalTimeZone(raw: string): string | null {
  const plain = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;
  if (!plain.test(raw)) return null;
  try {
    const zone = new Intl.DateTimeFormat('en', { timeZone: raw }).resolvedOptions().timeZone;
    return plain.test(zone) && zone.length <= 64 ? zone : null;
  } catch {
    return null;
  }
}
export type RegisterEntry = z.infer<typeof registerEntrySchema>;
