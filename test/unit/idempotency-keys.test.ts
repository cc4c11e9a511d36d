import { entryKeys, exceptionKeys, orderKeys } from '../../src/domain/idempotency-keys';

// Providers and the ledger already hold keys in these forms: a changed byte would make the
// next call a new payment, refund or reservation. The expected strings are the ones the
// activities and services built before the keys had one home.
describe('business idempotency keys', () => {
  test("an order's keys keep their stored forms", () => {
    expect(orderKeys.intent('d1', 'ord_e1')).toBe('drop:d1:order:ord_e1:intent:v1');
    expect(orderKeys.capture('d1', 'ord_e1')).toBe('drop:d1:order:ord_e1:capture:v1');
    expect(orderKeys.cancel('d1', 'ord_e1')).toBe('drop:d1:order:ord_e1:cancel:v1');
    expect(orderKeys.refund('d1', 'ord_e1')).toBe('drop:d1:order:ord_e1:refund:v1');
    expect(orderKeys.refundAfterDispute('d1', 'ord_e1', 'dp_9')).toBe('drop:d1:order:ord_e1:refund-after-dp_9:v1');
    expect(orderKeys.chargeback('d1', 'ord_e1')).toBe('drop:d1:order:ord_e1:chargeback:v1');
    expect(orderKeys.storeCredit('d1', 'ord_e1')).toBe('drop:d1:order:ord_e1:store-credit:v1');
    expect(orderKeys.compartment('d1', 'ord_e1')).toBe('drop:d1:order:ord_e1:compartment:v1');
    expect(orderKeys.compartmentForCode('d1', 'ord_e1', 2)).toBe('drop:d1:order:ord_e1:compartment-code-2:v1');
    expect(orderKeys.intentAttempt('d1', 'ord_e1', 2)).toBe('drop:d1:order:ord_e1:intent-2:v1');
    expect(orderKeys.cancelAttempt('d1', 'ord_e1', 2)).toBe('drop:d1:order:ord_e1:cancel-2:v1');
    expect(orderKeys.refundPart('d1', 'ord_e1', 1)).toBe('drop:d1:order:ord_e1:refund-part-1:v1');
  });

  test("an entry's hold keys keep their stored forms", () => {
    expect(entryKeys.authorization('d1', 'e1')).toBe('drop:d1:entry:e1:authorization:v1');
    expect(entryKeys.void('d1', 'e1')).toBe('drop:d1:entry:e1:void:v1');
  });

  test("support exceptions' dedupe keys keep their stored forms", () => {
    expect(exceptionKeys.dispute('dp_9')).toBe('dispute:dp_9');
    expect(exceptionKeys.strayLabel('north-carrier', 'lbl_1')).toBe('stray-label:north-carrier:lbl_1');
    expect(exceptionKeys.unplacedWebhook('payments', 'evt_1')).toBe('webhook:payments:evt_1');
    expect(exceptionKeys.lockerEvent('evt_2')).toBe('locker-event:evt_2');
  });
});
