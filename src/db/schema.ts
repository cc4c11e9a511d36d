import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { DropPhase } from '../domain/drop/phases';
import type { OrderState } from '../domain/order/order-states';
import type { StaffRole } from '../domain/staff/staff';

/** Kysely table types. The migrations in ./migrations are the source of truth for the SQL. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** The drop's phases: defined once, in the domain. */
export type { DropPhase };

export interface DropsTable {
  drop_id: string;
  name: string;
  phase: DropPhase;
  units: number;
  price_cents: number;
  currency: string;
  /** The launch request as accepted (nodes, windows, tiers, policies); no secrets. */
  spec: Json<unknown>;
  commitment: string | null;
  /** Revealed only at allocation; kept in drop_secrets until then. */
  seed: string | null;
  entrants_digest: string | null;
  beacon: string | null;
  registration_opens_at: Timestamp | null;
  registration_closes_at: Timestamp | null;
  /** The next ranking position a waitlist promotion looks at. */
  waitlist_cursor: Generated<number>;
  /** Set once ops cancel the drop: from then on nobody is promoted and no entry is taken. */
  cancelled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  cancel_reason_code: ColumnType<string | null, string | null | undefined, string | null>;
  /** The phase the drop was in when cancelled (before the draw, or settling). */
  cancelled_in_phase: ColumnType<string | null, string | null | undefined, string | null>;
  /** `{ [region]: { opensAt?, closesAt? } }` (ISO 8601); null: every region follows the drop's window. */
  region_windows: ColumnType<Record<string, { opensAt?: string; closesAt?: string }> | null, string | null | undefined, string | null>;
  /** The pay and pickup windows as ops last changed them (seconds); null: the launch's. */
  payment_seconds: ColumnType<number | null, number | null | undefined, number | null>;
  pickup_seconds: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface DropSecretsTable {
  drop_id: string;
  seed: string;
}

export interface NodesTable {
  drop_id: string;
  node_id: string;
  region: string;
  kind: 'locker' | 'popup';
  stock_total: number;
  stock_remaining: number;
}

export interface EntriesTable {
  drop_id: string;
  entry_id: string;
  /** HMAC of the normalised identity: dedupes people without storing who they are here. */
  identity_hash: Buffer;
  /** HMAC of the normalised phone number, when one was given: a second identity. */
  phone_hash: Buffer | null;
  tier: string;
  weight: number;
  region: string;
  /** The community pass redeemed by this entry (single use per drop). */
  pass_id: string | null;
  /** sha256 of the Idempotency-Key that created the entry, and of that request's content. */
  idempotency_key_hash: Buffer | null;
  request_hash: Buffer | null;
  created_at: Generated<Date>;
}

export interface DrawsTable {
  drop_id: string;
  entrants: number;
  entrants_digest: string;
  draw_seed: string;
  chunk_size: number;
  chunks: number;
  winners: number;
  rules: Json<unknown>;
  rounds: Json<unknown>;
  completed_at: Timestamp | null;
}

/** The draw's winners: position in the ranking and the round won in. */
export interface DrawWinnersTable {
  drop_id: string;
  position: number;
  entry_id: string;
  round: string;
}

/** The full ranking in draw order, `chunk_size` entry ids per row, newline-separated. */
export interface DrawRankingChunksTable {
  drop_id: string;
  chunk: number;
  entry_ids: string;
}

/** Personal data, apart from the entry row; never read by the draw or the reports. */
export interface EntrantContactsTable {
  drop_id: string;
  entry_id: string;
  email: string;
  phone: string | null;
  /** IANA time zone the entrant registered with, for the deadlines in their messages; null: UTC. */
  time_zone: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The order's states: defined once, in the domain. */
export type { OrderState };

export interface OrdersTable {
  order_id: string;
  drop_id: string;
  entry_id: string;
  state: OrderState;
  /** Monotonic step number: a late, earlier write never overwrites a later state. */
  state_seq: number;
  amount_cents: number;
  currency: string;
  region: string;
  payment_intent_id: string | null;
  pay_link: string | null;
  node_id: string | null;
  fulfillment: 'pickup' | 'ship' | null;
  /** True while this order holds one unit of its node's stock. */
  stock_held: Generated<boolean>;
  compartment_reservation_id: string | null;
  label_id: string | null;
  carrier: string | null;
  tracking_number: string | null;
  claim_code: string | null;
  /** 0 for the first claim code; each code support replaced adds one (the code is derived on read). */
  claim_code_version: Generated<number>;
  pay_deadline: Timestamp | null;
  pickup_deadline: Timestamp | null;
  final_reason: string | null;
  promoted_from_order_id: string | null;
  /** The carrier's latest tracking step; only moves forward. */
  tracking_status: 'label_created' | 'in_transit' | 'delivered' | null;
  credit_cents: number | null;
  /** Refunded so far (support's partial refunds, then the full refund), in cents. */
  refunded_cents: Generated<number>;
  offer_code: string | null;
  label_carriers_tried: Generated<string[]>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface EntryAuthorizationsTable {
  drop_id: string;
  entry_id: string;
  payment_intent_id: string;
  amount_cents: number;
  /** pending → authorized → captured | voided (only forward). */
  status: Generated<'pending' | 'authorized' | 'captured' | 'voided'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PromotionsTable {
  drop_id: string;
  replaces_order_id: string;
  entry_id: string | null;
  ranking_position: number | null;
  created_at: Generated<Date>;
}

export interface LedgerPostingsTable {
  posting_id: Generated<number>;
  /** Business-scoped key: the same money movement is never posted twice. */
  idempotency_key: string;
  drop_id: string;
  order_id: string | null;
  /** `payment_charged_back`: a dispute lost; the bank returned the money to the cardholder. */
  kind: 'payment_captured' | 'payment_refunded' | 'payment_charged_back' | 'store_credit_issued';
  created_at: Generated<Date>;
}

export interface LedgerLinesTable {
  line_id: Generated<number>;
  posting_id: number;
  account: string;
  /** Signed; the lines of one posting sum to zero. */
  amount_cents: number;
}

export interface ExceptionsTable {
  exception_id: Generated<number>;
  drop_id: string;
  order_id: string | null;
  kind: string;
  detail: string;
  status: Generated<'open' | 'resolved'>;
  sla_deadline: Timestamp;
  resolution: string | null;
  created_at: Generated<Date>;
  resolved_at: Timestamp | null;
  dedupe_key: string | null;
  /** The staff member working it (claim or assign). */
  assigned_to: string | null;
  claimed_at: Timestamp | null;
  /** Set once, when the SLA passed with the exception still open. */
  escalated_at: Timestamp | null;
  /** The ops webhook about the escalation was answered 2xx (the outbox mark). */
  escalation_notified_at: Timestamp | null;
  /** The staff member who resolved it through the queue (null: the workflow or a provider event did). */
  resolved_by: string | null;
  resolution_reason_code: string | null;
}

export interface EventsTable {
  event_id: Generated<number>;
  drop_id: string;
  order_id: string | null;
  kind: string;
  data: Json<Record<string, unknown>>;
  at: Generated<Date>;
}

export interface WebhookEventsTable {
  provider: string;
  event_id: string;
  received_at: Generated<Date>;
}

export interface ReportsTable {
  drop_id: string;
  report: Json<unknown>;
  markdown: string;
  html: string;
  created_at: Generated<Date>;
}

/** One ops restock of a node: written once per request, so a retry adds no stock twice. */
export interface DropRestocksTable {
  drop_id: string;
  restock_id: string;
  node_id: string;
  units: number;
  at: Generated<Date>;
}

export interface StaffTable {
  staff_id: string;
  name: string;
  role: StaffRole;
  /** sha256 of the key's secret part; the key itself is shown once and never stored. */
  key_hash: Buffer;
  created_at: Generated<Date>;
  revoked_at: Timestamp | null;
}

export type AuditOutcome = 'pending' | 'ok' | 'refused' | 'failed';

export interface AuditLogTable {
  audit_id: Generated<string>;
  at: Generated<Date>;
  actor_staff_id: string;
  actor_role: StaffRole;
  action: string;
  drop_id: string | null;
  order_id: string | null;
  exception_id: string | null;
  reason_code: string | null;
  /** Free text: kept here only, never in workflow history. */
  reason: string | null;
  request_id: string;
  /** `pending` is written before the action; the action's end sets the rest. */
  outcome: Generated<AuditOutcome>;
  outcome_detail: string | null;
  finished_at: Timestamp | null;
}

export type NotificationLane = 'transactional' | 'bulk';
export type NotificationStatus = 'pending' | 'delivered' | 'bounced' | 'failed' | 'skipped' | 'expanded';

/** The notification outbox (migration 0010; kinds in src/domain/notification/kinds.ts). No contact details. */
export interface NotificationsTable {
  notification_id: Generated<string>;
  /** Stable across retries: `<kind>:<dropId>:<entryId>[:<n>]`; the e-mail's Message-ID derives from it. */
  message_key: string;
  drop_id: string;
  /** null on a campaign row (a whole drop's bulk message, expanded by the dispatcher). */
  entry_id: string | null;
  order_id: string | null;
  kind: string;
  lane: NotificationLane;
  /** Lower goes first within a lane. */
  priority: number;
  channel: Generated<'email'>;
  /** What the template needs beyond the rows it reads at send time (no secrets, no contact details). */
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: Generated<NotificationStatus>;
  attempts: Generated<number>;
  /** When it is due; also the lease of a claimed row. */
  next_attempt_at: Timestamp;
  last_error: string | null;
  created_at: Generated<Date>;
  finished_at: Timestamp | null;
}

export interface Database {
  drops: DropsTable;
  drop_secrets: DropSecretsTable;
  nodes: NodesTable;
  entries: EntriesTable;
  entrant_contacts: EntrantContactsTable;
  draws: DrawsTable;
  draw_ranking_chunks: DrawRankingChunksTable;
  draw_winners: DrawWinnersTable;
  orders: OrdersTable;
  promotions: PromotionsTable;
  entry_authorizations: EntryAuthorizationsTable;
  ledger_postings: LedgerPostingsTable;
  ledger_lines: LedgerLinesTable;
  exceptions: ExceptionsTable;
  events: EventsTable;
  webhook_events: WebhookEventsTable;
  reports: ReportsTable;
  staff: StaffTable;
  audit_log: AuditLogTable;
  drop_restocks: DropRestocksTable;
  notifications: NotificationsTable;
}

export type DropRow = Selectable<DropsTable>;
export type EntryRow = Selectable<EntriesTable>;
export type OrderRow = Selectable<OrdersTable>;
export type NodeRow = Selectable<NodesTable>;
export type NewOrder = Insertable<OrdersTable>;
export type NotificationRow = Selectable<NotificationsTable>;
