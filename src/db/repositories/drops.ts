import { sql, type Kysely } from 'kysely';
import type { Database, DropPhase, DropRow, NodeRow } from '../schema';

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
