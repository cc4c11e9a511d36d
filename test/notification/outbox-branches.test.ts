import { runOrderBranches, type OrderBranch } from '../../src/demo/order-branches';
import { eventually, startTestStack, type TestStack } from '../helpers/context';

/**
 * The outbox on the order saga's other branches (issue 15): each final state an entrant reaches
 * off the happy path writes its own message, in the transaction of the state change.
 */
describe('notification outbox: shipped, declined, refunded by support, credited', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const kindsOf = async (dropId: string, entryId: string) =>
    (await stack.db.selectFrom('notifications').select('kind').where('drop_id', '=', dropId).where('entry_id', '=', entryId).execute()).map((r) => r.kind);

  it('writes the final state message of each branch, beside the win and pay link', async () => {
    const result = await runOrderBranches({ api: stack.api, providerUrl: stack.providerUrl, dropIdPrefix: 'outbox-br' });
    const expected: Record<OrderBranch, { state: string; kind: string }> = {
      shipped: { state: 'shipped', kind: 'shipped' },
      reshipped: { state: 'shipped', kind: 'shipped' },
      declined: { state: 'declined', kind: 'payment_declined' },
      needs_support: { state: 'refunded', kind: 'refunded' },
      hold_captured: { state: 'picked_up', kind: 'picked_up' },
      credited: { state: 'credited', kind: 'credited' },
    };
    for (const [branch, want] of Object.entries(expected) as Array<[OrderBranch, { state: string; kind: string }]>) {
      const b = result.byBranch[branch];
      expect([branch, b.finalState]).toEqual([branch, want.state]);
      const kinds = await eventually(`the ${want.kind} message of ${branch}`, async () => {
        const k = await kindsOf(b.dropId, b.entryId);
        return k.includes(want.kind) ? k : undefined;
      });
      // The holds drop (authorize_at_entry) captures the hold taken at registration: no pay link.
      const hold = branch === 'hold_captured' || branch === 'credited';
      expect(kinds).toEqual(expect.arrayContaining(['entry_received', 'won', ...(hold ? [] : ['pay_link'])]));
      if (hold) expect(kinds).not.toContain('pay_link');
      // One message per kind and step: a final state is told once.
      expect(kinds.filter((k) => k === want.kind)).toHaveLength(1);
    }
  }, 600_000);
});
