import { manualClock } from '../src/lib/clock.js';
import { newId } from '../src/lib/ids.js';
import { createLedger, type CreateAccountCommand, type Ledger } from '../src/ledger/index.js';
import type { Pool } from '../src/db/index.js';

export const T0 = Date.UTC(2026, 0, 1);

export function accountId(): string {
  return newId('acc', T0);
}

export function transferId(): string {
  return newId('trf', T0);
}

export function setupLedger(pool: Pool) {
  const clock = manualClock(T0);
  const ledger = createLedger({ pool, clock });
  return { clock, ledger };
}

/** A wallet (never below zero) and a funding account (may go negative), both CNY. */
export async function walletAndFunding(ledger: Ledger, currency = 'CNY') {
  const wallet: CreateAccountCommand = {
    id: accountId(),
    currency,
    code: 'user_wallet',
    owner: 'usr_test',
    flags: { debitsMustNotExceedCredits: true },
  };
  const funding: CreateAccountCommand = {
    id: accountId(),
    currency,
    code: 'bank_clearing',
    owner: 'system',
  };
  const results = await ledger.createAccounts([wallet, funding]);
  if (results.some((r) => r.code !== 'ok'))
    throw new Error(`fixture accounts: ${JSON.stringify(results)}`);
  return { wallet: wallet.id, funding: funding.id };
}
