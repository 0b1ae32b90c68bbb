import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { AssertionError } from '../lib/assert.js';
import { ulidBody } from '../lib/ids.js';
import { formatAmount, parseMoney, type CurrencyCode, type MoneyWire } from '../money/index.js';
import {
  decideCard,
  expired,
  type AcceptedCard,
  type CardDecision,
  type CardDetails,
} from './cards.js';
import type {
  GatewayEventType,
  MovementKind,
  MovementStatus,
  SettlementFailureCode,
} from './port.js';
import { PAYOUT_DECLINED_LAST4 } from './test-cards.js';

/**
 * The sandbox bank's memory: cards, charges and payouts in Maps. It is a sandbox, so nothing is
 * persisted and a restart forgets everything (tokens, movements, statements). Timers, callbacks
 * and HTTP live in the shell (`sandbox-bank.ts`); this file only decides and records.
 */

/** Cards, and movements of each kind, held at most; beyond it the bank answers `sandbox_full`. */
export const BANK_OBJECTS_MAX = 100_000;

export const REFERENCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export type BankIdPrefix = 'btk' | 'bch' | 'bpo' | 'bev';

export function newBankId(prefix: BankIdPrefix, nowMs: number): string {
  return `${prefix}_${ulidBody(nowMs, randomBytes(10))}`;
}

export interface CardRecord extends AcceptedCard {
  readonly token: string;
  readonly createdAtMs: number;
}

/** One charge or payout. Only `settle` changes it, once. */
export interface MovementRecord {
  readonly id: string;
  readonly kind: MovementKind;
  readonly reference: string;
  readonly cardToken: string;
  readonly amountMinor: bigint;
  readonly currency: CurrencyCode;
  readonly createdAtMs: number;
  /** Decided at creation from the card, revealed at settlement. */
  readonly outcome: 'succeeded' | SettlementFailureCode;
  /** The first answer for a timeout card is held back; only the first. */
  readonly holdAnswer: boolean;
  status: MovementStatus;
  failureCode: SettlementFailureCode | undefined;
  settledAtMs: number | undefined;
  /** The sequence number of the latest event of this movement. */
  sequence: number;
}

export type CreateMovementFailure =
  | 'validation_failed'
  | 'card_token_unknown'
  | 'card_expired'
  | 'amount_invalid'
  | 'reference_reused'
  | 'sandbox_full';

export type TokenizeOutcome =
  | { readonly ok: true; readonly card: CardRecord }
  | Extract<CardDecision, { ok: false }>
  | SandboxFull;

export interface SandboxFull {
  readonly ok: false;
  readonly code: 'sandbox_full';
  readonly param: string;
  readonly detail: string;
}

export type CreateMovementOutcome =
  | { readonly ok: true; readonly movement: MovementRecord; readonly created: boolean }
  | {
      readonly ok: false;
      readonly code: CreateMovementFailure;
      readonly param: string;
      readonly detail: string;
    };

export interface MovementRequestInput {
  readonly reference: string;
  readonly cardToken: string;
  readonly amount: { readonly amount: string; readonly currency: string };
}

export interface BankEvent {
  readonly id: string;
  readonly type: GatewayEventType;
  readonly objectId: string;
  readonly reference: string;
  readonly amount: MoneyWire;
  readonly failureCode: SettlementFailureCode | undefined;
  readonly createdAtMs: number;
  readonly sequence: number;
}

export interface BankState {
  tokenize(details: CardDetails): TokenizeOutcome;
  createMovement(kind: MovementKind, input: MovementRequestInput): CreateMovementOutcome;
  movement(kind: MovementKind, id: string): MovementRecord | undefined;
  /** Moves a pending movement to its outcome; settling twice is a bug in the shell. */
  settle(movement: MovementRecord): 'succeeded' | 'failed';
  /** The next event of a movement, with the next sequence number. */
  nextEvent(movement: MovementRecord, type: GatewayEventType): BankEvent;
  /** Every movement, for statements. */
  movements(): Iterable<MovementRecord>;
}

export function createBankState(deps: { readonly clock: Clock }): BankState {
  const cards = new Map<string, CardRecord>();
  const byId = {
    charge: new Map<string, MovementRecord>(),
    payout: new Map<string, MovementRecord>(),
  };
  const byReference = {
    charge: new Map<string, MovementRecord>(),
    payout: new Map<string, MovementRecord>(),
  };

  return {
    tokenize(details) {
      const nowMs = deps.clock.nowMs();
      if (cards.size >= BANK_OBJECTS_MAX) return full('cards');
      const decision = decideCard(details, nowMs);
      if (!decision.ok) return decision;
      const card: CardRecord = {
        ...decision.card,
        token: newBankId('btk', nowMs),
        createdAtMs: nowMs,
      };
      cards.set(card.token, card);
      return { ok: true, card };
    },

    createMovement(kind, input) {
      const nowMs = deps.clock.nowMs();
      const parsed = parseMovement(input);
      if (!parsed.ok) return parsed;
      const existing = byReference[kind].get(input.reference);
      if (existing !== undefined) return replay(existing, input, parsed);
      const card = usableCard(cards, input.cardToken, nowMs);
      if ('ok' in card) return card;
      if (byId[kind].size >= BANK_OBJECTS_MAX) return full(`${kind}s`);
      const movement: MovementRecord = {
        id: newBankId(kind === 'charge' ? 'bch' : 'bpo', nowMs),
        kind,
        reference: input.reference,
        cardToken: input.cardToken,
        amountMinor: parsed.amountMinor,
        currency: parsed.currency,
        createdAtMs: nowMs,
        outcome: settlementOutcome(kind, card),
        holdAnswer: card.behaviour === 'timeout',
        status: 'pending',
        failureCode: undefined,
        settledAtMs: undefined,
        sequence: 0,
      };
      byId[kind].set(movement.id, movement);
      byReference[kind].set(movement.reference, movement);
      return { ok: true, movement, created: true };
    },

    movement: (kind, id) => byId[kind].get(id),

    settle(movement) {
      if (movement.status !== 'pending') {
        throw new AssertionError(`${movement.id} is already settled`);
      }
      const status = movement.outcome === 'succeeded' ? 'succeeded' : 'failed';
      movement.status = status;
      movement.failureCode = movement.outcome === 'succeeded' ? undefined : movement.outcome;
      movement.settledAtMs = deps.clock.nowMs();
      return status;
    },

    nextEvent(movement, type) {
      const nowMs = deps.clock.nowMs();
      movement.sequence += 1;
      return {
        id: newBankId('bev', nowMs),
        type,
        objectId: movement.id,
        reference: movement.reference,
        amount: {
          amount: formatAmount(movement.amountMinor, movement.currency),
          currency: movement.currency,
        },
        failureCode: movement.failureCode,
        createdAtMs: nowMs,
        sequence: movement.sequence,
      };
    },

    *movements() {
      yield* byId.charge.values();
      yield* byId.payout.values();
    },
  };
}

/** What a movement will settle to, decided by the sandbox behaviour of its card. */
export function settlementOutcome(
  kind: MovementKind,
  card: AcceptedCard,
): 'succeeded' | SettlementFailureCode {
  if (kind === 'charge' && card.behaviour === 'insufficient_funds') return 'insufficient_funds';
  if (kind === 'payout' && card.last4 === PAYOUT_DECLINED_LAST4) return 'payout_declined';
  return 'succeeded';
}

interface ParsedMovement {
  readonly ok: true;
  readonly amountMinor: bigint;
  readonly currency: CurrencyCode;
}

type Failed = Extract<CreateMovementOutcome, { ok: false }>;

/** The checks that need nothing stored: the reference's form and the amount. */
function parseMovement(input: MovementRequestInput): ParsedMovement | Failed {
  if (!REFERENCE_PATTERN.test(input.reference)) {
    return fail('validation_failed', 'reference', 'A reference is 1 to 64 of A-Z a-z 0-9 _ . : -');
  }
  const parsed = parseMoney(input.amount);
  if (!parsed.ok) {
    return fail('amount_invalid', 'amount', `The amount is not valid (${parsed.code}).`);
  }
  if (parsed.money.amountMinor <= 0n) {
    return fail('amount_invalid', 'amount', 'The amount must be positive.');
  }
  return { ok: true, amountMinor: parsed.money.amountMinor, currency: parsed.money.currency };
}

function usableCard(
  cards: ReadonlyMap<string, CardRecord>,
  token: string,
  nowMs: number,
): CardRecord | Failed {
  const card = cards.get(token);
  if (card === undefined)
    return fail('card_token_unknown', 'card_token', 'No card has this token.');
  if (expired(card.expMonth, card.expYear, nowMs)) {
    return fail('card_expired', 'card_token', 'The card has expired.');
  }
  return card;
}

/**
 * The same reference with the same details is a retry and gets the movement as it is now, even
 * if its card has expired since; with other details it is a mistake.
 */
function replay(
  existing: MovementRecord,
  input: MovementRequestInput,
  parsed: ParsedMovement,
): CreateMovementOutcome {
  const same =
    existing.cardToken === input.cardToken &&
    existing.amountMinor === parsed.amountMinor &&
    existing.currency === parsed.currency;
  if (!same) {
    return fail('reference_reused', 'reference', 'This reference was used with other details.');
  }
  return { ok: true, movement: existing, created: false };
}

function fail(
  code: CreateMovementFailure,
  param: string,
  detail: string,
): Extract<CreateMovementOutcome, { ok: false }> {
  return { ok: false, code, param, detail };
}

function full(what: string): SandboxFull {
  return {
    ok: false,
    code: 'sandbox_full',
    param: what,
    detail: `The sandbox holds at most ${BANK_OBJECTS_MAX} ${what}; restart it to start afresh.`,
  };
}
