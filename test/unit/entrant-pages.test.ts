import type { Db } from '../../src/db/connection';
import { deriveKey, receiptSecretFor } from '../../src/domain/identity';
import type { OrderState } from '../../src/domain/order/order-states';
import type { PaymentProvider } from '../../src/integrations/providers';
import { claimPageView, payPageView, statusPageView } from '../../src/services/pages/entrant-pages';
import { createTestDatabase, testSecrets } from '../helpers/context';
import { insertDrop, insertEntrant, insertOrder } from '../notification/fixtures';

/**
 * The entrant pages' words for states the stack test does not reach quickly: a lapsed or
 * declined winner's pay page, and the claim page of a pop-up counter (staff, not a locker).
 */
describe("the entrant pages' wording", () => {
  let db: Db;
  const secrets = testSecrets();
  const deps = () => ({ db, secrets, payments: {} as PaymentProvider });
  const token = (dropId: string, entryId: string) => receiptSecretFor(deriveKey(secrets.identitySecret, 'receipt'), dropId, entryId);
  const pickupDeadline = new Date(Date.now() + 3_600_000);

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    await insertDrop(db, 'words-locker', { node: { name: 'North Station Lockers', address: '1 Rail Square' } });
    await insertDrop(db, 'words-popup', { node: { kind: 'popup', name: 'Market Hall pop-up', address: '5 Market Street' } });
    for (const [dropId, entryId, state] of [
      ['words-locker', 'lapsed', 'unpaid'],
      ['words-locker', 'declined', 'declined'],
      ['words-locker', 'at-locker', 'awaiting_pickup'],
      ['words-popup', 'at-popup', 'awaiting_pickup'],
    ] as const) {
      await insertEntrant(db, dropId, entryId, { email: `${entryId}@example.org` });
      await insertOrder(db, dropId, entryId, { state: state as OrderState, pickupDeadline, nodeId: 'north-locker' });
    }
  });
  afterAll(async () => db?.destroy());

  it.each([
    ['lapsed', /pay window closed without a payment: the unit went to the next entrant on the waitlist/],
    ['declined', /payment was declined and the pay window has closed: the unit went to the next entrant on the waitlist/],
  ])('the pay page of a %s winner says the unit went to the next entrant on the waitlist', async (entryId, text) => {
    const pay = await payPageView(deps(), 'words-locker', entryId, token('words-locker', entryId));
    expect(pay.kind).toBe('closed');
    expect(String(pay.kind === 'closed' && pay.view.message)).toMatch(text);
    expect(String(pay.kind === 'closed' && pay.view.message)).not.toMatch(/your order is/);
    expect((await statusPageView(deps(), 'words-locker', entryId, token('words-locker', entryId))).nextStep).toMatch(text);
  });

  it("a locker's claim page says the scanner and the compartment; a pop-up's says the staff at the counter", async () => {
    const locker = await claimPageView(deps(), 'words-locker', 'at-locker', token('words-locker', 'at-locker'));
    expect(locker.claim).toMatchObject({ nodeName: 'North Station Lockers', nodeAddress: '1 Rail Square' });
    expect(locker.claim!.howToShow).toMatch(/locker's scanner/);
    expect(locker.missedPolicy).toMatch(/compartment is released/);

    const popup = await claimPageView(deps(), 'words-popup', 'at-popup', token('words-popup', 'at-popup'));
    expect(popup.claim).toMatchObject({ nodeName: 'Market Hall pop-up', nodeAddress: '5 Market Street' });
    expect(popup.claim!.howToShow).toMatch(/to the staff at the pop-up counter/);
    for (const text of [popup.claim!.howToShow, popup.missedPolicy]) expect(text).not.toMatch(/locker|compartment|scanner/);
    const status = await statusPageView(deps(), 'words-popup', 'at-popup', token('words-popup', 'at-popup'));
    expect(status.nextStep).toMatch(/pop-up counter. Show your claim code to the staff/);
  });
});
