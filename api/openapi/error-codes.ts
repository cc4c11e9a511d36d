/**
 * Every stable error code the API answers, with its HTTP status (the services' DomainError kind
 * mapped by api/errors.ts, or the HTTP layer's own ApiError). Operations list the codes they can
 * answer; the document groups them by status. `test/api/openapi.test.ts` checks each code thrown
 * in api/ and src/services/ is here with the status its kind maps to.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, about: 'the body, a path parameter or the query does not match the schema, or holds text Postgres cannot store' },
  invalid_json: { status: 400, about: 'the body is not valid JSON' },
  invalid_signature: { status: 400, about: "the webhook's signature does not match, or its timestamp is stale or in the future" },
  invalid_event: { status: 400, about: 'a webhook event needs id, type and data' },
  invalid_cursor: { status: 400, about: 'the paging cursor is not one this list gave out' },
  secret_in_query: { status: 400, about: 'a secret was sent in the query string; send it in its header' },
  unauthorized: { status: 401, about: 'no bearer API key, a malformed header, an unknown or revoked key (with WWW-Authenticate: Bearer)' },
  forbidden: { status: 403, about: "the key's role may not use this route" },
  invalid_pass: { status: 403, about: 'the pass token is not valid for this drop' },
  pass_required: { status: 403, about: 'the drop is open to pass holders only' },
  not_found: { status: 404, about: 'no such route' },
  staff_not_found: { status: 404, about: 'no such staff member' },
  node_not_found: { status: 404, about: 'the drop has no such node' },
  exception_not_found: { status: 404, about: 'no such exception' },
  drop_not_found: { status: 404, about: 'no such drop' },
  entry_not_found: { status: 404, about: 'no entry with that id and receipt secret' },
  order_not_found: { status: 404, about: 'no such order' },
  report_not_ready: { status: 404, about: 'the post-mortem is not written yet' },
  drop_exists: { status: 409, about: 'a drop with that id exists with a different launch request' },
  region_closed: { status: 409, about: "registration is not open in the entrant's region now (its own window)" },
  exception_resolved: { status: 409, about: 'the exception is resolved already' },
  exception_claimed: { status: 409, about: 'someone else has claimed the exception (details.assignedTo); force takes it over' },
  resolve_with_order_action: {
    status: 409,
    about: "the exception closes through its order's resolve action (details.resolveWith) while the order is not final",
  },
  registration_closed: { status: 409, about: 'the drop is not taking registrations (or holds) now' },
  wrong_phase: { status: 409, about: "the drop's workflow refuses the action in its phase, or has finished" },
  draw_not_ready: { status: 409, about: 'the draw has not run yet' },
  invalid_action: { status: 409, about: "the action is not allowed in the order's state (details.allowed)" },
  order_final: { status: 409, about: 'the order is settled; its workflow has finished' },
  pass_already_used: { status: 409, about: 'the pass has already been used to enter' },
  phone_already_used: { status: 409, about: 'the phone number is on an entry under another e-mail address' },
  wrong_payment_mode: { status: 409, about: 'the drop takes payment after the draw, not at entry' },
  event_not_ready: { status: 409, about: 'a provider event overtook our own write; the provider delivers it again (Retry-After)' },
  payload_too_large: { status: 413, about: 'the body is too large' },
  unsupported_media_type: { status: 415, about: 'a charset other than UTF-8, or a content-encoding' },
  staff_not_assignable: { status: 422, about: 'the staff member does not exist or was revoked' },
  idempotency_key_reused: { status: 422, about: 'this Idempotency-Key was used with a different request' },
  not_a_pass_tier: { status: 422, about: 'the tier is not a pass tier of this drop' },
  payment_rejected: { status: 422, about: 'the payment provider refused' },
  hold_outlives_validity: { status: 422, about: 'a card hold would expire before its capture' },
  nothing_to_authorize: { status: 422, about: 'a free drop places no card hold' },
  database_unavailable: { status: 503, about: 'Postgres is not answering; retry (Retry-After)' },
  temporal_unavailable: { status: 503, about: 'Temporal is not answering; retry (Retry-After)' },
  payment_provider_unavailable: { status: 503, about: 'the payment provider did not answer; retry (Retry-After)' },
  overloaded: { status: 503, about: 'registration is busy; retry (Retry-After)' },
} as const satisfies Record<string, { status: number; about: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes answered with a `Retry-After` header (seconds). */
export const RETRY_AFTER_CODES: ReadonlySet<ErrorCode> = new Set([
  'event_not_ready',
  'database_unavailable',
  'temporal_unavailable',
  'payment_provider_unavailable',
  'overloaded',
]);
