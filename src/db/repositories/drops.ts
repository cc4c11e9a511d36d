import { sql, type Kysely } from 'kysely';
import type { Database, DropPhase, DropRow, NodeRow } from '../schema';
import { enqueueCampaign } from './notifications';

type Q = Kysely<Database>;

export interface NewDrop {
  dropId: string;
  name: string;
  units: number;
  priceCents: number;
  currency: string;
  spec: unknown;
  beacon: string | null;
  nodes: Array<{ nodeId: string; region: string; kind: 'locker' | 'popup'; stock: number }>;
  /** Per-region registration windows (ISO 8601), read by intake with the drop row. */
  regionWindows?: Record<string, { opensAt?: string; closesAt?: string }> | null;
}

/** Inserts the drop and its nodes; returns false when the drop id already exists. */
export async function insertDrop(db: Q, drop: NewDrop): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('drops')
      .values({
        drop_id: drop.dropId,
        name: drop.name,
        phase: 'scheduled',
        units: drop.units,
        price_cents: drop.priceCents,
        currency: drop.currency,
        spec: JSON.stringify(drop.spec),
        beacon: drop.beacon,
        region_windows: drop.regionWindows ? JSON.stringify(drop.regionWindows) : null,
      })
      .onConflict((oc) => oc.column('drop_id').doNothing())
      .returning('drop_id')
      .executeTakeFirst();
    if (!inserted) return false;
    await trx
      .insertInto('nodes')
      .values(
        drop.nodes.map((n) => ({
          drop_id: drop.dropId,
          node_id: n.nodeId,
          region: n.region,
          kind: n.kind,
          stock_total: n.stock,
          stock_remaining: n.stock,
        })),
      )
      .execute();
    return true;
  });
}

export async function findDrop(db: Q, dropId: string): Promise<DropRow | undefined> {
  return db.selectFrom('drops').selectAll().where('drop_id', '=', dropId).executeTakeFirst();
}

export async function listNodes(db: Q, dropId: string): Promise<NodeRow[]> {
  return db.selectFrom('nodes').selectAll().where('drop_id', '=', dropId).orderBy('node_id').execute();
}

/** The phases a drop can be closed from. */
const OPEN_PHASES: DropPhase[] = ['registration', 'paused', 'scheduled'];

/**
 * Opens registration once the seed's commitment is published: a scheduled drop moves to
 * `registration`, and its window (from now, `registrationSeconds` long) is set once; a retry
 * keeps the first window. Returns when registration closes.
 */
export async function openDropRegistration(db: Q, dropId: string, commitment: string, registrationSeconds: number): Promise<Date> {
  const row = await db
    .updateTable('drops')
    .set({
      commitment,
      phase: sql`CASE WHEN phase = 'scheduled' THEN 'registration' ELSE phase END`,
      registration_opens_at: sql`coalesce(registration_opens_at, now())`,
      registration_closes_at: sql`coalesce(registration_closes_at, now() + make_interval(secs => ${registrationSeconds}))`,
      updated_at: sql`now()`,
    })
    .where('drop_id', '=', dropId)
    .returning(['registration_closes_at'])
    .executeTakeFirstOrThrow();
  return new Date(row.registration_closes_at!);
}

/** Ops moved the end of registration. */
export async function setRegistrationClosesAt(db: Q, dropId: string, closesAt: Date): Promise<void> {
  await db
    .updateTable('drops')
    .set({ registration_closes_at: closesAt, updated_at: sql`now()` })
    .where('drop_id', '=', dropId)
    .execute();
}

/**
 * The one writer of the drop's phase at close: registration ends now (if it was to end later)
 * and the drop moves to `allocating`, only from an open phase (a retry, or a drop that moved
 * on, changes nothing). Run it in the freeze lock's transaction to wait out in-flight
 * registrations. Returns whether this call closed the drop.
 */
export async function closeDropRegistration(db: Q, dropId: string): Promise<boolean> {
  const res = await db
    .updateTable('drops')
    .set({ phase: 'allocating', registration_closes_at: sql`least(registration_closes_at, now())`, updated_at: sql`now()` })
    .where('drop_id', '=', dropId)
    .where('phase', 'in', OPEN_PHASES)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Publishes the frozen entrant list's digest (before the seed is revealed). */
export async function setEntrantsDigest(db: Q, dropId: string, entrantsDigest: string): Promise<void> {
  await db.updateTable('drops').set({ entrants_digest: entrantsDigest }).where('drop_id', '=', dropId).execute();
}

/** Any other phase move (closing goes through closeDropRegistration); `from`, when given, guards it. */
export async function setDropPhase(db: Q, dropId: string, phase: Exclude<DropPhase, 'allocating'>, from?: DropPhase[]): Promise<boolean> {
  let q = db
    .updateTable('drops')
    .set({ phase, updated_at: sql`now()` })
    .where('drop_id', '=', dropId);
  if (from) q = q.where('phase', 'in', from);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Creates the seed once (retries of announce keep the first) and returns it. */
export async function ensureSeed(db: Q, dropId: string, candidate: string): Promise<string> {
  await db
    .insertInto('drop_secrets')
    .values({ drop_id: dropId, seed: candidate })
    .onConflict((oc) => oc.column('drop_id').doNothing())
    .execute();
  const row = await db.selectFrom('drop_secrets').select('seed').where('drop_id', '=', dropId).executeTakeFirstOrThrow();
  return row.seed;
}

export async function readSeed(db: Q, dropId: string): Promise<string> {
  const row = await db.selectFrom('drop_secrets').select('seed').where('drop_id', '=', dropId).executeTakeFirstOrThrow();
  return row.seed;
}

/** The phases ops may cancel a drop from (the draw is not running, and orders have not all settled). */
const CANCELLABLE_PHASES: DropPhase[] = ['scheduled', 'announced', 'registration', 'paused', 'settling', 'cancelling'];

/**
 * Marks the drop cancelled: phase `cancelling`, when, why (a reason code) and the phase it was
 * cancelled in, each written once (a retry keeps the first). From then on intake refuses entries
 * (it takes only `registration`) and promotions promote nobody (they lock this row first). Run it
 * in the freeze lock's transaction, so in-flight registrations finish first. Returns the phase the
 * drop was cancelled in, or null when it was not in a cancellable phase.
 */
export async function markDropCancelled(db: Q, dropId: string, reasonCode: string): Promise<string | null> {
  const row = await db
    .updateTable('drops')
    .set({
      phase: 'cancelling',
      cancelled_at: sql`coalesce(cancelled_at, now())`,
      cancel_reason_code: sql`coalesce(cancel_reason_code, ${reasonCode})`,
      cancelled_in_phase: sql`coalesce(cancelled_in_phase, phase)`,
      updated_at: sql`now()`,
    })
    .where('drop_id', '=', dropId)
    .where('phase', 'in', CANCELLABLE_PHASES)
    .returning('cancelled_in_phase')
    .executeTakeFirst();
  // Every entrant is told, in bulk (one row; the dispatcher expands it).
  if (row) await enqueueCampaign(db, 'drop_cancelled_campaign', dropId);
  return row?.cancelled_in_phase ?? null;
}

/**
 * A scheduled drop's announce: the commitment published and its registration window set once
 * (opening at `opensAt`, `registrationSeconds` long); the phase moves from `scheduled` to
 * `announced`. A retry keeps the first window. Returns when registration closes.
 */
export async function announceScheduledDrop(db: Q, dropId: string, commitment: string, opensAt: Date, registrationSeconds: number): Promise<Date> {
  const row = await db
    .updateTable('drops')
    .set({
      commitment,
      phase: sql`CASE WHEN phase = 'scheduled' THEN 'announced' ELSE phase END`,
      registration_opens_at: sql`coalesce(registration_opens_at, ${opensAt})`,
      registration_closes_at: sql`coalesce(registration_closes_at, ${opensAt}::timestamptz + make_interval(secs => ${registrationSeconds}))`,
      updated_at: sql`now()`,
    })
    .where('drop_id', '=', dropId)
    .returning(['registration_closes_at'])
    .executeTakeFirstOrThrow();
  return new Date(row.registration_closes_at!);
}

/** Ops changed the pay or pickup window for orders not yet in that phase (seconds; undefined: unchanged). */
export async function setOrderWindows(db: Q, dropId: string, w: { paymentSeconds?: number; pickupSeconds?: number }): Promise<void> {
  await db
    .updateTable('drops')
    .set({
      ...(w.paymentSeconds !== undefined && { payment_seconds: w.paymentSeconds }),
      ...(w.pickupSeconds !== undefined && { pickup_seconds: w.pickupSeconds }),
      updated_at: sql`now()`,
    })
    .where('drop_id', '=', dropId)
    .execute();
}

/**
 * Adds `units` to a node's stock (total and remaining), once per `restockId`: returns false when
 * this restock was already applied (a retry), or the node does not exist.
 */
export async function restockNode(db: Q, r: { dropId: string; restockId: string; nodeId: string; units: number }): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('drop_restocks')
      .values({ drop_id: r.dropId, restock_id: r.restockId, node_id: r.nodeId, units: r.units })
      .onConflict((oc) => oc.columns(['drop_id', 'restock_id']).doNothing())
      .returning('restock_id')
      .executeTakeFirst();
    if (!inserted) return false;
    const res = await trx
      .updateTable('nodes')
      .set({ stock_total: sql`stock_total + ${r.units}`, stock_remaining: sql`stock_remaining + ${r.units}` })
      .where('drop_id', '=', r.dropId)
      .where('node_id', '=', r.nodeId)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new Error(`no node ${r.nodeId} in drop ${r.dropId}`);
    return true;
  });
}

export async function findNode(db: Q, dropId: string, nodeId: string): Promise<NodeRow | undefined> {
  return db.selectFrom('nodes').selectAll().where('drop_id', '=', dropId).where('node_id', '=', nodeId).executeTakeFirst();
}

/**
 * One page of drops, newest first (created_at, then drop_id, both descending), optionally in
 * one phase; `before` is the previous page's last row as `cursorAt` (created_at as Postgres
 * prints it, microseconds kept: a JavaScript Date would drop them and skip rows) and drop id.
 */
export async function listDrops(
  db: Q,
  q: { phase?: DropPhase; before?: { cursorAt: string; dropId: string }; limit: number },
): Promise<Array<DropRow & { cursor_at: string }>> {
  let query = db
    .selectFrom('drops')
    .selectAll()
    .select(sql<string>`created_at::text`.as('cursor_at'));
  if (q.phase) query = query.where('phase', '=', q.phase);
  if (q.before) {
    const { cursorAt, dropId } = q.before;
    query = query.where(sql<boolean>`(created_at, drop_id) < (${cursorAt}::timestamptz, ${dropId})`);
  }
  return query.orderBy('created_at', 'desc').orderBy('drop_id', 'desc').limit(q.limit).execute();
}
