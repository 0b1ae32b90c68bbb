import { exponentOf, isCurrencyCode, type CurrencyCode } from './currency.js';
import { AMOUNT_MINOR_MAX, money, type Money } from './money.js';

/**
 * Conversion between decimal text (the wire and the user's keyboard) and integer minor units. The
 * text is parsed with string and bigint operations only, because going through a float would turn
 * '0.29' into 28.999… fen. Input is strict about form (no signs, exponents, separators or
 * spaces) and accepts at most the currency's fraction digits ('12', '12.5' and '12.50' are all
 * 1250 fen); output always has exactly the currency's fraction digits, one spelling per amount.
 */

export const amountErrorCodes = [
  'amount_invalid_format',
  'amount_too_many_decimals',
  'amount_too_large',
] as const;
export const moneyErrorCodes = [...amountErrorCodes, 'currency_unknown'] as const;

export type AmountErrorCode = (typeof amountErrorCodes)[number];
export type MoneyErrorCode = (typeof moneyErrorCodes)[number];

export type ParseResult = { ok: true; amountMinor: bigint } | { ok: false; code: AmountErrorCode };

export type MoneyParseResult = { ok: true; money: Money } | { ok: false; code: MoneyErrorCode };

/** The wire shape of an amount as the API writes it: exactly the currency's fraction digits. */
export interface MoneyWire {
  readonly amount: string;
  readonly currency: CurrencyCode;
}

/**
 * The longest text looked at. A valid amount needs fewer than 20 characters, so anything longer than
 * 40 is rejected outright; the cap bounds the work done on hostile input before any regex.
 */
export const AMOUNT_TEXT_LENGTH_MAX = 40;

/**
 * Plain ASCII decimal digits: no sign, no exponent, no grouping, no leading zeros, no bare point.
 * `[0-9]` is written out because `\d` invites the question whether other digits match.
 */
const AMOUNT_PATTERN = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Parses an amount such as '12.50' into minor units. Zero parses successfully, because whether a
 * zero amount is allowed depends on the operation and is the caller's decision.
 */
export function parseAmount(text: string, currency: CurrencyCode): ParseResult {
  if (typeof text !== 'string' || text.length > AMOUNT_TEXT_LENGTH_MAX) {
    return { ok: false, code: 'amount_invalid_format' };
  }
  const match = AMOUNT_PATTERN.exec(text);
  if (match === null) return { ok: false, code: 'amount_invalid_format' };
  const whole = match[1] ?? '';
  const fraction = match[2] ?? '';
  const exponent = exponentOf(currency);
  // Trailing zeros count as decimals so that each amount has one accepted spelling at most.
  if (fraction.length > exponent) return { ok: false, code: 'amount_too_many_decimals' };
  const amountMinor = BigInt(whole + fraction.padEnd(exponent, '0'));
  if (amountMinor > AMOUNT_MINOR_MAX) return { ok: false, code: 'amount_too_large' };
  return { ok: true, amountMinor };
}

/**
 * Formats minor units with exactly the currency's fraction digits: 1250n CNY is '12.50' and 1000n
 * JPY is '1000'. Negative amounts format with a leading '-' so balances can be shown, although
 * `parseAmount` never accepts them.
 */
export function formatAmount(amountMinor: bigint, currency: CurrencyCode): string {
  if (typeof amountMinor !== 'bigint') throw new TypeError('amountMinor must be a bigint');
  const exponent = exponentOf(currency);
  const sign = amountMinor < 0n ? '-' : '';
  const magnitude = amountMinor < 0n ? -amountMinor : amountMinor;
  if (exponent === 0) return sign + magnitude.toString();
  const digits = magnitude.toString().padStart(exponent + 1, '0');
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * Parses the wire shape `{ amount, currency }`. The currency is checked first because the amount's
 * meaning depends on its exponent.
 */
export function parseMoney(input: { amount: string; currency: string }): MoneyParseResult {
  if (!isCurrencyCode(input.currency)) return { ok: false, code: 'currency_unknown' };
  const parsed = parseAmount(input.amount, input.currency);
  if (!parsed.ok) return parsed;
  return { ok: true, money: money(parsed.amountMinor, input.currency) };
}

/** Turns Money into its wire shape, the inverse of `parseMoney`. */
export function formatMoney(m: Money): MoneyWire {
  return { amount: formatAmount(m.amountMinor, m.currency), currency: m.currency };
}
