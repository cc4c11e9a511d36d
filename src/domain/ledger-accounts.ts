/** The ledger's accounts (double entry; amounts in cents, debits positive). */
export const ledgerAccounts = {
  /** Money the payment provider holds for us (captured, not yet paid out). */
  providerClearing: 'provider:payments:clearing',
  /** The drop's sales (revenue; credited on capture, debited on refund, chargeback or credit). */
  sales: (dropId: string) => `drop:${dropId}:sales`,
  /** What we owe entrants as store credit (a liability). */
  storeCredit: (dropId: string) => `drop:${dropId}:store_credit`,
};
