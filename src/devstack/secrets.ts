import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ApiSecrets } from '../config';

/**
 * Local dev secrets: random on first start, kept (mode 0600) under .data so keys survive a
 * restart of `drops dev`. Production reads them from the environment instead.
 */
export function loadOrCreateDevSecrets(file: string): ApiSecrets {
  const r = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as ApiSecrets;
    // Files written before a secret existed get it added once.
    if (!kept.claimSecret) {
      kept.claimSecret = r('claim');
      writeFileSync(file, JSON.stringify(kept, null, 2), { mode: 0o600 });
    }
    return kept;
  }
  const secrets: ApiSecrets = {
    opsApiKey: r('ops'),
    supportApiKey: r('support'),
    identitySecret: r('id'),
    webhookSecrets: { payments: r('whsec'), carriers: r('whsec'), lockers: r('whsec') },
    claimSecret: r('claim'),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
