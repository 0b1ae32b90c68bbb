/**
 * Top-ups (PRODUCT.md, "Wallet"): money pulled from one of the user's cards by a gateway charge.
 * The top-up is a pending ledger transfer from the bank clearing account into the user's wallet,
 * so the money shows as pending and cannot be spent; it is posted when the gateway confirms the
 * charge and voided when the charge fails. Money comes in, so there is no step-up and no payment
 * limit, but the card must be the user's own.
 *
 * This file prepares a top-up (checks and its record); gateway-events.ts moves it on.
 */
import { sqlState, SQLSTATE, type Executor } from '../db/index.js';
import type { User } from '../identity/index.js';
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

export type Topup = FundingMovement;

export interface TopupInput {
  readonly cardId: string;
  readonly amount: Money;
  readonly idempotencyKey: string;
}

export const topupStore = movementStore<Topup, MovementRow>('topups', movementOf);

async function insertTopup(tx: Executor, t: Topup, idempotencyKey: string): Promise<void> {
  await tx.query(
    `INSERT INTO topups (id, user_id, card_id, amount_minor, currency, status, idempotency_key,
       created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
    [t.id, t.userId, t.cardId, t.amountMinor, t.currency, t.status, idempotencyKey, t.createdAt],
  );
}

/** A prepared top-up, with what moving it on needs; `replay` when the key was seen before. */
export type PreparedTopup =
  | { readonly replay: true; readonly topup: Topup }
  | { readonly replay: false; readonly topup: Topup; readonly user: User; readonly card: Card };

/**
 * Checks the request and records the top-up as `processing`. The same Idempotency-Key answers
 * the top-up it created before, whatever its state now.
 */
export async function prepareTopup(
  deps: FundingDeps,
  cards: Cards,
  userId: string,
  input: TopupInput,
): Promise<FundingResult<PreparedTopup>> {
  const { pool, clock } = deps;
  const replay = await topupStore.selectByKey(pool, userId, input.idempotencyKey);
  if (replay !== undefined) return { ok: true, replay: true, topup: replay };
  if (!deps.currencies.includes(input.amount.currency)) {
    return failure('currency_not_enabled', { param: 'amount.currency' });
  }
  const verified = await deps.identity.identity.requireVerified(userId);
  if (!verified.ok) return verified;
  const card = await cards.usable(userId, input.cardId);
  if (card === undefined) return failure('card_not_found', { param: 'card_id' });
  const nowMs = clock.nowMs();
  const topup: Topup = {
    id: newId('trf', nowMs),
    userId,
    cardId: card.id,
    amountMinor: input.amount.amountMinor,
    currency: input.amount.currency,
    status: 'processing',
    gatewayId: null,
    gatewaySequence: 0,
    failureCode: null,
    createdAt: new Date(nowMs),
    updatedAt: new Date(nowMs),
    completedAt: null,
  };
  try {
    await insertTopup(pool, topup, input.idempotencyKey);
  } catch (error) {
    // The same key from a request that raced this one: answer what it created.
    if (sqlState(error) !== SQLSTATE.uniqueViolation) throw error;
    const existing = await topupStore.selectByKey(pool, userId, input.idempotencyKey);
    if (existing === undefined) throw error;
    return { ok: true, replay: true, topup: existing };
  }
  return { ok: true, replay: false, topup, user: verified.user, card };
}
