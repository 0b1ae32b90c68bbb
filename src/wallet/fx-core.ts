/**
 * The arithmetic of a currency conversion, pure and in bigints only. A rate is an exact ratio of
 * integers, never a float: 7.2345 is 72345/10000, and the inverse rate 10000/72345 stays exact
 * although it has no finite decimal form. Amounts are converted between the minor units of two
 * currencies with different exponents (CNY 2, JPY 0, KWD 3) and rounded once, always in the
 * house's favour: the user never receives more than the exact product of amount and rate, and
 * never pays less than the exact price of what they receive. So no rounding creates money.
 */
import { exponentOf, type CurrencyCode } from '../money/index.js';
import { limits } from '../limits.js';

/** A positive rational number, kept in lowest terms. */
export interface Ratio {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Basis points in one whole: a spread of 35 bps keeps 0.35% of the converted amount. */
export const BPS_PER_UNIT = 10_000;
/** The widest spread an operator may set (10%); more is a typing mistake, not a price. */
export const FX_SPREAD_BPS_MAX = limits.fxSpreadBpsMax;
/** A mid rate is below 1,000,000,000 with at most 12 decimals (KWD→KRW and KRW→KWD fit). */
export const FX_RATE_INTEGER_DIGITS_MAX = 9;
export const FX_RATE_FRACTION_DIGITS_MAX = 12;
/** Decimals of a rate shown to people; the amounts, not this text, are what is exact. */
export const FX_RATE_DISPLAY_DIGITS = 10;

/** Which amount the user fixed: what they sell, or what they want to receive. */
export type FixedSide = 'sell' | 'buy';

const INTEGER_PART = `(0|[1-9][0-9]{0,${FX_RATE_INTEGER_DIGITS_MAX - 1}})`;
const FRACTION_PART = `(?:\\.([0-9]{1,${FX_RATE_FRACTION_DIGITS_MAX}}))?`;
const RATE_PATTERN = new RegExp(`^${INTEGER_PART}${FRACTION_PART}$`);

function gcd(a: bigint, b: bigint): bigint {
  let x = a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** Builds a ratio in lowest terms; both parts must be positive (a programmer error otherwise). */
export function ratio(numerator: bigint, denominator: bigint): Ratio {
  if (numerator <= 0n || denominator <= 0n) {
    throw new RangeError(`a rate is positive: ${numerator}/${denominator}`);
  }
  const divisor = gcd(numerator, denominator);
  return Object.freeze({ numerator: numerator / divisor, denominator: denominator / divisor });
}

/**
 * Parses a mid rate such as '7.2345' (plain digits, at most 9 before and 12 after the point,
 * greater than zero); undefined for anything else. Trailing zeros are allowed, because a database
 * `numeric` may write them back.
 */
export function parseRate(text: string): Ratio | undefined {
  if (typeof text !== 'string' || text.length > 32) return undefined;
  const match = RATE_PATTERN.exec(text);
  if (match === null) return undefined;
  const fraction = match[2] ?? '';
  const numerator = BigInt((match[1] ?? '') + fraction);
  if (numerator === 0n) return undefined;
  return ratio(numerator, 10n ** BigInt(fraction.length));
}

/**
 * Writes a ratio as a decimal rounded down to `fractionDigits`, without trailing zeros: the one
 * spelling of a parsed mid rate ('7.2345'), or a display rate that never overstates the price.
 */
export function formatRate(rate: Ratio, fractionDigits: number = FX_RATE_DISPLAY_DIGITS): string {
  const scaled = (rate.numerator * 10n ** BigInt(fractionDigits)) / rate.denominator;
  const digits = scaled.toString().padStart(fractionDigits + 1, '0');
  const whole = digits.slice(0, digits.length - fractionDigits);
  const fraction = digits.slice(digits.length - fractionDigits).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** The canonical text of a mid rate, or undefined when it is not one. */
export function normalizeRate(text: string): string | undefined {
  const parsed = parseRate(text);
  return parsed === undefined ? undefined : formatRate(parsed, FX_RATE_FRACTION_DIGITS_MAX);
}

export function isSpreadAllowed(spreadBps: number): boolean {
  return Number.isSafeInteger(spreadBps) && spreadBps >= 0 && spreadBps <= FX_SPREAD_BPS_MAX;
}

/**
 * What the user gets for one major unit of the currency they sell, in major units of the one they
 * buy: the mid rate in that direction (`mid` says how much quote currency one base unit is worth),
 * less the spread. The spread is taken the same way in both directions, so converting there and
 * back always costs the user and never the house.
 */
export function customerRate(mid: Ratio, spreadBps: number, sellIsBase: boolean): Ratio {
  if (!isSpreadAllowed(spreadBps)) throw new RangeError(`spread out of range: ${spreadBps}`);
  const direction = sellIsBase ? mid : ratio(mid.denominator, mid.numerator);
  return ratio(
    direction.numerator * BigInt(BPS_PER_UNIT - spreadBps),
    direction.denominator * BigInt(BPS_PER_UNIT),
  );
}

/** The rate between minor units: buy minor units per sell minor unit, exactly. */
function minorUnitRate(rate: Ratio, sell: CurrencyCode, buy: CurrencyCode): Ratio {
  return ratio(
    rate.numerator * 10n ** BigInt(exponentOf(buy)),
    rate.denominator * 10n ** BigInt(exponentOf(sell)),
  );
}

/** What selling `sellMinor` buys: the exact product rounded down. */
export function buyForSell(
  sellMinor: bigint,
  rate: Ratio,
  sell: CurrencyCode,
  buy: CurrencyCode,
): bigint {
  if (sellMinor < 0n) throw new RangeError(`a negative amount: ${sellMinor}`);
  const r = minorUnitRate(rate, sell, buy);
  return (sellMinor * r.numerator) / r.denominator;
}

/**
 * What receiving `buyMinor` costs: the exact price rounded up, which is the least amount whose
 * `buyForSell` is at least `buyMinor`.
 */
export function sellForBuy(
  buyMinor: bigint,
  rate: Ratio,
  sell: CurrencyCode,
  buy: CurrencyCode,
): bigint {
  if (buyMinor < 0n) throw new RangeError(`a negative amount: ${buyMinor}`);
  const r = minorUnitRate(rate, sell, buy);
  return (buyMinor * r.denominator + r.numerator - 1n) / r.numerator;
}

export interface QuoteTerms {
  readonly sell: CurrencyCode;
  readonly buy: CurrencyCode;
  /** The pair's mid rate and which of the two currencies it is quoted in units of. */
  readonly mid: Ratio;
  readonly base: CurrencyCode;
  readonly spreadBps: number;
}

export type QuoteMath =
  | {
      readonly ok: true;
      readonly sellMinor: bigint;
      readonly buyMinor: bigint;
      /** The customer rate applied, spread included, in major units. */
      readonly rate: Ratio;
    }
  | { readonly ok: false; readonly code: 'fx_amount_too_small' | 'fx_amount_too_large' };

/**
 * Both amounts of a quote from the one the user fixed. A conversion that would pay out nothing is
 * too small; one whose other side exceeds `amountMinorMax` is too large.
 */
export function quoteAmounts(
  terms: QuoteTerms,
  fixed: FixedSide,
  amountMinor: bigint,
  amountMinorMax: bigint,
): QuoteMath {
  if (terms.sell === terms.buy) throw new RangeError('a conversion needs two currencies');
  if (amountMinor <= 0n) throw new RangeError(`a quote needs a positive amount: ${amountMinor}`);
  const rate = customerRate(terms.mid, terms.spreadBps, terms.sell === terms.base);
  const sellMinor =
    fixed === 'sell' ? amountMinor : sellForBuy(amountMinor, rate, terms.sell, terms.buy);
  const buyMinor =
    fixed === 'buy' ? amountMinor : buyForSell(amountMinor, rate, terms.sell, terms.buy);
  if (buyMinor === 0n) return { ok: false, code: 'fx_amount_too_small' };
  if (sellMinor > amountMinorMax || buyMinor > amountMinorMax) {
    return { ok: false, code: 'fx_amount_too_large' };
  }
  return { ok: true, sellMinor, buyMinor, rate };
}
