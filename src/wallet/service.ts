import { withTransaction, sqlState, SQLSTATE, type Executor, type Pool } from '../db/index.js';
import type { IdentityFailure, IdentityServices, User } from '../identity/index.js';
import {
  batchedWrite,
  type BatchWriter,
  type Ledger,
  type TransferResultCode,
} from '../ledger/index.js';
import { appendUserEvents, type NewUserEvent, type UserEventType } from '../events/index.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import type { Money } from '../money/index.js';
import type { RiskPolicy } from '../risk/index.js';
import { ensureSystemAccount, ensureWalletAccount, walletAccounts } from './accounts.js';
import type { WalletFailure } from './codes.js';
import { settlementTransferId } from './ids.js';
import {
  hasPaidBefore,
  insertTransfer,
  moveStatus,
  moveStatuses,
  selectByKey,
  selectDue,
  selectTransfer,
  selectUnsettled,
  type Arrival,
  type WalletTransfer,
} from './transfers-sql.js';

export type WalletResult<T> = ({ readonly ok: true } & T) | WalletFailure | IdentityFailure;

export interface WalletDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly identity: IdentityServices;
  readonly risk: RiskPolicy;
  /** Currencies users may hold; CNY first. */
  readonly currencies: readonly string[];
}

export interface Balance {
  readonly currency: string;
  readonly availableMinor: bigint;
  readonly pendingMinor: bigint;
  readonly totalMinor: bigint;
}

export interface P2PInput {
  readonly recipientId: string;
  readonly amount: Money;
  readonly note: string | undefined;
  readonly arrival: Arrival;
  readonly confirmation: string | undefined;
  readonly confirmNewPayee: boolean;
  readonly idempotencyKey: string;
}

export interface WalletService {
  balances(userId: string): Promise<Balance[]>;
  transfer(payerId: string, input: P2PInput): Promise<WalletResult<{ transfer: WalletTransfer }>>;
  cancel(payerId: string, transferId: string): Promise<WalletResult<{ transfer: WalletTransfer }>>;
  /** Whether the payer has completed a transfer to the payee before. */
  hasPaid(payerId: string, payeeId: string): Promise<boolean>;
  /** A transfer the user paid or received; another user's id is not found. */
  getTransfer(userId: string, transferId: string): Promise<WalletTransfer | undefined>;
  /** Jobs: release held transfers that are due; settle transfers a crash left half-way. */
  releaseDue(): Promise<number>;
  recoverUnsettled(): Promise<number>;
}

const ARRIVAL_DELAY_MS: Readonly<Record<Arrival, number>> = {
  instant: 0,
  delay_2h: 2 * 3_600_000,
  delay_24h: 24 * 3_600_000,
};

/** A failure found while preparing, carried out of the transaction to roll it back. */
class Refusal extends Error {
  constructor(readonly outcome: WalletFailure | IdentityFailure) {
    super(outcome.code);
  }
}

function ledgerFailure(code: TransferResultCode): WalletFailure {
  switch (code) {
    case 'exceeds_credits':
      return failure('insufficient_funds', { param: 'amount' });
    case 'account_frozen':
      return failure('wallet_frozen');
    default:
      throw new Error(`unexpected ledger result for a P2P transfer: ${code}`);
  }
}

/**
 * What to tell the two people, in the transaction of the money movement: the payer when the
 * money leaves (or comes back), the payee when it arrives.
 */
function announcements(
  transfer: WalletTransfer,
  what: 'completed' | 'held' | 'released' | 'cancelled',
): NewUserEvent[] {
  const data = {
    transfer_id: transfer.id,
    amount_minor: String(transfer.amountMinor),
    currency: transfer.currency,
  };
  const events: Array<{ userId: string; type: UserEventType }> = [];
  if (what === 'completed' || what === 'held') {
    events.push({
      userId: transfer.payerId,
      type: what === 'held' ? 'transfer.held' : 'transfer.sent',
    });
    events.push({ userId: transfer.payerId, type: 'balance.changed' });
  }
  if (what === 'completed' || what === 'released') {
    events.push({ userId: transfer.payeeId, type: 'transfer.received' });
    events.push({ userId: transfer.payeeId, type: 'balance.changed' });
  }
  if (what === 'cancelled') {
    events.push({ userId: transfer.payerId, type: 'transfer.cancelled' });
    events.push({ userId: transfer.payerId, type: 'balance.changed' });
  }
  return events.map((e) => ({ ...e, data }));
}

/**
 * The ledger batch's share of P2P payments: every payment the batch moved gets its status and
 * its events in two statements, however many payments the batch holds.
 */
const paymentsMoved: BatchWriter<{
  readonly transfer: WalletTransfer;
  readonly to: 'held' | 'completed';
  readonly at: Date;
}> = async (tx, items) => {
  const at = items[0]!.item.at;
  await moveStatuses(
    tx,
    items.map(({ item }) => ({ id: item.transfer.id, to: item.to })),
    ['processing'],
    at,
  );
  await appendUserEvents(
    tx,
    items.flatMap(({ item }) => announcements(item.transfer, item.to)),
    at,
  );
};

export function createWalletService(deps: WalletDeps): WalletService {
  const { pool, clock, ledger, identity } = deps;
  const now = () => new Date(clock.nowMs());

  async function accountOf(user: User, currency: string): Promise<string> {
    return ensureWalletAccount(pool, ledger, user, currency, now());
  }

  async function checkParties(
    payerId: string,
    input: P2PInput,
  ): Promise<WalletResult<{ payer: User; payee: User; firstTime: boolean }>> {
    if (!deps.currencies.includes(input.amount.currency)) {
      return failure('currency_not_enabled', { param: 'amount.currency' });
    }
    if (input.recipientId === payerId) return failure('cannot_pay_self', { param: 'recipient' });
    // Independent reads, so they go out together rather than one after another.
    const [payer, payee, paidBefore] = await Promise.all([
      identity.identity.requireVerified(payerId),
      identity.identity.getUser(input.recipientId),
      hasPaidBefore(pool, payerId, input.recipientId),
    ]);
    if (!payer.ok) return payer;
    if (payee === undefined) return failure('recipient_not_found', { param: 'recipient' });
    if (!payee.contactVerified) return failure('recipient_not_verified', { param: 'recipient' });
    const firstTime = !paidBefore;
    if (firstTime && !input.confirmNewPayee) {
      return failure('new_payee_confirmation_required', { param: 'confirm_new_payee' });
    }
    return { ok: true, payer: payer.user, payee, firstTime };
  }

  /**
   * Step one of a payment, in its own transaction: step-up, limits, the risk decision and the
   * transfer's record. Either all of it commits or none (a refusal changes nothing). The money
   * moves in step two; if that fails the reservation is given back (step three).
   */
  async function prepare(
    payer: User,
    payee: User,
    input: P2PInput,
    holdMs: number,
    holdReason: WalletTransfer['holdReason'],
  ): Promise<WalletResult<{ transfer: WalletTransfer }>> {
    const nowMs = clock.nowMs();
    const binding = {
      amountMinor: input.amount.amountMinor,
      currency: input.amount.currency,
      payee: payee.id,
    };
    try {
      return await withTransaction(pool, async (tx) => {
        const authorized = await identity.stepUp.authorize(
          tx,
          payer.id,
          binding,
          input.confirmation,
        );
        if (!authorized.ok) throw new Refusal(authorized);
        const reserved = await reserveLimit(tx, payer.id, input.amount);
        if (!reserved.ok) throw new Refusal(reserved);
        const transfer: WalletTransfer = {
          id: newId('trf', nowMs),
          payerId: payer.id,
          payeeId: payee.id,
          amountMinor: input.amount.amountMinor,
          currency: input.amount.currency,
          note: input.note ?? null,
          arrival: input.arrival,
          status: 'processing',
          failureCode: null,
          holdReason,
          releaseAt: holdMs > 0 ? new Date(nowMs + holdMs) : null,
          confirmation: authorized.method,
          limitReservedAt: reserved.reservedAt,
          createdAt: new Date(nowMs),
          updatedAt: new Date(nowMs),
          completedAt: null,
        };
        await insertTransfer(tx, { ...transfer, idempotencyKey: input.idempotencyKey });
        return { ok: true as const, transfer };
      });
    } catch (error) {
      if (error instanceof Refusal) return error.outcome;
      if (sqlState(error) === SQLSTATE.uniqueViolation) {
        const existing = await selectByKey(pool, payer.id, input.idempotencyKey);
        if (existing !== undefined) return { ok: true, transfer: existing };
      }
      throw error;
    }
  }

  /** Payment limits count in CNY; other currencies count once conversion exists (FX). */
  async function reserveLimit(
    tx: Executor,
    payerId: string,
    amount: Money,
  ): Promise<WalletResult<{ reservedAt: Date }>> {
    if (amount.currency !== 'CNY') return { ok: true, reservedAt: now() };
    return identity.paymentLimits.reserve(tx, payerId, amount.amountMinor);
  }

  async function releaseLimit(tx: Executor, transfer: WalletTransfer): Promise<void> {
    if (transfer.currency !== 'CNY') return;
    await identity.paymentLimits.release(
      tx,
      transfer.payerId,
      transfer.amountMinor,
      transfer.limitReservedAt,
    );
  }

  /** Step three: the money did not move, so the reservation goes back and the record fails. */
  async function abandon(transfer: WalletTransfer, code: string): Promise<void> {
    await withTransaction(pool, async (tx) => {
      if (
        await moveStatus(tx, transfer.id, ['processing'], 'failed', now(), { failureCode: code })
      ) {
        await releaseLimit(tx, transfer);
      }
    });
  }

  async function move(
    payer: User,
    payee: User,
    transfer: WalletTransfer,
  ): Promise<WalletResult<{ transfer: WalletTransfer }>> {
    const held = transfer.releaseAt !== null;
    const at = now();
    const debit = await accountOf(payer, transfer.currency);
    const credit = held
      ? await ensureSystemAccount(ledger, 'transfer_hold', transfer.currency)
      : await accountOf(payee, transfer.currency);
    const result = await ledger.transfer(
      {
        id: transfer.id,
        debitAccountId: debit,
        creditAccountId: credit,
        amountMinor: transfer.amountMinor,
        currency: transfer.currency,
        code: held ? 'p2p_held' : 'p2p',
      },
      batchedWrite(paymentsMoved, { transfer, to: held ? 'held' : 'completed', at }),
    );
    if (result.code === 'ok') {
      const status = held ? 'held' : 'completed';
      return {
        ok: true,
        transfer: { ...transfer, status, updatedAt: at, completedAt: held ? null : at },
      };
    }
    if (result.code !== 'exists') {
      const refused = ledgerFailure(result.code);
      await abandon(transfer, refused.code);
      return refused;
    }
    return { ok: true, transfer: (await selectTransfer(pool, transfer.id)) ?? transfer };
  }

  async function transfer(
    payerId: string,
    input: P2PInput,
  ): Promise<WalletResult<{ transfer: WalletTransfer }>> {
    const [replay, parties] = await Promise.all([
      selectByKey(pool, payerId, input.idempotencyKey),
      checkParties(payerId, input),
    ]);
    if (replay !== undefined) return { ok: true, transfer: replay };
    if (!parties.ok) return parties;
    const { payer, payee, firstTime } = parties;
    const decision = deps.risk.decide({
      kind: 'p2p',
      payerId,
      payeeId: payee.id,
      amountMinor: input.amount.amountMinor,
      currency: input.amount.currency,
      firstTimePayee: firstTime,
    });
    if (decision.action === 'block') return failure('payment_blocked', { detail: decision.reason });
    const delayMs = ARRIVAL_DELAY_MS[input.arrival];
    const riskMs = decision.action === 'hold' ? decision.holdMs : 0;
    const holdReason =
      delayMs === 0 && riskMs === 0
        ? null
        : riskMs > delayMs
          ? 'risk'
          : (input.arrival as 'delay_2h' | 'delay_24h');
    const prepared = await prepare(payer, payee, input, Math.max(delayMs, riskMs), holdReason);
    if (!prepared.ok || prepared.transfer.status !== 'processing') return prepared;
    return move(payer, payee, prepared.transfer);
  }

  /** Moves a held transfer out of the hold account: to the payee, or back to the payer. */
  async function settle(transfer: WalletTransfer, purpose: 'release' | 'cancel'): Promise<boolean> {
    const users = await Promise.all([
      identity.identity.getUser(transfer.payerId),
      identity.identity.getUser(transfer.payeeId),
    ]);
    const target = purpose === 'release' ? users[1] : users[0];
    if (target === undefined) throw new Error(`transfer ${transfer.id} has lost a party`);
    const result = await ledger.transfer(
      {
        id: settlementTransferId(transfer.id, transfer.createdAt.getTime(), purpose),
        debitAccountId: await ensureSystemAccount(ledger, 'transfer_hold', transfer.currency),
        creditAccountId: await accountOf(target, transfer.currency),
        amountMinor: transfer.amountMinor,
        currency: transfer.currency,
        code: purpose === 'release' ? 'p2p_release' : 'p2p_cancel',
      },
      async (tx) => {
        const from = purpose === 'release' ? 'releasing' : 'cancelling';
        await moveStatus(
          tx,
          transfer.id,
          [from],
          purpose === 'release' ? 'completed' : 'cancelled',
          now(),
        );
        if (purpose === 'cancel') await releaseLimit(tx, transfer);
        await appendUserEvents(
          tx,
          announcements(transfer, purpose === 'release' ? 'released' : 'cancelled'),
          now(),
        );
      },
    );
    return result.code === 'ok' || result.code === 'exists';
  }

  return {
    async balances(userId) {
      const refs = await walletAccounts(pool, userId);
      const accounts = await ledger.getAccounts(refs.map((r) => r.accountId));
      return accounts.map((a) => {
        const total = a.creditsPosted - a.debitsPosted;
        return {
          currency: a.currency,
          availableMinor: total - a.debitsPending,
          pendingMinor: a.creditsPending - a.debitsPending,
          totalMinor: total,
        };
      });
    },
    transfer,
    hasPaid: (payerId, payeeId) => hasPaidBefore(pool, payerId, payeeId),
    async cancel(payerId, transferId) {
      const found = await selectTransfer(pool, transferId);
      if (found === undefined || found.payerId !== payerId) {
        return failure('transfer_not_found', { param: 'id' });
      }
      // A held transfer that paid a share of a money request stays: the share says it was paid.
      const { rows: paidShare } = await pool.query(
        'SELECT 1 FROM money_request_shares WHERE transfer_id = $1',
        [transferId],
      );
      if (paidShare.length > 0) {
        return failure('transfer_not_cancellable', {
          detail: 'This transfer paid a money request; ask the requester to refund it instead.',
        });
      }
      if (!(await moveStatus(pool, transferId, ['held'], 'cancelling', now()))) {
        return failure('transfer_not_cancellable');
      }
      await settle(found, 'cancel');
      return { ok: true, transfer: (await selectTransfer(pool, transferId)) ?? found };
    },
    async getTransfer(userId, transferId) {
      const found = await selectTransfer(pool, transferId);
      return found !== undefined && (found.payerId === userId || found.payeeId === userId)
        ? found
        : undefined;
    },
    async releaseDue() {
      const due = await selectDue(pool, now(), limits.walletJobBatchSizeMax);
      let released = 0;
      for (const transfer of due) {
        if (!(await moveStatus(pool, transfer.id, ['held'], 'releasing', now()))) continue;
        if (await settle(transfer, 'release')) released += 1;
      }
      return released;
    },
    async recoverUnsettled() {
      const stale = await selectUnsettled(
        pool,
        new Date(clock.nowMs() - limits.walletUnsettledAfterMs),
        limits.walletJobBatchSizeMax,
      );
      for (const transfer of stale) {
        if (transfer.status === 'processing') {
          const [moved] = await ledger.getTransfers([transfer.id]);
          // The ledger commits the status with the money, so a committed transfer is never
          // still processing; one that is has no money moved and is abandoned.
          if (moved === undefined) await abandon(transfer, 'abandoned');
        } else {
          await settle(transfer, transfer.status === 'releasing' ? 'release' : 'cancel');
        }
      }
      return stale.length;
    },
  };
}
