import type { Executor } from '../db/index.js';
import type { Ledger } from '../ledger/index.js';
import { assert } from '../lib/assert.js';
import { limits } from '../limits.js';
import { systemAccountId, walletAccountId } from './ids.js';

/**
 * Which ledger account holds what. A user's wallet never goes below zero
 * (`debitsMustNotExceedCredits`); system accounts are the other side of money entering and
 * leaving (bank clearing), waiting (the transfer hold) or earned (merchant fees), and may go either
 * way.
 */
export type SystemAccountCode = 'bank_clearing' | 'transfer_hold' | 'fee_revenue';

export interface WalletAccountRef {
  readonly accountId: string;
  readonly currency: string;
}

export async function ensureWalletAccount(
  db: Executor,
  ledger: Ledger,
  user: { readonly id: string; readonly createdAt: Date },
  currency: string,
  now: Date,
): Promise<string> {
  const accountId = walletAccountId(user.id, user.createdAt.getTime(), currency);
  const known = knownWalletAccounts.get(ledger) ?? new Set<string>();
  knownWalletAccounts.set(ledger, known);
  if (known.has(accountId)) return accountId;
  // The mapping is written after the ledger account, so finding it means both exist: the
  // common case costs one indexed read, not an account-creating transaction.
  const { rows } = await db.query<{ account_id: string }>({
    name: 'wallet_account_of',
    text: 'SELECT account_id FROM wallet_accounts WHERE user_id = $1 AND currency = $2',
    values: [user.id, currency],
  });
  if (rows[0] !== undefined) return remember(known, rows[0].account_id);
  const [result] = await ledger.createAccounts([
    {
      id: accountId,
      currency,
      code: 'user_wallet',
      owner: user.id,
      flags: { debitsMustNotExceedCredits: true },
    },
  ]);
  assert(
    result?.code === 'ok' || result?.code === 'exists',
    `wallet account ${accountId}: ${result?.code}`,
  );
  await db.query(
    `INSERT INTO wallet_accounts (user_id, currency, account_id, created_at)
     VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, currency) DO NOTHING`,
    [user.id, currency, accountId, now],
  );
  return remember(known, accountId);
}

/**
 * Accounts are never deleted, so an account this process has seen exists for good: a payment
 * needs no lookup for the wallets it has met before. The memory is bounded; the oldest entries
 * go first.
 */
const knownWalletAccounts = new WeakMap<Ledger, Set<string>>();

function remember(known: Set<string>, accountId: string): string {
  if (known.size >= limits.walletAccountCacheMax) {
    known.delete(known.values().next().value!);
  }
  known.add(accountId);
  return accountId;
}

/**
 * System accounts are created once and never go away, so each ledger remembers the ones it has
 * made sure of, and a payment does not open an account-creating transaction every time.
 */
const ensuredSystemAccounts = new WeakMap<Ledger, Set<string>>();

export async function ensureSystemAccount(
  ledger: Ledger,
  code: SystemAccountCode,
  currency: string,
): Promise<string> {
  const accountId = systemAccountId(code, currency);
  const ensured = ensuredSystemAccounts.get(ledger) ?? new Set<string>();
  ensuredSystemAccounts.set(ledger, ensured);
  if (ensured.has(accountId)) return accountId;
  const [result] = await ledger.createAccounts([
    { id: accountId, currency, code, owner: 'system' },
  ]);
  assert(
    result?.code === 'ok' || result?.code === 'exists',
    `system account ${code} ${currency}: ${result?.code}`,
  );
  ensured.add(accountId);
  return accountId;
}

export async function walletAccounts(db: Executor, userId: string): Promise<WalletAccountRef[]> {
  const { rows } = await db.query<{ account_id: string; currency: string }>(
    'SELECT account_id, currency FROM wallet_accounts WHERE user_id = $1 ORDER BY currency',
    [userId],
  );
  return rows.map((r) => ({ accountId: r.account_id, currency: r.currency }));
}
