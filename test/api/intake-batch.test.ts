import { sql } from 'kysely';
import { Client } from 'pg';
import { insertEntryBatch, type IntakeItem } from '../../src/db/repositories/entry-intake';
import { identityHash, newEntryId } from '../../src/domain/identity';
import type { Db } from '../../src/db/connection';
import { pollUntil } from '../../src/lib/poll';
import { createTestDatabase } from '../helpers/context';

/** The intake batch statement against Postgres itself, for what the API cannot time on purpose. */
describe('intake batch statement', () => {
  let db: Db;
  let url: string;
  const secret = 'intake-batch-test-secret';
  const item = (dropId: string, email: string): IntakeItem => ({
    dropId,
    entryId: newEntryId(),
    identityHash: identityHash(secret, dropId, email),
    phoneHash: null,
    timeZone: null,
    tier: 'public',
    weight: 1,
    region: 'north',
    passId: null,
    email,
    phone: null,
    idempotency: null,
  });

  beforeAll(async () => {
    ({ db, url } = await createTestDatabase());
    await sql`INSERT INTO drops (drop_id, name, units, price_cents, currency, phase, registration_closes_at, spec)
              VALUES ('batch-drop', 'Batch', 1, 100, 'eur', 'registration', now() + interval '1 hour', '{}')`.execute(db);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('finds the entry a registration collided with even when it was committed after the statement began', async () => {
    const other = new Client({ connectionString: url });
    await other.connect();
    try {
      // Another API process's batch has inserted the same person and not yet committed.
      const theirs = item('batch-drop', 'racer@example.test');
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO entries (drop_id, entry_id, identity_hash, tier, weight, region) VALUES ($1, $2, decode($3, 'hex'), 'public', 1, 'north')`,
        [theirs.dropId, theirs.entryId, theirs.identityHash],
      );
      const ours = item('batch-drop', 'racer@example.test');
      const fresh = item('batch-drop', 'bystander@example.test');
      // Our statement's snapshot predates their commit: the insert waits on their row, then conflicts.
      const pending = insertEntryBatch(db, [ours, fresh]);
      await waitUntilBlocked(db);
      await other.query('COMMIT');
      const [outcome, bystander] = await pending;
      expect(outcome).toMatchObject({ kind: 'duplicate', entryId: theirs.entryId });
      expect(bystander).toMatchObject({ kind: 'created', entryId: fresh.entryId });
    } finally {
      await other.end();
    }
  });

  it('answers closed for a drop that is not registering, and writes nothing', async () => {
    await sql`INSERT INTO drops (drop_id, name, units, price_cents, currency, phase, registration_closes_at, spec)
              VALUES ('closed-drop', 'Closed', 1, 100, 'eur', 'drawing', now() - interval '1 minute', '{}')`.execute(db);
    const [outcome] = await insertEntryBatch(db, [item('closed-drop', 'late@example.test')]);
    expect(outcome).toEqual({ kind: 'closed' });
    const n = await db
      .selectFrom('entries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('drop_id', '=', 'closed-drop')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });
});

/** Polls pg_stat_activity until a session of this database waits on a lock (the batch on the other's row). */
async function waitUntilBlocked(db: Db, timeoutMs = 10_000): Promise<void> {
  await pollUntil(
    'the batch to wait on the uncommitted entry',
    async () => {
      const r = await sql<{ n: string }>`
        SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db);
      return Number(r.rows[0]!.n) > 0;
    },
    { timeoutMs, intervalMs: 20 },
  );
}
