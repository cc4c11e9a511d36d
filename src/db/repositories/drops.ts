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

export async function setDropPhase(db: Q, dropId: string, phase: DropPhase, from?: DropPhase[]): Promise<boolean> {
  let q = db.updateTable('drops').set({ phase, updated_at: sql`now()` }).where('drop_id', '=', dropId);
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
