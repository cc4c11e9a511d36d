/**
 * Limits of an order's pickup window. Pure and workflow-safe (no imports): the order workflow's
 * Update validator checks support's extend_pickup against them.
 */

/** The longest reservation the locker network takes (7 days); a pickup window never outlives it. */
export const LOCKER_RESERVATION_MAX_SECONDS = 7 * 86_400;

/** The shortest pickup window support may set with extend_pickup (1 minute). */
export const PICKUP_EXTENSION_MIN_SECONDS = 60;

/** Why `seconds` cannot be a new pickup window (null: it can). Seconds from now, an integer. */
export function pickupExtensionRefusal(seconds: number | undefined): string | null {
  if (seconds === undefined) return 'extend_pickup needs seconds (the new pickup window, in seconds from now)';
  if (!Number.isInteger(seconds) || seconds < PICKUP_EXTENSION_MIN_SECONDS || seconds > LOCKER_RESERVATION_MAX_SECONDS) {
    return `seconds must be an integer from ${PICKUP_EXTENSION_MIN_SECONDS} to ${LOCKER_RESERVATION_MAX_SECONDS} (the locker's longest reservation)`;
  }
  return null;
}
