import { DROP_PHASE, dropWorkflowId } from '../../workflows/definitions';
import { eventually, startTestStack, type TestStack } from '../helpers/context';
import { dropDriver } from '../helpers/drops';

/** Ops controls other than cancel: pause/resume/extend/close, scheduled launch, region windows, restock, windows, the drop list. */
describe('ops controls', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const d = dropDriver(() => stack);
  const WHY = { reasonCode: 'ops_decision', reason: 'steering the drop' };
  const view = async (dropId: string) => (await stack.api.call('GET', `/v1/drops/${dropId}`, { as: 'ops' })).body;
  const searchPhase = async (dropId: string) =>
    (await stack.client.workflow.getHandle(dropWorkflowId(dropId)).describe()).typedSearchAttributes.get(DROP_PHASE);
  const control = (dropId: string, action: string, body: Record<string, unknown> = {}) =>
    stack.api.call('POST', `/v1/drops/${dropId}/${action}`, { as: 'ops', body });
  const enter = (dropId: string, email: string, region = 'north') => stack.api.call('POST', `/v1/drops/${dropId}/entries`, { body: { email, region } });
  const auditOf = async (dropId: string) =>
    (await stack.api.call('GET', `/v1/audit?dropId=${dropId}&limit=100`, { as: 'ops' })).body.entries.map((e: any) => `${e.action}:${e.outcome}`).reverse();

  it('pause, resume, extend and close: the DropPhase search attribute follows; forbidden phases are 409 wrong_phase; each is audited', async () => {
    const dropId = 'ops-pause-resume';
    await d.launch(dropId);
    expect((await control(dropId, 'resume')).body.error.code).toBe('wrong_phase');
    expect((await control(dropId, 'pause', WHY)).status).toBe(200);
    expect((await view(dropId)).phase).toBe('paused');
    await eventually('DropPhase paused', async () => ((await searchPhase(dropId)) === 'paused' ? true : undefined), 10_000);
    expect((await enter(dropId, 'paused@example.test')).body.error.code).toBe('registration_closed');
    expect((await control(dropId, 'pause')).body.error.code).toBe('wrong_phase');
    expect((await control(dropId, 'extend', { seconds: 60, ...WHY })).status).toBe(200);
    expect((await control(dropId, 'resume', WHY)).status).toBe(200);
    expect((await view(dropId)).phase).toBe('registration');
    await eventually('DropPhase registration', async () => ((await searchPhase(dropId)) === 'registration' ? true : undefined), 10_000);
    expect((await enter(dropId, 'resumed@example.test')).status).toBe(201);
    expect((await control(dropId, 'close', WHY)).status).toBe(200);
    for (const action of ['pause', 'resume', 'close']) expect((await control(dropId, action)).body.error.code).toBe('wrong_phase');
    expect((await control(dropId, 'extend', { seconds: 60 })).body.error.code).toBe('wrong_phase');
    expect(await auditOf(dropId)).toEqual([
      'launch_drop:ok',
      'resume_registration:refused',
      'pause_registration:ok',
      'pause_registration:refused',
      'extend_registration:ok',
      'resume_registration:ok',
      'close_registration:ok',
      'pause_registration:refused',
      'resume_registration:refused',
      'close_registration:refused',
      'extend_registration:refused',
    ]);
  }, 120_000);

  it('a scheduled launch: scheduled, then announced (commitment published, entries 409), then registration; cancel while scheduled works', async () => {
    const dropId = 'ops-scheduled';
    const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    const base = {
      name: 'Scheduled',
      units: 1,
      priceCents: 1500,
      nodes: [{ nodeId: 'north-locker', region: 'north', stock: 1 }],
      windows: { registrationSeconds: 600, paymentSeconds: 60, pickupSeconds: 60, postMortemDelaySeconds: 0 },
    };
    const past = await stack.api.call('POST', '/v1/drops', { as: 'ops', body: { ...base, dropId, announceAt: inSeconds(-60) } });
    expect(past.status).toBe(400);
    const backwards = await stack.api.call('POST', '/v1/drops', {
      as: 'ops',
      body: { ...base, dropId, announceAt: inSeconds(20), registrationOpensAt: inSeconds(10) },
    });
    expect(backwards.status).toBe(400);

    const opensAt = inSeconds(8);
    const launched = await stack.api.call('POST', '/v1/drops', {
      as: 'ops',
      body: { ...base, dropId, announceAt: inSeconds(3), registrationOpensAt: opensAt },
    });
    expect(launched.status).toBe(201);
    expect(launched.body.phase).toBe('scheduled');
    expect(launched.body.commitment).toBeNull();
    // Ops see the schedule they sent.
    expect(Date.parse(launched.body.schedule.registrationOpensAt)).toBe(Date.parse(opensAt));
    expect((await enter(dropId, 'early@example.test')).body.error.code).toBe('registration_closed');
    const announced = await eventually('announced', async () => ((await view(dropId)).phase === 'announced' ? view(dropId) : undefined), 30_000);
    expect(announced.commitment).toMatch(/^[0-9a-f]{64}$/);
    // The row moves first (the announce activity), the search attribute when the workflow hears back.
    await eventually('DropPhase announced', async () => ((await searchPhase(dropId)) === 'announced' ? true : undefined), 10_000);
    // Registration's window counts from its opening.
    expect(Date.parse(announced.registration.closesAt) - Date.parse(opensAt)).toBe(600_000);
    if (Date.now() < Date.parse(opensAt) - 500) expect((await enter(dropId, 'still-early@example.test')).body.error.code).toBe('registration_closed');
    await eventually('registration open', async () => ((await view(dropId)).phase === 'registration' ? true : undefined), 30_000);
    expect((await enter(dropId, 'on-time@example.test')).status).toBe(201);

    const later = 'ops-scheduled-cancelled';
    expect((await stack.api.call('POST', '/v1/drops', { as: 'ops', body: { ...base, dropId: later, announceAt: inSeconds(3600) } })).status).toBe(201);
    expect((await control(later, 'pause')).body.error.code).toBe('wrong_phase');
    expect((await control(later, 'cancel', WHY)).status).toBe(200);
    await eventually('cancelled', async () => ((await view(later)).phase === 'cancelled' ? true : undefined), 30_000);
    expect((await stack.api.call('GET', `/v1/drops/${later}/report`)).body.cancellation).toMatchObject({ beforeDraw: true, inPhase: 'scheduled' });
  }, 120_000);

  it('region windows: an entry from a region outside its window is 409 region_closed; other regions follow the drop', async () => {
    const dropId = 'ops-region-windows';
    const at = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    await d.launch(dropId, {
      body: {
        nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 1 }],
        regionWindows: { south: { opensAt: at(3600) }, east: { closesAt: at(-1) }, west: { opensAt: at(-60), closesAt: at(3600) } },
      },
    });
    const south = await enter(dropId, 'south@example.test', 'south');
    expect(south.status).toBe(409);
    expect(south.body.error.code).toBe('region_closed');
    expect((await enter(dropId, 'east@example.test', 'east')).body.error.code).toBe('region_closed');
    expect((await enter(dropId, 'west@example.test', 'west')).status).toBe(201);
    expect((await enter(dropId, 'north@example.test', 'north')).status).toBe(201);
    expect((await view(dropId)).counts.entries).toBe(2);
  }, 60_000);

  it('restock while settling promotes exactly N next waitlisted entrants in draw order; the drop list pages newest first', async () => {
    const dropId = 'ops-restock';
    await d.launch(dropId, { windows: { paymentSeconds: 600, pickupSeconds: 600 } });
    expect((await control(dropId, 'nodes/north-locker/restock', { units: 1 })).status).toBe(200);
    expect((await view(dropId)).nodes[0]).toMatchObject({ stockTotal: 2, stockRemaining: 2 });
    for (let i = 0; i < 5; i++) expect((await enter(dropId, `restock-${i}@example.test`)).status).toBe(201);
    expect((await control(dropId, 'close')).status).toBe(200);
    await eventually('settling', async () => ((await view(dropId)).phase === 'settling' ? true : undefined));
    expect((await control(dropId, 'nodes/nowhere/restock', { units: 1 })).body.error.code).toBe('node_not_found');
    expect((await control(dropId, 'nodes/north-locker/restock', { units: 0 })).status).toBe(400);

    const restocked = await control(dropId, 'nodes/north-locker/restock', { units: 2, ...WHY });
    expect(restocked.status).toBe(200);
    const record = (await stack.api.call('GET', `/v1/drops/${dropId}/draw`)).body;
    expect(restocked.body.promotedEntryIds).toEqual(record.waitlist.slice(0, 2));
    const promoted = await stack.db
      .selectFrom('orders')
      .select('entry_id')
      .where('drop_id', '=', dropId)
      .where('promoted_from_order_id', 'is not', null)
      .execute();
    expect(promoted.map((o) => o.entry_id).sort()).toEqual([...record.waitlist.slice(0, 2)].sort());
    expect((await view(dropId)).nodes[0]).toMatchObject({ stockTotal: 4 });
    expect(await auditOf(dropId)).toEqual(expect.arrayContaining(['restock_node:ok', 'restock_node:refused']));
    // Two restocks sent with the same X-Request-Id are two restocks (the id is the caller's, for logs).
    const sameId = { as: 'ops' as const, headers: { 'x-request-id': 'ops-restock-same-id' } };
    for (const units of [1, 1]) {
      const res = await stack.api.call('POST', `/v1/drops/${dropId}/nodes/north-locker/restock`, { ...sameId, body: { units } });
      expect(res.body.promotedEntryIds).toHaveLength(1);
    }
    expect((await view(dropId)).nodes[0]).toMatchObject({ stockTotal: 6 });
    const promotedNow = await stack.db
      .selectFrom('orders')
      .select('entry_id')
      .where('drop_id', '=', dropId)
      .where('promoted_from_order_id', 'is not', null)
      .execute();
    expect(promotedNow.map((o) => o.entry_id).sort()).toEqual([...record.waitlist.slice(0, 4)].sort());

    // Windows: a reason is required; a valid change is taken.
    expect((await control(dropId, 'windows', { pickupSeconds: 120 })).status).toBe(400);
    expect((await control(dropId, 'windows', { pickupSeconds: 120, ...WHY })).status).toBe(200);
    expect((await stack.db.selectFrom('drops').select('pickup_seconds').where('drop_id', '=', dropId).executeTakeFirstOrThrow()).pickup_seconds).toBe(120);

    const first = await stack.api.call('GET', '/v1/drops?limit=2', { as: 'support' });
    expect(first.status).toBe(200);
    expect(first.body.drops.map((x: any) => x.dropId)).toEqual(['ops-restock', 'ops-region-windows']);
    const second = await stack.api.call('GET', `/v1/drops?limit=2&cursor=${first.body.nextCursor}`, { as: 'support' });
    expect(second.body.drops[0].dropId).toBe('ops-scheduled-cancelled');
    const settling = await stack.api.call('GET', '/v1/drops?phase=settling', { as: 'ops' });
    expect(settling.body.drops.map((x: any) => x.dropId)).toContain('ops-restock');
    expect(settling.body.drops.every((x: any) => x.phase === 'settling')).toBe(true);
    expect((await stack.api.call('GET', '/v1/drops?cursor=nonsense', { as: 'ops' })).body.error.code).toBe('invalid_cursor');
  }, 120_000);
});
