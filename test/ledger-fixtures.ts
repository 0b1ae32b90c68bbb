import { manualClock } from '../src/lib/clock.js';
import { newId } from '../src/lib/ids.js';
import {
  createLedger,
  type Account,
  type CreateAccountCommand,
  type Ledger,
} from '../src/ledger/index.js';
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

/** An account as the planner sees it, empty and active unless `over` says otherwise. */
export function accountFixture(over: Partial<Account> = {}): Account {
  return {
    id: accountId(),
    currency: 'CNY',
    code: 'user_wallet',
    owner: 'usr_1',
    debitsMustNotExceedCredits: false,
    creditsMustNotExceedDebits: false,
    status: 'active',
    freezeCredits: false,
    debitsPosted: 0n,
    creditsPosted: 0n,
    debitsPending: 0n,
    creditsPending: 0n,
    journalSeq: 0n,
    createdAtMs: T0,
    ...over,
  };
}

/** A small seeded PRNG (mulberry32), so a random run can be replayed from its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
