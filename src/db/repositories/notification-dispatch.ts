import { sql, type Kysely } from 'kysely';
import { NOTIFICATION_KINDS, type NotificationKind } from '../../domain/notification/kinds';
import type { Database, NotificationLane, NotificationRow, OrderRow } from '../schema';

type Q = Kysely<Database>;

/**
 * The dispatcher's SQL (src/services/notification/dispatcher.ts). Several dispatchers may run
 * at once: a row is claimed with FOR UPDATE SKIP LOCKED and its `next_attempt_at` pushed ahead
 * by the lease, so no other dispatcher takes it while it is being sent, and a dispatcher that
 * dies mid-send leaves it to be sent again once the lease passes.
 */

/**
 * Claims up to `limit` due message rows of one lane (campaign rows excluded), lowest priority
 * number first, then the longest due; each claim counts as an attempt.
 */
export async function claimDueMessages(db: Q, lane: NotificationLane, limit: number, leaseSeconds: number): Promise<NotificationRow[]> {
  if (limit <= 0) return [];
  const res = await sql<NotificationRow>`
    WITH due AS (
      SELECT notification_id FROM notifications
      WHERE status = 'pending' AND lane = ${lane} AND next_attempt_at <= now() AND entry_id IS NOT NULL
      ORDER BY priority, next_attempt_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    UPDATE notifications n
    SET next_attempt_at = now() + make_interval(secs => ${leaseSeconds}), attempts = n.attempts + 1
    FROM due WHERE n.notification_id = due.notification_id
    RETURNING n.*`.execute(db);
  return res.rows.sort((a, b) => a.priority - b.priority);
}

export type Finish = 'delivered' | 'bounced' | 'failed' | 'skipped';

/** The row's final outcome (`error`: a bounce's or failure's reason, a skip's why; no contact details). */
export async function finishMessage(db: Q, id: string, status: Finish, error: string | null = null): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ status, last_error: error, finished_at: sql`now()` })
    .where('notification_id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

/** Tries the row again at `at` (a failed attempt's backoff, or a reminder whose deadline moved). */
export async function retryMessageAt(db: Q, id: string, at: Date, error: string | null): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ next_attempt_at: at, last_error: error })
    .where('notification_id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

/** A reminder rescheduled to its moved deadline: the claim was not an attempt. */
export async function rescheduleMessage(db: Q, id: string, at: Date): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ next_attempt_at: at, attempts: sql`greatest(attempts - 1, 0)` })
    .where('notification_id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

export async function messageExists(db: Q, messageKey: string): Promise<boolean> {
  const row = await db.selectFrom('notifications').select('notification_id').where('message_key', '=', messageKey).executeTakeFirst();
  return row !== undefined;
}

// ---- campaigns -------------------------------------------------------------------------

export interface CampaignStep {
  kind: 'waitlist_campaign' | 'drop_cancelled_campaign';
  dropId: string;
  /** Message rows written by this step. */
  written: number;
  done: boolean;
}

/**
 * Expands one batch of one due campaign row into per-entrant rows, in one transaction with the
 * campaign's cursor (kept in its `data`): a restart resumes where the last batch ended, and
 * two dispatchers never expand the same campaign at once (SKIP LOCKED). null: none due.
 *
 * - `waitlist_campaign`: one ranking chunk at a time, every drawn entrant who did not win, in
 *   draw order, as `waitlisted` with `waitlistPosition` (1 = next in line);
 * - `drop_cancelled_campaign`: `batch` entries at a time, in entry id order, as `drop_cancelled`.
 */
export async function expandCampaignBatch(db: Q, batch: number): Promise<CampaignStep | null> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('notifications')
      .select(['notification_id', 'drop_id', 'kind', 'data'])
      .where('status', '=', 'pending')
      .where('entry_id', 'is', null)
      .where('kind', 'in', ['waitlist_campaign', 'drop_cancelled_campaign'])
      .where('next_attempt_at', '<=', sql<Date>`now()`)
      .orderBy('next_attempt_at')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!row) return null;
    const kind = row.kind as CampaignStep['kind'];
    const step = kind === 'waitlist_campaign' ? await expandWaitlist(trx, row.drop_id, row.data) : await expandCancellation(trx, row.drop_id, row.data, batch);
    await trx
      .updateTable('notifications')
      .set(
        step.done
          ? { status: 'expanded', finished_at: sql`now()`, data: JSON.stringify(step.cursor) }
          : { data: JSON.stringify(step.cursor), attempts: sql`attempts + 1` },
      )
      .where('notification_id', '=', row.notification_id)
      .execute();
    return { kind, dropId: row.drop_id, written: step.written, done: step.done };
  });
}

const laneOf = (kind: NotificationKind) => NOTIFICATION_KINDS[kind];

async function expandWaitlist(trx: Q, dropId: string, data: Record<string, unknown>) {
  const cursor = { chunk: Number(data.chunk ?? 0), waitlisted: Number(data.waitlisted ?? 0) };
  const { lane, priority } = laneOf('waitlisted');
  const res = await sql<{ n: string; found: boolean }>`
    WITH c AS (SELECT entry_ids FROM draw_ranking_chunks WHERE drop_id = ${dropId} AND chunk = ${cursor.chunk}),
    w AS (
      SELECT x.entry_id, ${cursor.waitlisted}::int + row_number() OVER (ORDER BY x.i) AS waitlist_position
      FROM c, unnest(string_to_array(c.entry_ids, E'\\n')) WITH ORDINALITY AS x(entry_id, i)
      WHERE x.entry_id <> '' AND NOT EXISTS (SELECT 1 FROM draw_winners dw WHERE dw.drop_id = ${dropId} AND dw.entry_id = x.entry_id)),
    ins AS (
      INSERT INTO notifications (message_key, drop_id, entry_id, kind, lane, priority, data)
      SELECT 'waitlisted:' || ${dropId} || ':' || w.entry_id, ${dropId}, w.entry_id, 'waitlisted', ${lane}, ${priority},
             jsonb_build_object('waitlistPosition', w.waitlist_position)
      FROM w
      ON CONFLICT (message_key) DO NOTHING)
    SELECT (SELECT count(*) FROM w) AS n, EXISTS (SELECT 1 FROM c) AS found`.execute(trx);
  const { n, found } = res.rows[0]!;
  const written = Number(n);
  return { written, done: !found, cursor: { chunk: found ? cursor.chunk + 1 : cursor.chunk, waitlisted: cursor.waitlisted + written } };
}

async function expandCancellation(trx: Q, dropId: string, data: Record<string, unknown>, batch: number) {
  const after = typeof data.afterEntryId === 'string' ? data.afterEntryId : '';
  const { lane, priority } = laneOf('drop_cancelled');
  const res = await sql<{ n: string; last: string | null }>`
    WITH e AS (SELECT entry_id FROM entries WHERE drop_id = ${dropId} AND entry_id > ${after} ORDER BY entry_id LIMIT ${batch}),
    ins AS (
      INSERT INTO notifications (message_key, drop_id, entry_id, kind, lane, priority)
      SELECT 'drop_cancelled:' || ${dropId} || ':' || e.entry_id, ${dropId}, e.entry_id, 'drop_cancelled', ${lane}, ${priority} FROM e
      ON CONFLICT (message_key) DO NOTHING)
    SELECT count(*) AS n, max(entry_id) AS last FROM e`.execute(trx);
  const { n, last } = res.rows[0]!;
  const written = Number(n);
  return { written, done: written < batch, cursor: { afterEntryId: last ?? after } };
}

// ---- what a message says ------------------------------------------------------------------

/** The entrant's address and zone: read only when their own message is sent. */
export async function findContact(db: Q, dropId: string, entryId: string) {
  return db.selectFrom('entrant_contacts').select(['email', 'time_zone']).where('drop_id', '=', dropId).where('entry_id', '=', entryId).executeTakeFirst();
}

export async function findMessageDrop(db: Q, dropId: string) {
  return db.selectFrom('drops').select(['drop_id', 'name', 'spec', 'currency', 'price_cents']).where('drop_id', '=', dropId).executeTakeFirst();
}

export async function entryExists(db: Q, dropId: string, entryId: string): Promise<boolean> {
  const row = await db.selectFrom('entries').select('entry_id').where('drop_id', '=', dropId).where('entry_id', '=', entryId).executeTakeFirst();
  return row !== undefined;
}

/** The message's order: the row's own, else the entry's (an entry has at most one). */
export async function findMessageOrder(db: Q, dropId: string, entryId: string, orderId: string | null): Promise<OrderRow | undefined> {
  let q = db.selectFrom('orders').selectAll().where('drop_id', '=', dropId);
  q = orderId ? q.where('order_id', '=', orderId) : q.where('entry_id', '=', entryId);
  return q.executeTakeFirst();
}

export async function findMessageNode(db: Q, dropId: string, nodeId: string) {
  return db.selectFrom('nodes').select(['node_id', 'region', 'kind']).where('drop_id', '=', dropId).where('node_id', '=', nodeId).executeTakeFirst();
}

// ---- the demo's and the tests' views ------------------------------------------------------

/** How many of the drop's rows are still to be sent and due now (campaigns included). */
export async function countDuePending(db: Q, dropId: string): Promise<number> {
  const row = await db
    .selectFrom('notifications')
    .select(sql<string>`count(*)`.as('n'))
    .where('drop_id', '=', dropId)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', sql<Date>`now() + interval '1 minute'`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Orders of the drop that reached a node's pickup window (the claim messages they should have had). */
export async function countOrdersAwaitingPickupEver(db: Q, dropId: string): Promise<number> {
  const row = await sql<{ n: string }>`
    SELECT count(DISTINCT order_id) AS n FROM events
    WHERE drop_id = ${dropId} AND kind = 'order.state' AND data->>'state' = 'awaiting_pickup'`.execute(db);
  return Number(row.rows[0]?.n ?? 0);
}

/** Distinct orders (or entries) with a delivered message of `kind`. */
export async function countDeliveredDistinct(db: Q, dropId: string, kind: NotificationKind, by: 'order_id' | 'entry_id'): Promise<number> {
  const row = await db
    .selectFrom('notifications')
    .select(sql<string>`count(DISTINCT ${sql.ref(by)})`.as('n'))
    .where('drop_id', '=', dropId)
    .where('kind', '=', kind)
    .where('status', '=', 'delivered')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
