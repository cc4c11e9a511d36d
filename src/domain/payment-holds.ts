/**
 * How long a card hold (an authorised, not yet captured payment) lasts, and what that means for
 * `authorize_at_entry` drops. Online card authorisations expire after 7 days (Stripe cancels an
 * uncaptured PaymentIntent then); a hold placed when registration opens is captured only after
 * the close and the draw, so registration plus the draw must fit inside that validity.
 */
export const HOLD_VALIDITY_SECONDS = 7 * 24 * 3600;
/** Time allowed from the close to the winners' captures: the draw, the order starts, promotions. */
export const CAPTURE_ALLOWANCE_SECONDS = 3600;

/**
 * Null when a registration of `registrationSeconds` leaves holds valid until capture; else why
 * not (the limit named, in seconds).
 */
export function holdOutlivesValidity(registrationSeconds: number): string | null {
  const needed = registrationSeconds + CAPTURE_ALLOWANCE_SECONDS;
  if (needed <= HOLD_VALIDITY_SECONDS) return null;
  return (
    `authorize_at_entry: a card hold lasts ${HOLD_VALIDITY_SECONDS} s (7 days); registration (${registrationSeconds} s) ` +
    `plus ${CAPTURE_ALLOWANCE_SECONDS} s for the draw must fit in it, so registration may last at most ` +
    `${HOLD_VALIDITY_SECONDS - CAPTURE_ALLOWANCE_SECONDS} s`
  );
}
