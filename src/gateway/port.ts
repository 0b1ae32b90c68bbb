import type { CurrencyCode } from '../money/index.js';

/**
 * The payment-gateway port: what Hebao's wallet needs from a bank or card gateway, in Hebao's own
 * words and types (bigint minor units, Dates, camelCase). Nothing here knows about HTTP; each
 * provider is an adapter behind this interface (the sandbox bank is the first one).
 *
 * Business outcomes are returned as result codes. A broken contract (a wrong API key, an answer
 * that does not parse) is an infrastructure fault and is thrown as `GatewayError`.
 */

export type CardBrand = 'visa' | 'mastercard' | 'unionpay' | 'amex' | 'jcb';

/** Which way money moves: a charge pulls it from a card (top-up), a payout pushes it to one. */
export type MovementKind = 'charge' | 'payout';

/** A charge or payout is accepted as pending and later settles, exactly once, to one outcome. */
export type MovementStatus = 'pending' | 'succeeded' | 'failed';

/** Why a charge or payout settled as failed. */
export type SettlementFailureCode = 'insufficient_funds' | 'payout_declined';

/**
 * The gateway could not be asked: `gateway_unavailable` when it was unreachable or answered with
 * a fault of its own, `timeout` when no answer came in time. After a timeout the request may or
 * may not have taken effect; asking again with the same `reference` is always safe.
 */
export type TransportFailureCode = 'gateway_unavailable' | 'timeout';

export interface TokenizeCardInput {
  /** The card number as typed; spaces and hyphens between digits are ignored. */
  readonly number: string;
  readonly expMonth: number;
  /** Four digits: 2031, not 31. */
  readonly expYear: number;
  readonly cvc: string;
  readonly holderName: string;
}

export type TokenizeCardCode =
  | 'card_number_invalid'
  | 'card_details_invalid'
  | 'card_declined'
  | 'card_expired'
  | 'gateway_unavailable';

/** Hebao keeps only these: the token, the brand, the last 4 digits and the expiry. */
export interface CardToken {
  readonly token: string;
  readonly brand: CardBrand;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
}

export type TokenizeCardResult =
  ({ readonly ok: true } & CardToken) | { readonly ok: false; readonly code: TokenizeCardCode };

export interface MovementInput {
  /**
   * Hebao's idempotency key for this movement, e.g. the top-up or withdrawal id. Asking again with
   * the same reference and the same details returns the movement already created.
   */
  readonly reference: string;
  readonly cardToken: string;
  readonly amountMinor: bigint;
  readonly currency: CurrencyCode;
}

export type CreateMovementCode =
  | 'card_token_unknown'
  | 'card_expired'
  | 'amount_invalid'
  /** The reference was used before with a different card, amount or currency. */
  | 'reference_reused'
  | TransportFailureCode;

/**
 * The status is `pending` for a new movement; a repeated request for a movement that has settled
 * since reports its current status.
 */
export type CreateMovementResult =
  | { readonly ok: true; readonly id: string; readonly status: MovementStatus }
  | { readonly ok: false; readonly code: CreateMovementCode };

export interface Movement {
  readonly id: string;
  readonly kind: MovementKind;
  readonly status: MovementStatus;
  /** Set when the status is `failed`, and only then. */
  readonly failureCode?: SettlementFailureCode;
  readonly reference: string;
  readonly cardToken: string;
  readonly amountMinor: bigint;
  readonly currency: CurrencyCode;
  readonly createdAt: Date;
  /** When the movement left `pending`; null while it is pending. */
  readonly settledAt: Date | null;
}

export type GetMovementCode = 'not_found' | TransportFailureCode;

export type GetMovementResult =
  ({ readonly ok: true } & Movement) | { readonly ok: false; readonly code: GetMovementCode };

/** A movement that moved money on the statement's day: only succeeded ones, by `settledAt`. */
export interface StatementMovement {
  readonly id: string;
  readonly kind: MovementKind;
  readonly reference: string;
  readonly amountMinor: bigint;
  readonly currency: CurrencyCode;
  readonly settledAt: Date;
}

export interface StatementTotal {
  readonly kind: MovementKind;
  readonly currency: CurrencyCode;
  readonly count: number;
  readonly amountMinor: bigint;
}

export interface Statement {
  /** A UTC day, `YYYY-MM-DD`. */
  readonly date: string;
  /** False while the day is not over on the gateway's clock: more movements may still settle. */
  readonly final: boolean;
  /** Ordered by `settledAt`, then id. */
  readonly movements: readonly StatementMovement[];
  /** One entry per kind and currency that has movements, ordered by kind, then currency. */
  readonly totals: readonly StatementTotal[];
}

export type StatementCode = 'date_invalid' | TransportFailureCode;

export type StatementResult =
  ({ readonly ok: true } & Statement) | { readonly ok: false; readonly code: StatementCode };

export type GatewayEventType =
  | 'charge.pending'
  | 'charge.succeeded'
  | 'charge.failed'
  | 'payout.pending'
  | 'payout.succeeded'
  | 'payout.failed';

/**
 * A callback from the gateway. Each event is delivered at least once and possibly more often,
 * late, or after a newer event of the same movement: receivers de-duplicate on `id`, and apply an
 * event only when its `sequence` is higher than the last one applied for `objectId`.
 */
export interface GatewayEvent {
  /** Unique per event (`bev_…`); repeated deliveries of one event carry the same id. */
  readonly id: string;
  readonly type: GatewayEventType;
  readonly objectId: string;
  readonly reference: string;
  readonly amountMinor: bigint;
  readonly currency: CurrencyCode;
  readonly failureCode?: SettlementFailureCode;
  readonly createdAt: Date;
  /** Per movement, increasing with each state: pending is 1, the final state 2. */
  readonly sequence: number;
}

export type VerifyCallbackResult =
  | { readonly ok: true; readonly event: GatewayEvent }
  | { readonly ok: false; readonly reason: 'bad_signature' | 'stale_timestamp' | 'malformed' };

export interface PaymentGateway {
  tokenizeCard(input: TokenizeCardInput): Promise<TokenizeCardResult>;
  /** Starts pulling money from a card (a top-up). Settles later; the outcome comes by callback. */
  createCharge(input: MovementInput): Promise<CreateMovementResult>;
  getCharge(chargeId: string): Promise<GetMovementResult>;
  /** Starts pushing money to a card (a withdrawal). Settles later like a charge. */
  createPayout(input: MovementInput): Promise<CreateMovementResult>;
  getPayout(payoutId: string): Promise<GetMovementResult>;
  /** The settled movements of one UTC day, for reconciliation. */
  statement(date: string): Promise<StatementResult>;
  /**
   * Checks a callback's signature header against the raw request body (exactly the bytes
   * received, before any JSON parsing) and decodes the event. `nowMs` is the receiver's clock.
   */
  verifyCallback(
    rawBody: string,
    signatureHeader: string | undefined,
    nowMs: number,
  ): VerifyCallbackResult;
}

/**
 * The gateway broke its contract or rejected our credentials: a configuration or programming
 * fault, not a business outcome, so it is thrown and handled at the edge.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
}
