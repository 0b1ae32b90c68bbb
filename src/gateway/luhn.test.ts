import { describe, expect, it } from 'vitest';
import { luhnCheckDigit, luhnValid } from './luhn.js';

describe('luhnValid', () => {
  it.each([
    '4242424242424242',
    '4000000000000002',
    '4000000000009995',
    '4000000000000119',
    '4000000000000077',
    '5555555555554444',
    '6200000000000005',
    '378282246310005',
    '79927398713',
    '0',
  ])('accepts %s', (number) => {
    expect(luhnValid(number)).toBe(true);
  });

  it.each([
    ['a changed last digit', '4242424242424241'],
    ['a changed middle digit', '4242424243424242'],
    ['two swapped neighbours', '4242424242424224'],
    ['79927398710', '79927398710'],
  ])('rejects %s', (_what, number) => {
    expect(luhnValid(number)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['spaces', '4242 4242 4242 4242'],
    ['a sign', '-4242424242424242'],
    ['letters', '42424242424242a2'],
    ['non-ASCII digits', '٤٢٤٢'],
  ])('rejects text that is not plain digits: %s', (_what, text) => {
    expect(luhnValid(text)).toBe(false);
  });
});

describe('luhnCheckDigit', () => {
  it('completes a number so that it passes', () => {
    expect(luhnCheckDigit('424242424242424')).toBe('2');
    expect(luhnCheckDigit('7992739871')).toBe('3');
    for (const partial of ['1', '12', '400000000000000', '62000000000000']) {
      expect(luhnValid(partial + luhnCheckDigit(partial))).toBe(true);
    }
  });

  it('throws on text that is not digits', () => {
    expect(() => luhnCheckDigit('12a')).toThrow(RangeError);
  });
});
