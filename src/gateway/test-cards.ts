import type { CardBrand } from './port.js';

/**
 * The documented test cards of the sandbox bank (the table in README.md says the same). Any other
 * Luhn-valid number of a known brand behaves like 4242 4242 4242 4242.
 */

/** What a card does in the sandbox. */
export type CardBehaviour =
  /** Tokenizes, charges and payouts succeed (except payouts to a card ending in 0077). */
  | 'succeeds'
  /** Refused at tokenization with `card_declined`. */
  | 'declined'
  /** Refused at tokenization with `card_expired`, whatever expiry date is given. */
  | 'expired'
  /** Tokenizes; charges are accepted as pending and then fail with `insufficient_funds`. */
  | 'insufficient_funds'
  /**
   * Tokenizes; the first request to create a charge or payout for a reference is recorded and
   * settles normally, but its answer is held back past any client timeout. Asking again with the
   * same reference answers at once.
   */
  | 'timeout';

export interface TestCard {
  readonly number: string;
  readonly brand: CardBrand;
  readonly behaviour: CardBehaviour;
}

export const testCards: readonly TestCard[] = [
  { number: '4242424242424242', brand: 'visa', behaviour: 'succeeds' },
  { number: '5555555555554444', brand: 'mastercard', behaviour: 'succeeds' },
  { number: '6200000000000005', brand: 'unionpay', behaviour: 'succeeds' },
  { number: '378282246310005', brand: 'amex', behaviour: 'succeeds' },
  { number: '3566002020360505', brand: 'jcb', behaviour: 'succeeds' },
  { number: '4000000000000002', brand: 'visa', behaviour: 'declined' },
  { number: '4000000000000069', brand: 'visa', behaviour: 'expired' },
  { number: '4000000000009995', brand: 'visa', behaviour: 'insufficient_funds' },
  { number: '4000000000000119', brand: 'visa', behaviour: 'timeout' },
  { number: '4000000000000077', brand: 'visa', behaviour: 'succeeds' },
];

/** Payouts to any card whose number ends in these digits fail with `payout_declined`. */
export const PAYOUT_DECLINED_LAST4 = '0077';

const byNumber: ReadonlyMap<string, TestCard> = new Map(testCards.map((c) => [c.number, c]));

export function behaviourOf(digits: string): CardBehaviour {
  return byNumber.get(digits)?.behaviour ?? 'succeeds';
}

/**
 * The brand from the number's leading digits (its IIN range) and length, or undefined when the
 * number belongs to no brand the sandbox accepts.
 */
export function brandOf(digits: string): CardBrand | undefined {
  const n = digits.length;
  if (/^3[47]/.test(digits)) return n === 15 ? 'amex' : undefined;
  if (/^35(2[89]|[3-8][0-9])/.test(digits)) return n >= 16 && n <= 19 ? 'jcb' : undefined;
  if (digits.startsWith('4')) return n === 13 || n === 16 || n === 19 ? 'visa' : undefined;
  if (/^(5[1-5]|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)/.test(digits)) {
    return n === 16 ? 'mastercard' : undefined;
  }
  if (digits.startsWith('62')) return n >= 16 && n <= 19 ? 'unionpay' : undefined;
  return undefined;
}
