import { describe, expect, it } from 'vitest';
import { createTestDatabase } from './db.js';
import { setupLedger, transferId, walletAndFunding } from './ledger-fixtures.js';

describe('smoke', () => {
  it('moves money', async () => {
    const db = await createTestDatabase();
    const { ledger } = setupLedger(db.pool);
    const { wallet, funding } = await walletAndFunding(ledger);
    const r = await ledger.submit([
      {
        id: transferId(),
        debitAccountId: funding,
        creditAccountId: wallet,
        amountMinor: 100n,
        currency: 'CNY',
        code: 'topup',
      },
    ]);
    expect(r[0]!.code).toBe('ok');
    const [a] = await ledger.getAccounts([wallet]);
    expect(a!.creditsPosted).toBe(100n);
  });
});
