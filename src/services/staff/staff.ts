import { findStaff, insertStaff, listStaff, revokeStaff as revokeStaffRow, upsertStaff } from '../../db/repositories/staff';
import type { Db } from '../../db/connection';
import { notFound } from '../../domain/errors';
import type { StaffRole } from '../../domain/staff/staff';
import { newStaffKey, parseStaffKey, sameKeyHash } from './staff-keys';

/**
 * Adds a staff member and returns their API key: shown this once, stored only as a hash.
 * `name` is kept in the staff table only (audit rows and workflow history carry the id).
 */
export async function addStaff(db: Db, name: string, role: StaffRole): Promise<{ staffId: string; key: string }> {
  const { staffId, key, keyHash } = newStaffKey();
  await insertStaff(db, { staffId, name, role, keyHash });
  return { staffId, key };
}

/** Revokes a member's key at once (the next request with it is 401). 404 `staff_not_found`. */
export async function revokeStaff(db: Db, staffId: string): Promise<void> {
  if (!(await revokeStaffRow(db, staffId))) {
    const member = await findStaff(db, staffId);
    if (!member) throw notFound('staff_not_found', `no staff member ${staffId}`);
  }
}

export const listStaffMembers = (db: Db) => listStaff(db);

/**
 * The dev stack's and the tests' members: each given key (made by `newStaffKey`) is installed,
 * so `drops dev` keeps printing the same keys across restarts.
 */
export async function installStaffKey(db: Db, name: string, role: StaffRole, key: string): Promise<void> {
  const parsed = parseStaffKey(key);
  if (!parsed) throw new Error(`the ${role} key is not a staff key (expected <staffId>.<secret>)`);
  await upsertStaff(db, { staffId: parsed.staffId, name, role, keyHash: parsed.secretHash });
}

/**
 * The member a key belongs to, or undefined: an unknown, malformed or revoked key. The secret
 * is compared in constant time against the stored hash.
 */
export async function authenticateStaff(db: Db, key: string): Promise<{ staffId: string; role: StaffRole } | undefined> {
  const parsed = parseStaffKey(key);
  if (!parsed) return undefined;
  const member = await findStaff(db, parsed.staffId);
  if (!member || member.revoked_at !== null) return undefined;
  if (!sameKeyHash(member.key_hash, parsed.secretHash)) return undefined;
  return { staffId: member.staff_id, role: member.role };
}
