import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema';
import type { StaffRole } from '../../domain/staff/staff';

type Q = Kysely<Database>;

export async function insertStaff(db: Q, s: { staffId: string; name: string; role: StaffRole; keyHash: Buffer }): Promise<void> {
  await db.insertInto('staff').values({ staff_id: s.staffId, name: s.name, role: s.role, key_hash: s.keyHash }).execute();
}

/** Inserts the member, or gives an existing one this key and role again (the dev stack's keys, kept across restarts). */
export async function upsertStaff(db: Q, s: { staffId: string; name: string; role: StaffRole; keyHash: Buffer }): Promise<void> {
  await db
    .insertInto('staff')
    .values({ staff_id: s.staffId, name: s.name, role: s.role, key_hash: s.keyHash })
    .onConflict((oc) => oc.column('staff_id').doUpdateSet({ name: s.name, role: s.role, key_hash: s.keyHash, revoked_at: null }))
    .execute();
}

/** The member behind a key id, revoked or not. */
export async function findStaff(db: Q, staffId: string) {
  return db.selectFrom('staff').selectAll().where('staff_id', '=', staffId).executeTakeFirst();
}

/**
 * Revokes a member's key and gives back the open exceptions they held (unassigned, so the queue's
 * `assignee=none` shows them again); false when there is no such member or it was revoked already.
 */
export async function revokeStaff(db: Q, staffId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('staff')
      .set({ revoked_at: sql`now()` })
      .where('staff_id', '=', staffId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await trx.updateTable('exceptions').set({ assigned_to: null, claimed_at: null }).where('assigned_to', '=', staffId).where('status', '=', 'open').execute();
    return true;
  });
}

export async function listStaff(db: Q) {
  return db.selectFrom('staff').select(['staff_id', 'name', 'role', 'created_at', 'revoked_at']).orderBy('created_at').execute();
}
