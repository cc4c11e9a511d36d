/** How the entrant pages write times and amounts: in the entrant's own time zone, in plain English. */
import { formatInZone } from '../../lib/entrant-format';

/** A deadline for `<time datetime="iso">text</time>`: ISO 8601 (UTC) and a readable local time with its zone. */
export interface PageTime {
  iso: string;
  text: string;
}

export function pageTime(at: Date | string | null, timeZone: string): PageTime | null {
  if (at === null) return null;
  const d = new Date(at);
  // e.g. "Mon, 3 Jun 2024, 14:05 CEST": the zone's short name, so nobody reads it as their own time.
  const text = formatInZone(d, timeZone, true);
  return { iso: d.toISOString(), text };
}

/** What is left until `deadline`, e.g. "1 h 04 min" or "59 s"; "expired" once past (the page script keeps it live). */
export function timeLeft(deadlineMs: number, nowMs: number): string {
  const s = Math.floor((deadlineMs - nowMs) / 1000);
  if (s <= 0) return 'expired';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min left`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s left`;
  return `${sec} s left`;
}
