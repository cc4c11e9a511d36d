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
  /** IANA time zone (`Europe/Berlin`) the entrant's messages give deadlines in; UTC when absent. */
  timeZone: z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Berlin').optional(),
  /** An ops-issued community pass: enters its tier (more tickets). */
  passToken: z.string().min(1).max(200).optional(),
});
/** Whether the runtime's ICU knows the zone (the zone the templates format deadlines in). */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone);
  } catch {
    return false;
  }
}
export type RegisterEntry = z.infer<typeof registerEntrySchema>;
