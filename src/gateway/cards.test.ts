import { describe, expect, it } from 'vitest';
import { decideCard, expired, type CardDetails } from './cards.js';
import { brandOf, testCards } from './test-cards.js';
import { luhnCheckDigit, luhnValid } from './luhn.js';

const NOW_MS = Date.UTC(2031, 2, 14, 10);
const valid: CardDetails = {
  number: '4242424242424242',
  expMonth: 12,
  expYear: 2034,
  cvc: '123',
  holderName: 'Li Lei',
};

function withCheckDigit(partial: string): string {
  return partial + luhnCheckDigit(partial);
}

describe('test cards', () => {
  it.each(testCards.map((c) => [c.number, c]))('%s is Luhn-valid and of its brand', (_n, card) => {
    expect(luhnValid(card.number)).toBe(true);
    expect(brandOf(card.number)).toBe(card.brand);
  });
});

describe('brandOf', () => {
  it.each([
    ['visa, 13 digits', withCheckDigit('422222222222'), 'visa'],
    ['mastercard 2-series', withCheckDigit('222100000000000'), 'mastercard'],
    ['mastercard 2720', withCheckDigit('272099999999999'), 'mastercard'],
    ['unionpay, 19 digits', withCheckDigit('621234567890123456'), 'unionpay'],
    ['jcb', withCheckDigit('352800000000000'), 'jcb'],
    ['an unknown prefix', withCheckDigit('900000000000000'), undefined],
    ['mastercard 2721 is outside the range', withCheckDigit('272100000000000'), undefined],
    ['visa with 15 digits', withCheckDigit('42222222222222'), undefined],
    ['amex with 16 digits', withCheckDigit('378282246310005'), undefined],
  ])('%s', (_what, number, brand) => {
    expect(brandOf(number)).toBe(brand);
  });
});

describe('decideCard', () => {
  it('accepts a valid card and keeps only brand, last 4, expiry and behaviour', () => {
    expect(decideCard(valid, NOW_MS)).toEqual({
      ok: true,
      card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034, behaviour: 'succeeds' },
    });
  });

  it.each<[string, Partial<CardDetails>, string, string]>([
    ['a Luhn failure', { number: '4242424242424241' }, 'card_number_invalid', 'number'],
    ['too few digits', { number: '42424242424' }, 'card_number_invalid', 'number'],
    ['too many digits', { number: '42424242424242424242' }, 'card_number_invalid', 'number'],
    ['spaces', { number: '4242 4242 4242 4242' }, 'card_number_invalid', 'number'],
    [
      'an unknown brand',
      { number: withCheckDigit('900000000000000') },
      'card_number_invalid',
      'number',
    ],
    ['month 0', { expMonth: 0 }, 'card_details_invalid', 'exp_month'],
    ['month 13', { expMonth: 13 }, 'card_details_invalid', 'exp_month'],
    ['a two-digit year', { expYear: 34 }, 'card_details_invalid', 'exp_year'],
    ['a year too far ahead', { expYear: 2052 }, 'card_details_invalid', 'exp_year'],
    ['a short CVC', { cvc: '12' }, 'card_details_invalid', 'cvc'],
    ['a 4-digit CVC on Visa', { cvc: '1234' }, 'card_details_invalid', 'cvc'],
    ['a 3-digit CVC on Amex', { number: '378282246310005' }, 'card_details_invalid', 'cvc'],
    ['a blank name', { holderName: '   ' }, 'card_details_invalid', 'holder_name'],
    ['a name with a newline', { holderName: 'Li\nLei' }, 'card_details_invalid', 'holder_name'],
    ['last month', { expMonth: 2, expYear: 2031 }, 'card_expired', 'exp_year'],
    ['the declined test card', { number: '4000000000000002' }, 'card_declined', 'number'],
    ['the expired test card', { number: '4000000000000069' }, 'card_expired', 'exp_year'],
  ])('rejects %s', (_what, change, code, param) => {
    expect(decideCard({ ...valid, ...change }, NOW_MS)).toMatchObject({ ok: false, code, param });
  });

  it('accepts Amex with a 4-digit CVC', () => {
    const amex = { ...valid, number: '378282246310005', cvc: '1234' };
    expect(decideCard(amex, NOW_MS)).toMatchObject({ ok: true, card: { brand: 'amex' } });
  });
});

describe('expired', () => {
  it('is valid through the last moment of the expiry month, in UTC', () => {
    expect(expired(3, 2031, Date.UTC(2031, 3, 1) - 1)).toBe(false);
    expect(expired(3, 2031, Date.UTC(2031, 3, 1))).toBe(true);
    expect(expired(12, 2031, Date.UTC(2031, 11, 31, 23, 59))).toBe(false);
    expect(expired(12, 2031, Date.UTC(2032, 0, 1))).toBe(true);
  });
});
