/**
 * Bank cards bound through the payment gateway (PRODUCT.md, "Wallet"): the gateway tokenizes the
 * card, and Hebao keeps only the token, the brand, the last 4 digits and the expiry, never the
 * full number or the CVC. A card is the user's own: another user's card id is not found. Removing
 * a card keeps its row (top-ups and withdrawals refer to it) but it can no longer be used.
 *
 * This file also holds what all the funding files share: their dependencies and the shape of a
 * movement's record.
 */
import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { limits } from '../limits.js';
import type {
  CardBrand,
  PaymentGateway,
  TokenizeCardCode,
  TokenizeCardInput,
} from '../gateway/index.js';
import type { IdentityFailure, IdentityServices } from '../identity/index.js';
import type { Ledger } from '../ledger/index.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { WalletFailure } from './codes.js';
import type { FundingFailure } from './funding-codes.js';

/** Cards one user may have bound at once. */
export const CARDS_PER_USER_MAX = limits.cardsPerUserMax;
/** Digits of a card number (ISO/IEC 7812): what a number must have before the gateway is asked. */
export const CARD_NUMBER_DIGITS_MIN = 12;
export const CARD_NUMBER_DIGITS_MAX = 19;

export interface FundingDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly identity: IdentityServices;
  readonly gateway: PaymentGateway;
  /** Currencies users may hold; a top-up or withdrawal in another one is refused. */
  readonly currencies: readonly string[];
}

export type FundingResult<T> =
  ({ readonly ok: true } & T) | FundingFailure | WalletFailure | IdentityFailure;

/**
 * A top-up or a withdrawal, as stored. `processing`: recorded, its hold not yet in the ledger;
 * `pending`: held, waiting for the gateway; then `succeeded` (posted) or `failed` (voided, or
 * refused before any money was held).
 */
export type MovementStatus = 'processing' | 'pending' | 'succeeded' | 'failed';

export interface FundingMovement {
  /** The pending ledger transfer (`trf_…`), and the gateway reference. */
  readonly id: string;
  readonly userId: string;
  readonly cardId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly status: MovementStatus;
  /** The gateway's charge or payout id, once known. */
  readonly gatewayId: string | null;
  /** The highest per-movement event sequence applied; 0 before any. */
  readonly gatewaySequence: number;
  readonly failureCode: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly completedAt: Date | null;
}

export interface Card {
  readonly id: string;
  readonly userId: string;
  /** The gateway's token; never shown to the user. */
  readonly token: string;
  readonly brand: CardBrand;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly createdAt: Date;
  readonly removedAt: Date | null;
}

export type BindCardInput = TokenizeCardInput;

export interface Cards {
  bind(userId: string, input: BindCardInput): Promise<FundingResult<{ card: Card }>>;
  /** The user's cards that are not removed, newest first (at most `CARDS_PER_USER_MAX`). */
  list(userId: string): Promise<Card[]>;
  remove(userId: string, cardId: string): Promise<FundingResult<{ card: Card }>>;
  /** A card of this user that is not removed; undefined for anyone else's. */
  usable(userId: string, cardId: string): Promise<Card | undefined>;
  /** Any card by id, removed or not: for movements already under way. */
  get(cardId: string): Promise<Card | undefined>;
}

interface Row {
  id: string;
  user_id: string;
  token: string;
  brand: CardBrand;
  last4: string;
  exp_month: number;
  exp_year: number;
  created_at: Date;
  removed_at: Date | null;
}

const cardOf = (r: Row): Card => ({
  id: r.id,
  userId: r.user_id,
  token: r.token,
  brand: r.brand,
  last4: r.last4,
  expMonth: r.exp_month,
  expYear: r.exp_year,
  createdAt: r.created_at,
  removedAt: r.removed_at,
});

async function insertCard(tx: Executor, card: Card): Promise<void> {
  await tx.query(
    `INSERT INTO cards (id, user_id, token, brand, last4, exp_month, exp_year, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      card.id,
      card.userId,
      card.token,
      card.brand,
      card.last4,
      card.expMonth,
      card.expYear,
      card.createdAt,
    ],
  );
}

async function selectCard(db: Executor, id: string): Promise<Card | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM cards WHERE id = $1', [id]);
  return rows[0] === undefined ? undefined : cardOf(rows[0]);
}

async function selectActive(db: Executor, userId: string, limit: number): Promise<Card[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM cards WHERE user_id = $1 AND removed_at IS NULL ORDER BY id DESC LIMIT $2`,
    [userId, limit],
  );
  return rows.map(cardOf);
}

async function countActive(db: Executor, userId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM cards WHERE user_id = $1 AND removed_at IS NULL',
    [userId],
  );
  return rows[0]?.n ?? 0;
}

async function markRemoved(
  db: Executor,
  userId: string,
  id: string,
  now: Date,
): Promise<Card | undefined> {
  const { rows } = await db.query<Row>(
    `UPDATE cards SET removed_at = $3 WHERE id = $1 AND user_id = $2 AND removed_at IS NULL
     RETURNING *`,
    [id, userId, now],
  );
  return rows[0] === undefined ? undefined : cardOf(rows[0]);
}

/**
 * Whether a number can be a card number at all: digits, optionally grouped by spaces or
 * hyphens. Anything else is refused here, so that it is never sent to the gateway.
 */
export function plausibleCardNumber(number: string): boolean {
  if (!/^[0-9]+(?:[ -][0-9]+)*$/.test(number)) return false;
  const digits = number.replace(/[ -]/g, '').length;
  return digits >= CARD_NUMBER_DIGITS_MIN && digits <= CARD_NUMBER_DIGITS_MAX;
}

function tokenizeFailure(code: TokenizeCardCode): FundingFailure {
  switch (code) {
    case 'card_number_invalid':
      return failure(code, { param: 'number' });
    case 'card_details_invalid':
    case 'card_declined':
    case 'card_expired':
    case 'gateway_unavailable':
      return failure(code);
  }
}

export function createCards(deps: FundingDeps): Cards {
  const { pool, clock, gateway, identity } = deps;

  return {
    async bind(userId, input) {
      const verified = await identity.identity.requireVerified(userId);
      if (!verified.ok) return verified;
      if (!plausibleCardNumber(input.number)) {
        return failure('card_number_invalid', { param: 'number' });
      }
      if ((await countActive(pool, userId)) >= CARDS_PER_USER_MAX) {
        return failure('card_limit_reached');
      }
      const token = await gateway.tokenizeCard(input);
      if (!token.ok) return tokenizeFailure(token.code);
      const nowMs = clock.nowMs();
      const card: Card = {
        id: newId('crd', nowMs),
        userId,
        token: token.token,
        brand: token.brand,
        last4: token.last4,
        expMonth: token.expMonth,
        expYear: token.expYear,
        createdAt: new Date(nowMs),
        removedAt: null,
      };
      return withTransaction(pool, async (tx) => {
        // One binding of this user at a time, so that two at once cannot pass the cap together.
        await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `cards:${userId}`,
        ]);
        if ((await countActive(tx, userId)) >= CARDS_PER_USER_MAX) {
          return failure('card_limit_reached');
        }
        await insertCard(tx, card);
        return { ok: true as const, card };
      });
    },
    list: (userId) => selectActive(pool, userId, CARDS_PER_USER_MAX),
    async remove(userId, cardId) {
      const removed = await markRemoved(pool, userId, cardId, new Date(clock.nowMs()));
      return removed === undefined
        ? failure('card_not_found', { param: 'id' })
        : { ok: true, card: removed };
    },
    async usable(userId, cardId) {
      const card = await selectCard(pool, cardId);
      return card !== undefined && card.userId === userId && card.removedAt === null
        ? card
        : undefined;
    },
    get: (cardId) => selectCard(pool, cardId),
  };
}

/**
 * The SQL that top-ups and withdrawals share: their tables have the same columns for the
 * movement itself (the gateway's id is `charge_id` or `payout_id`), and every status change is
 * guarded by the status it leaves, so that two processes cannot both make it.
 */
export type MovementTable = 'topups' | 'withdrawals';

const GATEWAY_ID_COLUMN: Readonly<Record<MovementTable, string>> = {
  topups: 'charge_id',
  withdrawals: 'payout_id',
};

/** A row of either table, with the gateway's id under one name. */
export interface MovementRow {
  id: string;
  user_id: string;
  card_id: string;
  amount_minor: bigint;
  currency: string;
  status: MovementStatus;
  gateway_id: string | null;
  gateway_sequence: number;
  failure_code: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export function movementOf(r: MovementRow): FundingMovement {
  return {
    id: r.id,
    userId: r.user_id,
    cardId: r.card_id,
    amountMinor: r.amount_minor,
    currency: r.currency,
    status: r.status,
    gatewayId: r.gateway_id,
    gatewaySequence: r.gateway_sequence,
    failureCode: r.failure_code,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
  };
}

/** How a pending movement ended, as the gateway said (by callback or when asked). */
export interface Settlement {
  readonly status: 'succeeded' | 'failed';
  readonly failureCode: string | null;
  readonly gatewayId: string | null;
  readonly sequence: number;
}

export interface MovementStore<M extends FundingMovement> {
  readonly table: MovementTable;
  select(db: Executor, id: string): Promise<M | undefined>;
  selectByKey(db: Executor, userId: string, key: string): Promise<M | undefined>;
  /** processing → pending, in the transaction of the hold. */
  markHeld(tx: Executor, id: string, now: Date): Promise<boolean>;
  /** Records the gateway's id (if not known yet) and a newer event sequence. */
  note(db: Executor, id: string, gatewayId: string, sequence: number, now: Date): Promise<void>;
  /** pending → succeeded or failed, in the transaction that posts or voids the hold. */
  settle(tx: Executor, id: string, settlement: Settlement, now: Date): Promise<boolean>;
  /** processing → failed: refused or abandoned before any money was held. */
  abandon(db: Executor, id: string, code: string, now: Date): Promise<boolean>;
  /** Pushes back the next poll of a movement the gateway has no news about. */
  touch(db: Executor, id: string, now: Date): Promise<void>;
  /** Pending movements quiet since `pendingBefore`, processing ones since `processingBefore`. */
  selectStale(
    db: Executor,
    bounds: {
      readonly pendingBefore: Date;
      readonly processingBefore: Date;
      readonly limit: number;
    },
  ): Promise<M[]>;
}

export function movementStore<M extends FundingMovement, R extends MovementRow>(
  table: MovementTable,
  of: (row: R) => M,
): MovementStore<M> {
  const gid = GATEWAY_ID_COLUMN[table];
  const columns = `*, ${gid} AS gateway_id`;
  const one = (rows: R[]) => (rows[0] === undefined ? undefined : of(rows[0]));
  return {
    table,
    async select(db, id) {
      const { rows } = await db.query<R>(`SELECT ${columns} FROM ${table} WHERE id = $1`, [id]);
      return one(rows);
    },
    async selectByKey(db, userId, key) {
      const { rows } = await db.query<R>(
        `SELECT ${columns} FROM ${table} WHERE user_id = $1 AND idempotency_key = $2`,
        [userId, key],
      );
      return one(rows);
    },
    async markHeld(tx, id, now) {
      const { rowCount } = await tx.query(
        `UPDATE ${table} SET status = 'pending', updated_at = $2
          WHERE id = $1 AND status = 'processing'`,
        [id, now],
      );
      return rowCount === 1;
    },
    async note(db, id, gatewayId, sequence, now) {
      await db.query(
        `UPDATE ${table}
            SET ${gid} = COALESCE(${gid}, $2), gateway_sequence = GREATEST(gateway_sequence, $3),
                updated_at = $4
          WHERE id = $1 AND status IN ('processing', 'pending')`,
        [id, gatewayId, sequence, now],
      );
    },
    async settle(tx, id, s, now) {
      const { rowCount } = await tx.query(
        `UPDATE ${table}
            SET status = $2, failure_code = $3, ${gid} = COALESCE(${gid}, $4),
                gateway_sequence = GREATEST(gateway_sequence, $5), updated_at = $6,
                completed_at = $6
          WHERE id = $1 AND status = 'pending'`,
        [id, s.status, s.failureCode, s.gatewayId, s.sequence, now],
      );
      return rowCount === 1;
    },
    async abandon(db, id, code, now) {
      const { rowCount } = await db.query(
        `UPDATE ${table} SET status = 'failed', failure_code = $2, updated_at = $3, completed_at = $3
          WHERE id = $1 AND status = 'processing'`,
        [id, code, now],
      );
      return rowCount === 1;
    },
    async touch(db, id, now) {
      await db.query(`UPDATE ${table} SET updated_at = $2 WHERE id = $1 AND status = 'pending'`, [
        id,
        now,
      ]);
    },
    async selectStale(db, bounds) {
      const { rows } = await db.query<R>(
        `SELECT ${columns} FROM ${table}
          WHERE (status = 'pending' AND updated_at < $1)
             OR (status = 'processing' AND updated_at < $2)
          ORDER BY updated_at LIMIT $3`,
        [bounds.pendingBefore, bounds.processingBefore, bounds.limit],
      );
      return rows.map(of);
    },
  };
}
