/**
 * Withdrawals (PRODUCT.md, "Wallet"): money pushed to one of the user's cards by a gateway
 * payout. The withdrawal is a pending ledger transfer from the user's wallet into the bank
 * clearing account, so the money is taken out of what can be spent at once and cannot be spent
 * twice; it is posted when the payout succeeds and voided (the money comes back) when it fails.
 *
 * Money leaves, so it is a payment like any other: step-up bound to the amount and the card (the
 * payee is the card id), and the payment limits (in CNY), given back if the withdrawal fails.
 *
 * This file prepares a withdrawal (checks, step-up, limits and its record); gateway-events.ts
 * moves it on.
 */
import { sqlState, SQLSTATE, withTransaction, type Executor } from '../db/index.js';
import type { IdentityFailure, User } from '../identity/index.js';
import { failure } from '../lib/code-spec.js';
import { newId } from '../lib/ids.js';
import type { Money } from '../money/index.js';
import {
  movementOf,
  movementStore,
  type Card,
  type Cards,
  type FundingDeps,
  type FundingMovement,
  type FundingResult,
  type MovementRow,
} from './cards.js';

/** Payment limits count in CNY; a withdrawal in another currency reserves nothing. */
const LIMIT_CURRENCY = 'CNY';

export interface Withdrawal extends FundingMovement {
  readonly confirmation: 'pin' | 'passkey' | 'exempt';
  /** When the payment limits were charged; the day and year a failure gives them back to. */
  readonly limitReservedAt: Date;
}

export interface WithdrawalInput {
  readonly cardId: string;
  readonly amount: Money;
  /** A step-up confirmation bound to this amount with the card id as payee. */
  readonly confirmation: string | undefined;
  readonly idempotencyKey: string;
}

interface WithdrawalRow extends MovementRow {
  confirmation: Withdrawal['confirmation'];
  limit_reserved_at: Date;
}

export const withdrawalStore = movementStore<Withdrawal, WithdrawalRow>('withdrawals', (r) => ({
  ...movementOf(r),
  confirmation: r.confirmation,
  limitReservedAt: r.limit_reserved_at,
}));

async function insertWithdrawal(tx: Executor, w: Withdrawal, key: string): Promise<void> {
  await tx.query(
    `INSERT INTO withdrawals (id, user_id, card_id, amount_minor, currency, status, confirmation,
       limit_reserved_at, idempotency_key, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
    [
      w.id,
      w.userId,
      w.cardId,
      w.amountMinor,
      w.currency,
      w.status,
      w.confirmation,
      w.limitReservedAt,
      key,
      w.createdAt,
    ],
  );
}

/** Gives the payment limits back, in the transaction that fails the withdrawal. */
export async function releaseWithdrawalLimit(
  tx: Executor,
  deps: FundingDeps,
  w: Withdrawal,
): Promise<void> {
  if (w.currency !== LIMIT_CURRENCY) return;
  await deps.identity.paymentLimits.release(tx, w.userId, w.amountMinor, w.limitReservedAt);
}

/** A failure found inside the preparing transaction, carried out of it to roll it back. */
class Refusal extends Error {
  constructor(readonly outcome: IdentityFailure) {
    super(outcome.code);
  }
}

export type PreparedWithdrawal =
  | { readonly replay: true; readonly withdrawal: Withdrawal }
  | {
      readonly replay: false;
      readonly withdrawal: Withdrawal;
      readonly user: User;
      readonly card: Card;
    };

/**
 * Checks the request, then in one transaction consumes the step-up (or the low-value
 * exemption), reserves the payment limits and records the withdrawal as `processing`: all of it
 * commits, or nothing does. The same Idempotency-Key answers the withdrawal it created before.
 */
export async function prepareWithdrawal(
  deps: FundingDeps,
  cards: Cards,
  userId: string,
  input: WithdrawalInput,
): Promise<FundingResult<PreparedWithdrawal>> {
  const { pool, clock, identity } = deps;
  const replay = await withdrawalStore.selectByKey(pool, userId, input.idempotencyKey);
  if (replay !== undefined) return { ok: true, replay: true, withdrawal: replay };
  if (!deps.currencies.includes(input.amount.currency)) {
    return failure('currency_not_enabled', { param: 'amount.currency' });
  }
  const verified = await identity.identity.requireVerified(userId);
  if (!verified.ok) return verified;
  const card = await cards.usable(userId, input.cardId);
  if (card === undefined) return failure('card_not_found', { param: 'card_id' });
  const { amountMinor, currency } = input.amount;
  const nowMs = clock.nowMs();
  try {
    const withdrawal = await withTransaction(pool, async (tx) => {
      const authorized = await identity.stepUp.authorize(
        tx,
        userId,
        { amountMinor, currency, payee: card.id },
        input.confirmation,
      );
      if (!authorized.ok) throw new Refusal(authorized);
      let limitReservedAt = new Date(nowMs);
      if (currency === LIMIT_CURRENCY) {
        const reserved = await identity.paymentLimits.reserve(tx, userId, amountMinor);
        if (!reserved.ok) throw new Refusal(reserved);
        limitReservedAt = reserved.reservedAt;
      }
      const w: Withdrawal = {
        id: newId('trf', nowMs),
        userId,
        cardId: card.id,
        amountMinor,
        currency,
        status: 'processing',
        gatewayId: null,
        gatewaySequence: 0,
        failureCode: null,
        confirmation: authorized.method,
        limitReservedAt,
        createdAt: new Date(nowMs),
        updatedAt: new Date(nowMs),
        completedAt: null,
      };
      await insertWithdrawal(tx, w, input.idempotencyKey);
      return w;
    });
    return { ok: true, replay: false, withdrawal, user: verified.user, card };
  } catch (error) {
    if (error instanceof Refusal) return error.outcome;
    if (sqlState(error) === SQLSTATE.uniqueViolation) {
      const existing = await withdrawalStore.selectByKey(pool, userId, input.idempotencyKey);
      if (existing !== undefined) return { ok: true, replay: true, withdrawal: existing };
    }
    throw error;
  }
}
