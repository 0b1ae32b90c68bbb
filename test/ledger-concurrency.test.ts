/**
 * Concurrency on the real database: many callers at once never overdraw an account, and
 * concurrent batches from several connections never deadlock and keep every invariant.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/lib/clock.js';
import {
  createLedger,
  verifyLedger,
  type Ledger,
  type TransferCommand,
} from '../src/ledger/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { accountId, setupLedger, transferId, walletAndFunding } from './ledger-fixtures.js';

let db: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ ledger } = setupLedger(db.pool));
});

async function fundedWallet(amount: bigint) {
  const { wallet, funding } = await walletAndFunding(ledger);
  const sink = accountId();
  await ledger.createAccounts([{ id: sink, currency: 'CNY', code: 'merchant', owner: 'mch_x' }]);
  const [fund] = await ledger.submit([
    {
      id: transferId(),
      debitAccountId: funding,
      creditAccountId: wallet,
      amountMinor: amount,
      currency: 'CNY',
      code: 'topup',
    },
  ]);
  expect(fund!.code).toBe('ok');
  return { wallet, sink };
}

const debit = (wallet: string, sink: string, amount: bigint): TransferCommand => ({
  id: transferId(),
  debitAccountId: wallet,
  creditAccountId: sink,
  amountMinor: amount,
  currency: 'CNY',
  code: 'payment',
});

describe('one account, 200 concurrent debits, balance for exactly 37', () => {
  it('through the group-commit batcher', async () => {
    const { wallet, sink } = await fundedWallet(37n * 25n);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => ledger.transfer(debit(wallet, sink, 25n))),
    );
    expect(results.filter((r) => r.code === 'ok')).toHaveLength(37);
    expect(results.filter((r) => r.code !== 'ok').every((r) => r.code === 'exceeds_credits')).toBe(
      true,
    );
    const [account] = await ledger.getAccounts([wallet]);
    expect(account!.creditsPosted - account!.debitsPosted).toBe(0n);
    expect(account!.debitsPosted).toBe(37n * 25n);
  });

  it('as 200 separate batch transactions from several pools', async () => {
    const { wallet, sink } = await fundedWallet(37n * 13n + 5n);
    const ledgers = Array.from({ length: 8 }, () =>
      createLedger({ pool: db.newPool(4), clock: systemClock }),
    );
    const results = await Promise.all(
      Array.from(
        { length: 200 },
        async (_, i) => (await ledgers[i % 8]!.submit([debit(wallet, sink, 13n)]))[0]!,
      ),
    );
    expect(results.filter((r) => r.code === 'ok')).toHaveLength(37);
    const [account] = await ledger.getAccounts([wallet]);
    expect(account!.creditsPosted - account!.debitsPosted).toBe(5n);
    expect((await verifyLedger(db.pool)).ok).toBe(true);
  });
});

describe('random concurrent batches over 50 accounts from 8 connections', () => {
  it('never deadlock and keep every invariant', async () => {
    const accounts = Array.from({ length: 50 }, () => accountId());
    await ledger.createAccounts(
      accounts.map((id, i) => ({
        id,
        currency: 'CNY',
        code: 'user_wallet',
        owner: `usr_${i}`,
        // Half the accounts may not go below zero, so refusals happen too.
        ...(i % 2 === 0 ? { flags: { debitsMustNotExceedCredits: true } } : {}),
      })),
    );
    const connections = Array.from({ length: 8 }, () =>
      createLedger({ pool: db.newPool(1), clock: systemClock }),
    );
    const command = fc
      .record({
        from: fc.integer({ min: 0, max: 49 }),
        to: fc.integer({ min: 0, max: 49 }),
        amount: fc.bigInt({ min: 1n, max: 500n }),
        pending: fc.boolean(),
        linked: fc.boolean(),
      })
      .map(({ from, to, amount, pending, linked }): TransferCommand => ({
        id: transferId(),
        debitAccountId: accounts[from]!,
        creditAccountId: accounts[from === to ? (to + 1) % 50 : to]!,
        amountMinor: amount,
        currency: 'CNY',
        code: 'random',
        flags: { pending, linked },
      }));
    const batches = fc.sample(fc.array(command, { minLength: 1, maxLength: 40 }), 160);
    const codes = new Map<string, number>();
    await Promise.all(
      connections.map(async (connection, c) => {
        for (let b = c; b < batches.length; b += connections.length) {
          const results = await connection.submit(batches[b]!);
          for (const r of results) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        }
      }),
    );
    expect(codes.get('ok')).toBeGreaterThan(100);
    expect(codes.get('exceeds_credits')).toBeGreaterThan(0);
    const report = await verifyLedger(db.pool);
    expect(report).toMatchObject({ ok: true });
  });
});

describe('the same transfer id from several processes at once', () => {
  it('answers ok once and exists for the others, never a balance refusal', async () => {
    const others = Array.from({ length: 4 }, () =>
      createLedger({ pool: db.newPool(4), clock: systemClock }),
    );
    for (let round = 0; round < 10; round++) {
      // The wallet holds exactly one payment: a second one would be refused by the balance.
      const { wallet, sink } = await fundedWallet(500n);
      const command: TransferCommand = {
        id: transferId(),
        debitAccountId: wallet,
        creditAccountId: sink,
        amountMinor: 500n,
        currency: 'CNY',
        code: 'payment',
      };
      const results = await Promise.all(
        [ledger, ...others].flatMap((l) => [l.transfer(command), l.submit([command])]),
      );
      const codes = results.map((r) => ('code' in r ? r.code : r[0]!.code));
      expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
      expect(codes.filter((c) => c !== 'ok' && c !== 'exists')).toEqual([]);
    }
  });
});
