/**
 * Money helpers of the money pages that the shared module does not have: amounts that arrive in
 * minor units (events), and an even split of a bill, both in bigint arithmetic only.
 */
import { formatAmount, isCurrencyCode } from '../../../../../src/money/index';
import type { AmountInputError, MoneyWire } from '../../../shared/money';

/** `{ amount_minor: '1250', currency: 'CNY' }` of an event → `{ amount: '12.50', currency }`. */
export function moneyOfMinor(minor: unknown, currency: unknown): MoneyWire | undefined {
  if (typeof minor !== 'string' || !/^-?\d{1,30}$/.test(minor)) return undefined;
  if (typeof currency !== 'string' || !isCurrencyCode(currency)) return undefined;
  return { amount: formatAmount(BigInt(minor), currency), currency };
}

/** Minor units as the API's decimal string; undefined for a currency we do not know. */
export function amountOfMinor(minor: bigint, currency: string): string | undefined {
  return isCurrencyCode(currency) ? formatAmount(minor, currency) : undefined;
}

/**
 * A total split among `count` payers the way the API splits it: everyone gets the same, and the
 * minor units left over go one each to the first payers.
 */
export function splitEvenly(totalMinor: bigint, count: number): bigint[] {
  if (count <= 0) return [];
  const n = BigInt(count);
  const base = totalMinor / n;
  const left = totalMinor % n;
  return Array.from({ length: count }, (_, i) => (BigInt(i) < left ? base + 1n : base));
}

/** The common message key for an amount the user typed wrong. */
export function amountErrorKey(error: AmountInputError): string {
  return `common:amount.${error}`;
}
