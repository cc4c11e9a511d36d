import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ApiSecrets } from '../config';
import { newStaffKey, parseStaffKey } from '../services/staff/staff-keys';

/** The API's secrets and the keys of the dev stack's two staff members (one ops, one support). */
export interface DevSecrets extends ApiSecrets {
  opsApiKey: string;
  supportApiKey: string;
}

/**
 * Local dev secrets: random on first start, kept (mode 0600) under .data so keys survive a
 * restart of `drops dev`. Production reads them from the environment instead, and its staff
 * keys come from `drops staff add`.
 */
export function loadOrCreateDevSecrets(file: string): DevSecrets {
  const r = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
    // Files written before a secret existed (or before per-staff keys) get it once.
    let changed = false;
    if (!kept.claimSecret) [kept.claimSecret, changed] = [r('claim'), true];
    if (!parseStaffKey(kept.opsApiKey ?? '')) [kept.opsApiKey, changed] = [newStaffKey().key, true];
    if (!parseStaffKey(kept.supportApiKey ?? '')) [kept.supportApiKey, changed] = [newStaffKey().key, true];
    if (changed) writeFileSync(file, JSON.stringify(kept, null, 2), { mode: 0o600 });
    return kept;
  }
  const secrets: DevSecrets = {
    opsApiKey: newStaffKey().key,
    supportApiKey: newStaffKey().key,
    identitySecret: r('id'),
    webhookSecrets: { payments: r('whsec'), carriers: r('whsec'), lockers: r('whsec') },
    claimSecret: r('claim'),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
