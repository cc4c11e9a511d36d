/**
 * Staff: the people who run drops (ops), work the exceptions queue (support) and manage both
 * (admin). Pure and workflow-safe: the order and drop workflows import the reason codes.
 */
export const STAFF_ROLES = ['ops', 'support', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/**
 * Who is acting: the staff member's id (never their name: ids go into workflow history and audit
 * rows, names stay in the `staff` table), their role, and the API request that carried the action.
 */
export interface Actor {
  staffId: string;
  role: StaffRole;
  requestId: string;
}

/**
 * Why a staff member acted, as a stable code: it goes into the workflow Update (so history says
 * why), while the free-text `reason` stays in the audit log only. Money-moving and cancelling
 * actions require both.
 */
export const REASON_CODES = [
  'entrant_request',
  'payment_problem',
  'fulfillment_problem',
  'provider_failure',
  'fraud_suspected',
  'duplicate_order',
  'chargeback',
  'ops_decision',
  'other',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** A staff id: `stf_` and 16 hex digits; the key's first part, so a key is looked up by its id. */
export const STAFF_ID = /^stf_[0-9a-f]{16}$/;
