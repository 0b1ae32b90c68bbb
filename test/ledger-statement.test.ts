/**
 * Statements (LEDGER.md, "Statements"): every balance change is journaled per account with the
 * balances after it; `ledger.statement` pages through an account's journal newest first, by
 * keyset on the per-account sequence, and returns every entry exactly once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Ledger,
  type StatementRow,
  type Transfer,
  type TransferCommand,
} from '../src/ledger/index.js';
import { limits } from '../src/limits.js';
import { createTestDatabase } from './db.js';
import {
  accountId,
  mulberry32,
  setupLedger,
  transferId,
  walletAndFunding,
} from './ledger-fixtures.js';

const db = await createTestDatabase();
const { clock, ledger } = setupLedger(db.pool);

interface Balances {
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

const zero = (): Balances => ({
  debitsPosted: 0n,
  creditsPosted: 0n,
  debitsPending: 0n,
  creditsPending: 0n,
});

/** The wallet's history as the test itself computes it: each change, oldest first. */
interface Expected {
  readonly transferId: string;
  readonly balances: Balances;
}

let wallet = '';
let funding = '';
let merchant = '';
const walletHistory: Expected[] = [];

/**
 * 250 balance changes of the wallet: top-ups, payments, refunds, holds that are posted in full
 * or in part or voided, and one that expires, submitted in batches of 1 to 12 commands.
 */
beforeAll(async () => {
  ({ wallet, funding } = await walletAndFunding(ledger));
  merchant = accountId();
  expect(
    (
      await ledger.createAccounts([
        { id: merchant, currency: 'CNY', code: 'merchant_balance', owner: 'mch' },
      ])
    )[0]!.code,
  ).toBe('ok');

  const random = mulberry32(20260101);
  const between = (lo: number, hi: number) => BigInt(lo + Math.floor(random() * (hi - lo + 1)));
  const w = zero();
  const openHolds: Array<{ id: string; amount: bigint }> = [];
  const commands: TransferCommand[] = [];
  const base = { currency: 'CNY', code: 'test_move' } as const;
  const record = (command: TransferCommand) => {
    commands.push(command);
    walletHistory.push({ transferId: command.id, balances: { ...w } });
  };

  // One hold that will expire, first, so that its expiry is the 250th change.
  const expiring = transferId();
  w.creditsPosted += 100n;
  record({
    ...base,
    id: transferId(),
    debitAccountId: funding,
    creditAccountId: wallet,
    amountMinor: 100n,
  });
  w.debitsPending += 40n;
  record({
    ...base,
    id: expiring,
    debitAccountId: wallet,
    creditAccountId: merchant,
    amountMinor: 40n,
    flags: { pending: true },
    timeoutSeconds: 60,
  });

  while (walletHistory.length < 249) {
    const available = w.creditsPosted - w.debitsPosted - w.debitsPending;
    const r = random();
    const id = transferId();
    if (available < 500n || r < 0.25) {
      const amount = between(500, 2000);
      w.creditsPosted += amount;
      record({
        ...base,
        id,
        debitAccountId: funding,
        creditAccountId: wallet,
        amountMinor: amount,
      });
    } else if (r < 0.45) {
      const amount = between(1, 300);
      w.debitsPosted += amount;
      record({
        ...base,
        id,
        debitAccountId: wallet,
        creditAccountId: merchant,
        amountMinor: amount,
      });
    } else if (r < 0.55) {
      const amount = between(1, 50);
      w.creditsPosted += amount;
      record({
        ...base,
        id,
        debitAccountId: merchant,
        creditAccountId: wallet,
        amountMinor: amount,
      });
    } else if (r < 0.75 || openHolds.length === 0) {
      const amount = between(1, 300);
      w.debitsPending += amount;
      openHolds.push({ id, amount });
      record({
        ...base,
        id,
        debitAccountId: wallet,
        creditAccountId: merchant,
        amountMinor: amount,
        flags: { pending: true },
      });
    } else {
      const hold = openHolds.splice(Math.floor(random() * openHolds.length), 1)[0]!;
      w.debitsPending -= hold.amount;
      if (r < 0.9) {
        const posted = random() < 0.5 ? hold.amount : between(1, Number(hold.amount));
        w.debitsPosted += posted;
        record({ id, pendingId: hold.id, amountMinor: posted, flags: { postPending: true } });
      } else {
        record({ id, pendingId: hold.id, flags: { voidPending: true } });
      }
    }
  }

  for (let i = 0; i < commands.length;) {
    const size = 1 + Math.floor(random() * 12);
    const batch = commands.slice(i, i + size);
    const results = await ledger.submit(batch);
    expect(results.map((r) => r.code)).toEqual(batch.map(() => 'ok'));
    i += size;
  }

  clock.advanceMs(61_000);
  expect(await ledger.expireDueHolds()).toBe(1);
  const expiry = await db.pool.query<{ id: string }>(
    `SELECT id FROM ledger_transfers WHERE pending_id = $1 AND kind = 'expire_pending'`,
    [expiring],
  );
  w.debitsPending -= 40n;
  walletHistory.push({ transferId: expiry.rows[0]!.id, balances: { ...w } });
  expect(walletHistory).toHaveLength(250);
});

/** Pages through an account's whole statement; returns the pages as they came. */
async function allPages(
  l: Ledger,
  account: string,
  limit: number,
): Promise<Array<{ data: readonly StatementRow[]; hasMore: boolean }>> {
  const pages: Array<{ data: readonly StatementRow[]; hasMore: boolean }> = [];
  let beforeSeq: bigint | undefined;
  for (;;) {
    const page = await l.statement(
      account,
      beforeSeq === undefined ? { limit } : { limit, beforeSeq },
    );
    pages.push(page);
    if (!page.hasMore) return pages;
    beforeSeq = page.data[page.data.length - 1]!.entry.accountSeq;
    if (pages.length > 1000) throw new Error('statement paging does not end');
  }
}

function balancesOf(row: StatementRow): Balances {
  const { debitsPosted, creditsPosted, debitsPending, creditsPending } = row.entry;
  return { debitsPosted, creditsPosted, debitsPending, creditsPending };
}

/**
 * Checks a whole statement against the transfers alone: the entries run n..1, each names its
 * account and carries its own transfer, the set of transfers is exactly the account's, and each
 * row's balances are the previous row's plus its transfer's effect, ending at the account's.
 */
async function expectConsistentStatement(
  account: string,
  rows: readonly StatementRow[],
): Promise<void> {
  expect(rows.map((r) => r.entry.accountSeq)).toEqual(rows.map((_, i) => BigInt(rows.length - i)));
  for (const r of rows) {
    expect(r.entry.accountId).toBe(account);
    expect(r.transfer.id).toBe(r.entry.transferId);
    expect([r.transfer.debitAccountId, r.transfer.creditAccountId]).toContain(account);
  }
  const touching = await db.pool.query<{ id: string }>(
    'SELECT id FROM ledger_transfers WHERE debit_account_id = $1 OR credit_account_id = $1',
    [account],
  );
  expect(rows.map((r) => r.transfer.id).sort()).toEqual(touching.rows.map((t) => t.id).sort());

  const pendingIds = rows.flatMap((r) =>
    r.transfer.pendingId === null ? [] : [r.transfer.pendingId],
  );
  const pendings = new Map((await ledger.getTransfers(pendingIds)).map((t) => [t.id, t]));
  const running = zero();
  for (const r of [...rows].reverse()) {
    applyEffect(running, r.transfer, account, pendings);
    expect(balancesOf(r), `after ${r.transfer.id}`).toEqual(running);
  }
  const stored = await ledger.getAccount(account);
  expect(stored!.journalSeq).toBe(BigInt(rows.length));
  const { debitsPosted, creditsPosted, debitsPending, creditsPending } = stored!;
  expect({ debitsPosted, creditsPosted, debitsPending, creditsPending }).toEqual(running);
}

function applyEffect(
  b: Balances,
  t: Transfer,
  account: string,
  pendings: ReadonlyMap<string, Transfer>,
): void {
  const debit = t.debitAccountId === account;
  const released = t.pendingId === null ? 0n : pendings.get(t.pendingId)!.amountMinor;
  const posted = t.kind === 'single' || t.kind === 'post_pending' ? t.amountMinor : 0n;
  const pending = t.kind === 'pending' ? t.amountMinor : -released;
  if (debit) {
    b.debitsPosted += posted;
    b.debitsPending += pending;
  } else {
    b.creditsPosted += posted;
    b.creditsPending += pending;
  }
}

/** Two fresh accounts and `count` transfers of 1 from the first to the second. */
async function pairWithTransfers(count: number): Promise<[string, string]> {
  const a = accountId();
  const b = accountId();
  const created = await ledger.createAccounts([
    { id: a, currency: 'CNY', code: 'test_account', owner: 'system' },
    { id: b, currency: 'CNY', code: 'test_account', owner: 'system' },
  ]);
  expect(created.map((r) => r.code)).toEqual(['ok', 'ok']);
  await pairTransfers(a, b, count);
  return [a, b];
}

async function pairTransfers(from: string, to: string, count: number): Promise<string[]> {
  const commands = Array.from({ length: count }, (): TransferCommand => ({
    id: transferId(),
    debitAccountId: from,
    creditAccountId: to,
    amountMinor: 1n,
    currency: 'CNY',
    code: 'test_move',
  }));
  const results = await ledger.submit(commands);
  expect(results.map((r) => r.code)).toEqual(commands.map(() => 'ok'));
  return commands.map((c) => c.id);
}

describe('statement', () => {
  it('pages 250 entries by 100: newest first, each exactly once, with the balances after each change', async () => {
    const pages = await allPages(ledger, wallet, 100);
    expect(pages.map((p) => p.data.length)).toEqual([100, 100, 50]);
    expect(pages.map((p) => p.hasMore)).toEqual([true, true, false]);
    const rows = pages.flatMap((p) => p.data);
    const expected = [...walletHistory].reverse();
    expect(rows.map((r) => r.transfer.id)).toEqual(expected.map((e) => e.transferId));
    expect(rows.map(balancesOf)).toEqual(expected.map((e) => e.balances));
    expect(rows.map((r) => r.entry.accountSeq)).toEqual(rows.map((_, i) => 250n - BigInt(i)));
    await expectConsistentStatement(wallet, rows);
  });

  it('carries each transfer as stored', async () => {
    const { data } = await ledger.statement(wallet, { limit: 100 });
    const stored = new Map(
      (await ledger.getTransfers(data.map((r) => r.transfer.id))).map((t) => [t.id, t]),
    );
    for (const row of data) expect(row.transfer).toEqual(stored.get(row.transfer.id));
    expect(new Set(data.map((r) => r.transfer.kind))).toEqual(
      new Set(['single', 'pending', 'post_pending', 'void_pending', 'expire_pending']),
    );
  });

  it('is right for the other side of every transfer, at odd page sizes', async () => {
    for (const account of [merchant, funding]) {
      for (const limit of [1, 7, 100]) {
        const pages = await allPages(ledger, account, limit);
        const rows = pages.flatMap((p) => p.data);
        expect(pages.slice(0, -1).every((p) => p.hasMore && p.data.length === limit)).toBe(true);
        expect(pages.at(-1)!.hasMore).toBe(false);
        await expectConsistentStatement(account, rows);
      }
    }
  });

  it('says hasMore exactly when more entries follow, also when the last page is full', async () => {
    const [a] = await pairWithTransfers(4);
    const first = await ledger.statement(a, { limit: 2 });
    expect(first.data.map((r) => r.entry.accountSeq)).toEqual([4n, 3n]);
    expect(first.hasMore).toBe(true);
    const second = await ledger.statement(a, { limit: 2, beforeSeq: 3n });
    expect(second.data.map((r) => r.entry.accountSeq)).toEqual([2n, 1n]);
    expect(second.data.map((r) => r.entry.debitsPosted)).toEqual([2n, 1n]);
    expect(second.hasMore).toBe(false);
    expect(await ledger.statement(a, { limit: 4 })).toMatchObject({ hasMore: false });
    expect(await ledger.statement(a, { limit: 3 })).toMatchObject({ hasMore: true });
    expect(await ledger.statement(a, { beforeSeq: 1n })).toEqual({ data: [], hasMore: false });
    // A cursor past the newest entry starts from the newest.
    const past = await ledger.statement(a, { beforeSeq: 1000n });
    expect(past.data.map((r) => r.entry.accountSeq)).toEqual([4n, 3n, 2n, 1n]);
  });

  it('continues where the previous page ended while new entries arrive', async () => {
    const [a, b] = await pairWithTransfers(5);
    const first = await ledger.statement(a, { limit: 2 });
    expect(first.data.map((r) => r.entry.accountSeq)).toEqual([5n, 4n]);
    const more = await pairTransfers(a, b, 3);
    const second = await ledger.statement(a, { limit: 2, beforeSeq: 4n });
    expect(second.data.map((r) => r.entry.accountSeq)).toEqual([3n, 2n]);
    const third = await ledger.statement(a, { limit: 2, beforeSeq: 2n });
    expect(third.data.map((r) => r.entry.accountSeq)).toEqual([1n]);
    expect(third.hasMore).toBe(false);
    // The new entries are on top, for the next first page.
    const newest = await ledger.statement(a, { limit: 3 });
    expect(newest.data.map((r) => r.transfer.id)).toEqual([...more].reverse());
    expect(newest.data[0]!.entry.debitsPosted).toBe(8n);
  });

  it('records no entry for a refused transfer', async () => {
    const before = await ledger.getAccount(wallet);
    const [r] = await ledger.submit([
      {
        id: transferId(),
        debitAccountId: wallet,
        creditAccountId: merchant,
        amountMinor: 10n ** 12n,
        currency: 'CNY',
        code: 'test_move',
      },
    ]);
    expect(r!.code).toBe('exceeds_credits');
    const newest = await ledger.statement(wallet, { limit: 1 });
    expect(newest.data[0]!.entry.accountSeq).toBe(before!.journalSeq);
    expect((await ledger.getAccount(wallet))!.journalSeq).toBe(before!.journalSeq);
  });

  it('clamps the page size, and is empty for an account without entries or an unknown one', async () => {
    expect((await ledger.statement(wallet)).data).toHaveLength(limits.pageSizeDefault);
    expect((await ledger.statement(wallet, { limit: 1000 })).data).toHaveLength(limits.pageSizeMax);
    expect((await ledger.statement(wallet, { limit: 0 })).data).toHaveLength(1);
    const idle = accountId();
    await ledger.createAccounts([
      { id: idle, currency: 'CNY', code: 'test_account', owner: 'system' },
    ]);
    expect(await ledger.statement(idle)).toEqual({ data: [], hasMore: false });
    expect(await ledger.statement(accountId())).toEqual({ data: [], hasMore: false });
  });
});
