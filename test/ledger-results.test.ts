/**
 * Every ledger result code is produced by at least one case here (the last test checks that
 * none is missing), and every failed command changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../src/limits.js';
import { planBatch } from '../src/ledger/plan.js';
import {
  accountResultCodes,
  batchedWrite,
  type BatchWriter,
  transferResultCodes,
  verifyLedger,
  type Ledger,
  type TransferCommand,
  type TransferResultCode,
  type AccountResultCode,
} from '../src/ledger/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { accountFixture, accountId, setupLedger, T0, transferId } from './ledger-fixtures.js';

const seenTransfer = new Set<TransferResultCode>();
const seenAccount = new Set<AccountResultCode>();

let db: TestDatabase;
let ledger: Ledger;
let clock: ReturnType<typeof setupLedger>['clock'];

beforeAll(async () => {
  db = await createTestDatabase();
  ({ ledger, clock } = setupLedger(db.pool));
});

afterAll(async () => {
  const report = await verifyLedger(db.pool);
  expect(report).toMatchObject({ ok: true });
});

/** Accounts for one case: a funded wallet, a funding account, an asset-side account, a USD one. */
async function accounts() {
  const wallet = accountId();
  const other = accountId();
  const funding = accountId();
  const asset = accountId();
  const usd = accountId();
  const results = await ledger.createAccounts([
    {
      id: wallet,
      currency: 'CNY',
      code: 'user_wallet',
      owner: 'usr_a',
      flags: { debitsMustNotExceedCredits: true },
    },
    {
      id: other,
      currency: 'CNY',
      code: 'user_wallet',
      owner: 'usr_b',
      flags: { debitsMustNotExceedCredits: true },
    },
    { id: funding, currency: 'CNY', code: 'bank_clearing', owner: 'system' },
    {
      id: asset,
      currency: 'CNY',
      code: 'bank_asset',
      owner: 'system',
      flags: { creditsMustNotExceedDebits: true },
    },
    { id: usd, currency: 'USD', code: 'user_wallet', owner: 'usr_a' },
  ]);
  results.forEach((r) => seenAccount.add(r.code));
  const fund = await submit([move(funding, wallet, 1000n)]);
  expect(fund).toEqual(['ok']);
  return { wallet, other, funding, asset, usd };
}

function move(
  debit: string,
  credit: string,
  amount: bigint,
  extra: Partial<TransferCommand> = {},
): TransferCommand {
  return {
    id: transferId(),
    debitAccountId: debit,
    creditAccountId: credit,
    amountMinor: amount,
    currency: 'CNY',
    code: 'test',
    ...extra,
  };
}

async function submit(commands: readonly TransferCommand[]): Promise<TransferResultCode[]> {
  const results = await ledger.submit(commands);
  results.forEach((r) => seenTransfer.add(r.code));
  return results.map((r) => r.code);
}

async function balances(ids: readonly string[]) {
  const rows = await ledger.getAccounts(ids);
  return ids.map((id) => rows.find((a) => a.id === id));
}

/** Runs commands that must all fail and asserts that nothing changed. */
async function expectRefused(
  commands: readonly TransferCommand[],
  codes: readonly TransferResultCode[],
  touched: readonly string[],
) {
  const before = await balances(touched);
  expect(await submit(commands)).toEqual(codes);
  expect(await balances(touched)).toEqual(before);
}

describe('transfer results', () => {
  it('ok, exists and exists_with_different_fields', async () => {
    const { wallet, other } = await accounts();
    const command = move(wallet, other, 10n, { metadata: { order: 'o_1' } });
    expect(await submit([command])).toEqual(['ok']);
    expect(await submit([command])).toEqual(['exists']);
    expect(await submit([{ ...command, metadata: { order: 'o_1' } }])).toEqual(['exists']);
    await expectRefused(
      [{ ...command, amountMinor: 11n }],
      ['exists_with_different_fields'],
      [wallet, other],
    );
    await expectRefused(
      [{ ...command, metadata: { order: 'o_2' } }],
      ['exists_with_different_fields'],
      [wallet, other],
    );
    // Within one batch, a repeated id sees the first.
    const twice = move(wallet, other, 5n);
    expect(await submit([twice, twice, { ...twice, amountMinor: 6n }])).toEqual([
      'ok',
      'exists',
      'exists_with_different_fields',
    ]);
  });

  it('rejects malformed commands with the rule they break', async () => {
    const { wallet, other, usd } = await accounts();
    const cases: Array<[TransferCommand, TransferResultCode]> = [
      [{ ...move(wallet, other, 1n), id: 'trf_bad' }, 'id_invalid'],
      [move('acc_bad', other, 1n), 'account_id_invalid'],
      [move(wallet, wallet, 1n), 'accounts_must_be_different'],
      [move(accountId(), other, 1n), 'account_not_found'],
      [move(wallet, other, 1n, { currency: 'ZZZ' }), 'currency_unknown'],
      [move(wallet, usd, 1n), 'currency_mismatch'],
      [move(wallet, other, 1n, { currency: 'USD' }), 'currency_mismatch'],
      [move(wallet, other, 0n), 'amount_must_be_positive'],
      [move(wallet, other, -5n), 'amount_must_be_positive'],
      [move(wallet, other, limits.amountMinorMax + 1n), 'amount_too_large'],
      [move(wallet, other, 1n, { code: 'Bad Code' }), 'code_invalid'],
      [
        move(wallet, other, 1n, { flags: { pending: true, postPending: true } }),
        'flags_are_mutually_exclusive',
      ],
      [{ id: transferId(), flags: { postPending: true } }, 'pending_id_required'],
      [move(wallet, other, 1n, { pendingId: transferId() }), 'pending_id_must_not_be_set'],
      [
        {
          id: transferId(),
          debitAccountId: wallet,
          creditAccountId: other,
          currency: 'CNY',
          code: 'test',
        },
        'accounts_required',
      ],
      [move(wallet, other, 1n, { timeoutSeconds: 10 }), 'timeout_reserved_for_pending'],
      [move(wallet, other, 1n, { flags: { pending: true }, timeoutSeconds: 0 }), 'timeout_invalid'],
      [
        move(wallet, other, 1n, { flags: { pending: true }, timeoutSeconds: 1.5 }),
        'timeout_invalid',
      ],
      [
        move(wallet, other, 1n, { metadata: { note: 'x'.repeat(limits.metadataBytesMax) } }),
        'metadata_too_large',
      ],
      [move(wallet, other, 1n, { metadata: { n: Number.NaN } }), 'metadata_invalid'],
    ];
    for (const [command, code] of cases)
      await expectRefused([command], [code], [wallet, other, usd]);
  });

  it('enforces balance flags: exceeds_credits and exceeds_debits', async () => {
    const { wallet, other, funding, asset } = await accounts();
    await expectRefused([move(wallet, other, 1001n)], ['exceeds_credits'], [wallet, other]);
    // A pending debit counts against the available balance.
    expect(await submit([move(wallet, other, 600n, { flags: { pending: true } })])).toEqual(['ok']);
    await expectRefused([move(wallet, other, 401n)], ['exceeds_credits'], [wallet, other]);
    expect(await submit([move(wallet, other, 400n)])).toEqual(['ok']);
    await expectRefused([move(funding, asset, 1n)], ['exceeds_debits'], [funding, asset]);
    expect(await submit([move(asset, funding, 5n), move(funding, asset, 5n)])).toEqual([
      'ok',
      'ok',
    ]);
  });

  it('frozen and closed accounts', async () => {
    const { wallet, other, funding } = await accounts();
    expect((await ledger.freezeAccount(wallet)).code).toBe('ok');
    await expectRefused([move(wallet, other, 1n)], ['account_frozen'], [wallet, other]);
    // A plain freeze rejects debits only; credits still arrive.
    expect(await submit([move(funding, wallet, 1n)])).toEqual(['ok']);
    expect((await ledger.freezeAccount(wallet, { blockCredits: true })).code).toBe('ok');
    await expectRefused([move(funding, wallet, 1n)], ['account_frozen'], [wallet, funding]);
    expect((await ledger.unfreezeAccount(wallet)).code).toBe('ok');
    expect(await submit([move(wallet, other, 1n)])).toEqual(['ok']);

    const empty = accountId();
    seenAccount.add(
      (
        await ledger.createAccounts([
          { id: empty, currency: 'CNY', code: 'user_wallet', owner: 'usr_c' },
        ])
      )[0]!.code,
    );
    const notZero = await ledger.closeAccount(wallet);
    seenAccount.add(notZero.code);
    expect(notZero.code).toBe('account_balance_not_zero');
    expect((await ledger.closeAccount(empty)).code).toBe('ok');
    await expectRefused([move(funding, empty, 1n)], ['account_closed'], [funding, empty]);
    for (const r of [
      await ledger.freezeAccount(empty),
      await ledger.unfreezeAccount(empty),
      await ledger.freezeAccount(accountId()),
    ]) {
      seenAccount.add(r.code);
    }
    expect((await ledger.freezeAccount(empty)).code).toBe('account_closed');
    expect((await ledger.freezeAccount(accountId())).code).toBe('account_not_found');
  });

  it('holds: post in part, void, and every way a resolution can be refused', async () => {
    const { wallet, other, usd } = await accounts();
    const hold = move(wallet, other, 300n, { flags: { pending: true }, timeoutSeconds: 60 });
    expect(await submit([hold])).toEqual(['ok']);
    const post = (extra: Partial<TransferCommand> = {}): TransferCommand => ({
      id: transferId(),
      pendingId: hold.id,
      flags: { postPending: true },
      ...extra,
    });
    const voidIt = (extra: Partial<TransferCommand> = {}): TransferCommand => ({
      id: transferId(),
      pendingId: hold.id,
      flags: { voidPending: true },
      ...extra,
    });
    await expectRefused(
      [post({ amountMinor: 301n })],
      ['amount_exceeds_pending_amount'],
      [wallet, other],
    );
    await expectRefused(
      [post({ debitAccountId: other })],
      ['pending_transfer_has_different_accounts'],
      [wallet, other],
    );
    await expectRefused([post({ currency: 'USD' })], ['currency_mismatch'], [wallet, other, usd]);
    await expectRefused(
      [voidIt({ amountMinor: 1n })],
      ['pending_transfer_has_different_amount'],
      [wallet, other],
    );
    await expectRefused(
      [{ id: transferId(), pendingId: transferId(), flags: { postPending: true } }],
      ['pending_transfer_not_found'],
      [wallet],
    );
    const plain = move(wallet, other, 1n);
    expect(await submit([plain])).toEqual(['ok']);
    await expectRefused(
      [{ id: transferId(), pendingId: plain.id, flags: { voidPending: true } }],
      ['pending_transfer_not_pending'],
      [wallet, other],
    );

    expect(await submit([post({ amountMinor: 120n })])).toEqual(['ok']);
    const [w, o] = await balances([wallet, other]);
    expect(w).toMatchObject({ debitsPosted: 121n, debitsPending: 0n, creditsPosted: 1000n });
    expect(o).toMatchObject({ creditsPosted: 121n, creditsPending: 0n });
    await expectRefused([post()], ['pending_transfer_already_posted'], [wallet, other]);
    await expectRefused([voidIt()], ['pending_transfer_already_posted'], [wallet, other]);

    const hold2 = move(wallet, other, 50n, { flags: { pending: true } });
    expect(
      await submit([
        hold2,
        { id: transferId(), pendingId: hold2.id, flags: { voidPending: true } },
      ]),
    ).toEqual(['ok', 'ok']);
    await expectRefused(
      [{ id: transferId(), pendingId: hold2.id, flags: { postPending: true } }],
      ['pending_transfer_already_voided'],
      [wallet, other],
    );
  });

  it('holds expire: refused after the timeout, then voided by the worker', async () => {
    const { wallet, other } = await accounts();
    const hold = move(wallet, other, 200n, { flags: { pending: true }, timeoutSeconds: 30 });
    expect(await submit([hold])).toEqual(['ok']);
    clock.advanceMs(30_000);
    await expectRefused(
      [{ id: transferId(), pendingId: hold.id, flags: { postPending: true } }],
      ['pending_transfer_expired'],
      [wallet, other],
    );
    expect(await ledger.expireDueHolds()).toBeGreaterThanOrEqual(1);
    const [w] = await balances([wallet]);
    expect(w).toMatchObject({ debitsPending: 0n, debitsPosted: 0n });
    await expectRefused(
      [{ id: transferId(), pendingId: hold.id, flags: { voidPending: true } }],
      ['pending_transfer_expired'],
      [wallet, other],
    );
    expect(await ledger.expireDueHolds()).toBe(0);
  });

  it('linked chains succeed or fail together', async () => {
    const { wallet, other, funding } = await accounts();
    const ok = [move(wallet, other, 10n, { flags: { linked: true } }), move(other, funding, 10n)];
    expect(await submit(ok)).toEqual(['ok', 'ok']);
    const failing = [
      move(wallet, other, 100n, { flags: { linked: true } }),
      move(wallet, other, 100_000n, { flags: { linked: true } }),
      move(other, funding, 1n),
    ];
    await expectRefused(
      failing,
      ['linked_event_failed', 'exceeds_credits', 'linked_event_failed'],
      [wallet, other, funding],
    );
    await expectRefused(
      [
        move(wallet, other, 1n, { flags: { linked: true } }),
        move(wallet, other, 1n, { flags: { linked: true } }),
      ],
      ['linked_event_failed', 'linked_event_chain_open'],
      [wallet, other],
    );
    // A failed chain does not affect the commands around it.
    const around = [
      move(wallet, other, 1n),
      move(wallet, other, 0n, { flags: { linked: true } }),
      move(wallet, other, 1n),
      move(wallet, other, 2n),
    ];
    expect(await submit(around)).toEqual([
      'ok',
      'amount_must_be_positive',
      'linked_event_failed',
      'ok',
    ]);
  });

  it('the batcher gives each caller its own result, and refuses an open chain', async () => {
    const { wallet, other } = await accounts();
    const results = await Promise.all([
      ledger.transfer(move(wallet, other, 1n)),
      ledger.transfer(move(wallet, other, 0n)),
      ledger.transferChain([
        move(wallet, other, 1n, { flags: { linked: true } }),
        move(wallet, other, 1n),
      ]),
      ledger.transferChain([move(wallet, other, 1n, { flags: { linked: true } })]),
    ]);
    expect(results[0]!.code).toBe('ok');
    expect(results[1]!.code).toBe('amount_must_be_positive');
    expect((results[2] as Array<{ code: string }>).map((r) => r.code)).toEqual(['ok', 'ok']);
    expect((results[3] as Array<{ code: string }>).map((r) => r.code)).toEqual([
      'linked_event_chain_open',
    ]);
    seenTransfer.add('linked_event_chain_open');
  });

  it('a failing domain write fails only its own command, and a retried batch writes once', async () => {
    const { wallet, other } = await accounts();
    await db.pool.query('CREATE TABLE IF NOT EXISTS domain_orders (transfer_id text PRIMARY KEY)');
    const boom = async () => {
      throw new Error('domain write failed');
    };
    const good = move(wallet, other, 1n);
    const bad = move(wallet, other, 2n);
    // Both usually share one batch: it rolls back, then each runs alone, so the good write runs
    // twice but commits once (a second commit would break the primary key).
    const [a, b] = await Promise.allSettled([
      ledger.transfer(good, async (tx, result) => {
        await tx.query('INSERT INTO domain_orders (transfer_id) VALUES ($1)', [result.id]);
      }),
      ledger.transfer(bad, boom),
    ]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    const { rows } = await db.pool.query('SELECT transfer_id FROM domain_orders');
    expect(rows).toEqual([{ transfer_id: good.id }]);
    expect((await ledger.getTransfers([good.id, bad.id])).map((t) => t.id)).toEqual([good.id]);
  });

  it('a batched write runs once per batch with every successful command that carries it', async () => {
    const { wallet, other } = await accounts();
    await db.pool.query('CREATE TABLE IF NOT EXISTS domain_marks (transfer_id text PRIMARY KEY)');
    const calls: string[][] = [];
    const mark: BatchWriter<string> = async (tx, items) => {
      calls.push(items.map((i) => i.item));
      expect(items.every((i) => i.result.code === 'ok' && i.result.id === i.item)).toBe(true);
      await tx.query('INSERT INTO domain_marks SELECT unnest($1::text[])', [
        items.map((i) => i.item),
      ]);
    };
    const commands = [
      move(wallet, other, 1n),
      move(wallet, other, 0n),
      move(wallet, other, 2n),
      move(wallet, other, 3n),
    ];
    const results = await ledger.submit(commands, {
      writes: commands.map((c) => batchedWrite(mark, c.id)),
    });
    expect(results.map((r) => r.code)).toEqual(['ok', 'amount_must_be_positive', 'ok', 'ok']);
    const succeeded = [commands[0]!.id, commands[2]!.id, commands[3]!.id];
    expect(calls).toEqual([succeeded]);
    const { rows } = await db.pool.query<{ transfer_id: string }>(
      'SELECT transfer_id FROM domain_marks ORDER BY transfer_id',
    );
    expect(rows.map((r) => r.transfer_id)).toEqual([...succeeded].sort());
  });

  it('account creation results', async () => {
    const id = accountId();
    const base = { id, currency: 'CNY', code: 'user_wallet', owner: 'usr_x' };
    const results = await ledger.createAccounts([
      base,
      base,
      { ...base, owner: 'usr_y' },
      { ...base, id: 'acc_nope' },
      { ...base, id: accountId(), currency: 'ABC' },
      { ...base, id: accountId(), code: 'UPPER' },
      { ...base, id: accountId(), owner: '' },
      {
        ...base,
        id: accountId(),
        flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: true },
      },
    ]);
    results.forEach((r) => seenAccount.add(r.code));
    expect(results.map((r) => r.code)).toEqual([
      'ok',
      'exists',
      'exists_with_different_fields',
      'account_id_invalid',
      'currency_unknown',
      'code_invalid',
      'owner_invalid',
      'account_flags_are_mutually_exclusive',
    ]);
    expect((await ledger.createAccounts([base]))[0]!.code).toBe('exists');
  });

  it('overflow codes (int8 balances) come from the pure planner', () => {
    // Reaching 2^63 through real transfers would take ~9,000 maximum transfers; the planner is
    // given accounts already near the limit instead.
    const near = 2n ** 63n - 10n;
    const debit = accountFixture();
    const credit = accountFixture();
    const plan = (d: typeof debit, c: typeof credit) =>
      planBatch({
        commands: [move(d.id, c.id, 20n)],
        accounts: new Map([
          [d.id, d],
          [c.id, c],
        ]),
        existing: new Map(),
        holds: new Map(),
        nowMs: T0,
      }).results[0]!.code;
    const codes = [
      plan({ ...debit, debitsPosted: near }, credit),
      plan(debit, { ...credit, creditsPending: near }),
    ];
    expect(codes).toEqual(['overflows_debits', 'overflows_credits']);
    codes.forEach((c) => seenTransfer.add(c));
  });

  it('every documented code was produced', () => {
    expect([...seenTransfer].sort()).toEqual(Object.keys(transferResultCodes).sort());
    expect([...seenAccount].sort()).toEqual(Object.keys(accountResultCodes).sort());
  });
});
