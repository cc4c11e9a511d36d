import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/devstack/stack';

/**
 * The production worker chooses its provider adapters by configuration and refuses to start,
 * naming the missing setting, rather than wiring the simulators silently.
 */
describe('drops worker without its adapter settings', () => {
  const complete = {
    PATH: process.env.PATH,
    // Never reached: the settings are checked before anything connects.
    DATABASE_URL: 'postgres://drops@127.0.0.1:9/drops',
    TEMPORAL_ADDRESS: '127.0.0.1:9',
    DROPS_PROVIDER_URL: 'http://127.0.0.1:9',
    DROPS_CLAIM_SECRET: 'claim_0123456789abcdef',
    DROPS_PAYMENT_ADAPTER: 'simulator',
    DROPS_CARRIER_ADAPTER: 'simulator',
    DROPS_LOCKER_ADAPTER: 'simulator',
  };
  const worker = (env: Record<string, string | undefined>) =>
    spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'drops.js'), 'worker'], { env, encoding: 'utf8', timeout: 60_000 });

  it.each([
    ['DROPS_CARRIER_ADAPTER', 'DROPS_CARRIER_ADAPTER is not set: choose simulator'],
    ['DROPS_LOCKER_ADAPTER', 'DROPS_LOCKER_ADAPTER is not set: choose simulator'],
    ['DROPS_PAYMENT_ADAPTER', 'DROPS_PAYMENT_ADAPTER is not set: choose simulator | stripe'],
  ])('exits 1 when %s is unset, saying so', (setting, message) => {
    const r = worker({ ...complete, [setting]: undefined });
    expect(r.stderr).toContain(message);
    expect(r.status).toBe(1);
  });

  it('exits 1 naming DROPS_PROVIDER_URL when a simulator adapter is chosen without it', () => {
    const r = worker({ ...complete, DROPS_PROVIDER_URL: undefined });
    expect(r.stderr).toContain('DROPS_PROVIDER_URL is required with DROPS_CARRIER_ADAPTER=simulator');
    expect(r.stderr).toContain('DROPS_PROVIDER_URL is required with DROPS_LOCKER_ADAPTER=simulator');
    expect(r.status).toBe(1);
  });

  it('exits 1 on an adapter that does not exist, naming the setting', () => {
    const r = worker({ ...complete, DROPS_CARRIER_ADAPTER: 'swiftship' });
    expect(r.stderr).toContain('invalid configuration in: DROPS_CARRIER_ADAPTER');
    expect(r.status).toBe(1);
  });

  it('exits 1 in production naming each missing mail setting', () => {
    const r = worker({ ...complete, NODE_ENV: 'production' });
    expect(r.stderr).toContain('missing mail settings: SMTP_URL, DROPS_PUBLIC_URL, DROPS_MAIL_FROM');
    expect(r.status).toBe(1);
    const some = worker({ ...complete, NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:9', DROPS_MAIL_FROM: 'drops@example.com' });
    expect(some.stderr).toContain('missing mail settings: DROPS_PUBLIC_URL (required in production');
    expect(some.stderr).toContain('missing secrets: DROPS_IDENTITY_SECRET (required to send messages');
    expect(some.status).toBe(1);
  });
});
