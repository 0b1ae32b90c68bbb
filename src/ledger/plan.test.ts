/**
 * The pure planner, without a database: table-driven cases of what a batch decides and writes.
 * The database-backed tests in test/ cover the same rules end to end.
 */
import { describe, expect, it } from 'vitest';
import { newId } from '../lib/ids.js';
import { planBatch, type HoldRef, type LedgerCommand } from './plan.js';
import { accountFixture } from '../../test/ledger-fixtures.js';
import type { TransferCommand } from './types.js';

const NOW = Date.UTC(2026, 0, 1);
const acc = accountFixture;
const wallet = acc({ debitsMustNotExceedCredits: true, creditsPosted: 100n, journalSeq: 1n });
const shop = acc({ code: 'merchant' });
const move = (amount: bigint, extra: Partial<TransferCommand> = {}): TransferCommand => ({
  id: newId('trf', NOW),
  debitAccountId: wallet.id,
  creditAccountId: shop.id,
  amountMinor: amount,
  currency: 'CNY',
  code: 'payment',
  ...extra,
});
const plan = (commands: LedgerCommand[], holds = new Map<string, HoldRef>()) =>
  planBatch({
    commands,
    accounts: new Map([
      [wallet.id, wallet],
      [shop.id, shop],
    ]),
    existing: new Map(),
    holds,
    nowMs: NOW,
  });

describe('planBatch', () => {
  it('applies commands in order, each seeing the ones before', () => {
    const p = plan([move(60n), move(60n), move(40n)]);
    expect(p.results.map((r) => r.code)).toEqual(['ok', 'exceeds_credits', 'ok']);
    expect(p.inserts).toHaveLength(2);
    const final = p.accounts.find((a) => a.id === wallet.id)!;
    expect(final).toMatchObject({ debitsPosted: 100n, journalSeq: 3n });
    // Journal rows carry the balances after each change, in order.
    expect(
      p.entries.filter((e) => e.accountId === wallet.id).map((e) => [e.accountSeq, e.debitsPosted]),
    ).toEqual([
      [2n, 60n],
      [3n, 100n],
    ]);
  });

  it('undoes a failed chain completely, including its journal rows and holds', () => {
    const hold = move(10n, { flags: { pending: true, linked: true } });
    const p = plan([hold, move(95n)]);
    expect(p.results.map((r) => r.code)).toEqual(['linked_event_failed', 'exceeds_credits']);
    expect(p.inserts).toEqual([]);
    expect(p.entries).toEqual([]);
    expect(p.accounts.every((a) => a.journalSeq === (a.id === wallet.id ? 1n : 0n))).toBe(true);
    expect(p.holdsOpened).toEqual([]);
  });

  it('opens a hold and resolves it within one batch without touching the open-hold table', () => {
    const hold = move(30n, { flags: { pending: true }, timeoutSeconds: 60 });
    const p = plan([
      hold,
      { id: newId('trf', NOW), pendingId: hold.id, flags: { postPending: true }, amountMinor: 20n },
    ]);
    expect(p.results.map((r) => r.code)).toEqual(['ok', 'ok']);
    expect(p.holdsOpened).toEqual([]);
    expect(p.holdsClosed).toEqual([]);
    expect(p.accounts.find((a) => a.id === wallet.id)).toMatchObject({
      debitsPosted: 20n,
      debitsPending: 0n,
    });
  });

  it('records expiry of stored holds, and refuses an expired one', () => {
    const pending = { ...move(30n, { flags: { pending: true } }), kind: 'pending' as const };
    const stored: HoldRef = {
      transfer: {
        id: pending.id,
        debitAccountId: wallet.id,
        creditAccountId: shop.id,
        amountMinor: 30n,
        currency: 'CNY',
        code: 'payment',
        kind: 'pending',
        linked: false,
        pendingId: null,
        timeoutSeconds: 1,
        metadata: null,
        createdAtMs: NOW - 2000,
      },
      state: 'open',
      expiresAtMs: NOW - 1000,
    };
    const locked = { ...wallet, debitsPending: 30n };
    const run = (commands: LedgerCommand[]) =>
      planBatch({
        commands,
        accounts: new Map([
          [locked.id, locked],
          [shop.id, { ...shop, creditsPending: 30n }],
        ]),
        existing: new Map(),
        holds: new Map([[pending.id, stored]]),
        nowMs: NOW,
      });
    expect(
      run([{ id: newId('trf', NOW), pendingId: pending.id, flags: { postPending: true } }])
        .results[0]!.code,
    ).toBe('pending_transfer_expired');
    const expired = run([{ expire: true, id: newId('trf', NOW), pendingId: pending.id }]);
    expect(expired.results[0]!.code).toBe('ok');
    expect(expired.holdsClosed).toEqual([pending.id]);
    expect(expired.inserts[0]).toMatchObject({ kind: 'expire_pending', amountMinor: 30n });
  });
});
