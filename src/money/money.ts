import { limits } from '../limits.js';
import { isCurrencyCode, type CurrencyCode } from './currency.js';

/**
 * An amount of one currency as an integer count of minor units (fen, cents, yen). Money is never
 * a float: binary fractions cannot represent 0.10 exactly, and the rounding errors add up across a
 * ledger. A bigint holds any amount the database's int8 can.
 */
export interface Money {
  readonly amountMinor: bigint;
  readonly currency: CurrencyCode;
}

/** The largest amount of one transfer or one API amount, in minor units (from `limits`). */
export const AMOUNT_MINOR_MAX: bigint = limits.amountMinorMax;

/**
 * Thrown when arithmetic mixes currencies. Adding yuan to dollars is a bug in the caller, not a
 * business outcome, so it is an exception rather than a result code.
 */
export class CurrencyMismatchError extends Error {
  override name = 'CurrencyMismatchError';

  constructor(
    readonly left: CurrencyCode,
    readonly right: CurrencyCode,
  ) {
    super(`currency mismatch: ${left} and ${right}`);
  }
}

/**
 * Builds a frozen Money. The run-time checks catch JavaScript callers and decoded JSON that slip a
 * number or an unknown code past the types. The amount may be negative (a balance can be), and it
 * is not capped here, because sums of many transfers may exceed the single-transfer maximum.
 */
export function money(amountMinor: bigint, currency: CurrencyCode): Money {
  if (typeof amountMinor !== 'bigint') throw new TypeError('amountMinor must be a bigint');
  if (!isCurrencyCode(currency)) throw new RangeError(`unknown currency code: ${String(currency)}`);
  return Object.freeze({ amountMinor, currency });
}

export function add(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amountMinor + b.amountMinor, a.currency);
}

export function subtract(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amountMinor - b.amountMinor, a.currency);
}

export function isZero(m: Money): boolean {
  return m.amountMinor === 0n;
}

/**
 * Orders two amounts of the same currency: -1, 0 or 1, usable as a sort comparator. Comparing
 * different currencies has no meaning without an exchange rate, so it throws like `add` does.
 */
export function compare(a: Money, b: Money): -1 | 0 | 1 {
  assertSameCurrency(a, b);
  if (a.amountMinor < b.amountMinor) return -1;
  return a.amountMinor > b.amountMinor ? 1 : 0;
}

function assertSameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency);
}
