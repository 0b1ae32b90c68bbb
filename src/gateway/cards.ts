import { luhnValid } from './luhn.js';
import type { CardBrand, TokenizeCardCode } from './port.js';
import { behaviourOf, brandOf, type CardBehaviour } from './test-cards.js';
import { HOLDER_NAME_LENGTH_MAX } from './wire.js';

/**
 * The bank's rules for accepting a card, as a pure decision over the request and the time. The
 * full number is looked at here and nowhere else: what is kept is the brand, the last 4 digits,
 * the expiry and the sandbox behaviour, never the number or the CVC.
 */

export interface CardDetails {
  readonly number: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly cvc: string;
  readonly holderName: string;
}

export interface AcceptedCard {
  readonly brand: CardBrand;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly behaviour: CardBehaviour;
}

export type CardDecision =
  | { readonly ok: true; readonly card: AcceptedCard }
  | {
      readonly ok: false;
      readonly code: Exclude<TokenizeCardCode, 'gateway_unavailable'>;
      readonly param: string;
      readonly detail: string;
    };

/** Expiry years accepted: a card is issued for at most this many years. */
export const CARD_VALIDITY_YEARS_MAX = 20;

export function decideCard(details: CardDetails, nowMs: number): CardDecision {
  const number = checkNumber(details.number);
  if (!number.ok) return number;
  const other = checkDetails(details, number.brand, nowMs);
  if (other !== undefined) return other;
  const behaviour = behaviourOf(details.number);
  if (behaviour === 'declined') {
    return reject('card_declined', 'number', 'The issuer declined this card.');
  }
  if (behaviour === 'expired' || expired(details.expMonth, details.expYear, nowMs)) {
    return reject('card_expired', 'exp_year', 'The card has expired.');
  }
  return {
    ok: true,
    card: {
      brand: number.brand,
      last4: details.number.slice(-4),
      expMonth: details.expMonth,
      expYear: details.expYear,
      behaviour,
    },
  };
}

/** A card is valid up to the last moment of its expiry month (taken in UTC). */
export function expired(expMonth: number, expYear: number, nowMs: number): boolean {
  return nowMs >= Date.UTC(expYear, expMonth, 1);
}

function checkNumber(
  number: string,
): { readonly ok: true; readonly brand: CardBrand } | Extract<CardDecision, { ok: false }> {
  if (!/^[0-9]{12,19}$/.test(number)) {
    return reject('card_number_invalid', 'number', 'A card number is 12 to 19 digits.');
  }
  if (!luhnValid(number)) {
    return reject('card_number_invalid', 'number', 'The card number has a typo (Luhn check).');
  }
  const brand = brandOf(number);
  if (brand === undefined) {
    return reject('card_number_invalid', 'number', 'The card brand is not accepted.');
  }
  return { ok: true, brand };
}

function checkDetails(
  details: CardDetails,
  brand: CardBrand,
  nowMs: number,
): Extract<CardDecision, { ok: false }> | undefined {
  if (!Number.isInteger(details.expMonth) || details.expMonth < 1 || details.expMonth > 12) {
    return reject('card_details_invalid', 'exp_month', 'The expiry month is 1 to 12.');
  }
  const year = new Date(nowMs).getUTCFullYear();
  if (!Number.isInteger(details.expYear) || details.expYear < 2000) {
    return reject('card_details_invalid', 'exp_year', 'The expiry year has four digits.');
  }
  if (details.expYear > year + CARD_VALIDITY_YEARS_MAX) {
    return reject('card_details_invalid', 'exp_year', 'The expiry year is too far ahead.');
  }
  const cvcLength = brand === 'amex' ? 4 : 3;
  if (!new RegExp(`^[0-9]{${cvcLength}}$`).test(details.cvc)) {
    return reject('card_details_invalid', 'cvc', `The CVC of this card is ${cvcLength} digits.`);
  }
  const name = details.holderName.trim();
  // Control characters in a name are never typed by a person and would corrupt logs and CSVs.
  if (name.length === 0 || name.length > HOLDER_NAME_LENGTH_MAX || /\p{Cc}/u.test(name)) {
    return reject('card_details_invalid', 'holder_name', 'The card holder name is required.');
  }
  return undefined;
}

function reject(
  code: Extract<CardDecision, { ok: false }>['code'],
  param: string,
  detail: string,
): Extract<CardDecision, { ok: false }> {
  return { ok: false, code, param, detail };
}
