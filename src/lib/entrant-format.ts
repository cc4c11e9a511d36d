/**
 * Times and amounts as an entrant reads them: one formatter for the entrant pages and the e-mails,
 * so a deadline or a price reads the same in both (issue 15: "the deadline in the entrant's time zone").
 */

/** The zone to show times in: the entrant's IANA zone when the runtime knows it, else UTC. */
export function zoneOrUtc(timeZone: string | null): string {
  if (!timeZone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return timeZone;
  } catch {
    return 'UTC';
  }
}

/**
 * "Mon, 1 Jul 2030, 14:00" in `timeZone`, followed by the zone's short name ("CEST") when
 * `zoneName` is true. (Intl refuses `timeZoneName` beside `dateStyle`, hence the fields one by one.)
 */
export function formatInZone(at: Date | string, timeZone: string, zoneName: boolean): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(zoneName && { timeZoneName: 'short' as const }),
  }).format(new Date(at));
}

/** Cents in the currency's own format, e.g. "$15.00" (currency: ISO 4217, lower case as stored). */
export function money(cents: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}
