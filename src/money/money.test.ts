import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { limits } from '../limits.js';
import {
  currencies,
  currencyByNumeric,
  currencyCodes,
  exponentOf,
  isCurrencyCode,
  type CurrencyCode,
} from './currency.js';
import {
  AMOUNT_MINOR_MAX,
  CurrencyMismatchError,
  add,
  compare,
  isZero,
  money,
  subtract,
} from './money.js';

describe('currency table', () => {
  // The numeric codes and exponents are ISO 4217 facts that QR codes and stored amounts rely on.
  const expected: ReadonlyArray<readonly [CurrencyCode, string, number]> = [
    ['CNY', '156', 2],
    ['USD', '840', 2],
    ['EUR', '978', 2],
    ['HKD', '344', 2],
    ['JPY', '392', 0],
    ['GBP', '826', 2],
    ['SGD', '702', 2],
    ['KRW', '410', 0],
    ['THB', '764', 2],
    ['MOP', '446', 2],
    ['TWD', '901', 2],
    ['AUD', '036', 2],
    ['CAD', '124', 2],
    ['CHF', '756', 2],
    ['KWD', '414', 3],
  ];

  it.each(expected)('has %s with numeric code %s and exponent %i', (code, numeric, exponent) => {
    expect(currencies[code]).toMatchObject({ code, numeric, exponent });
    expect(exponentOf(code)).toBe(exponent);
    expect(currencyByNumeric(numeric)?.code).toBe(code);
  });

  it('keeps every entry well formed and every numeric code unique', () => {
    const numerics = new Set<string>();
    for (const code of currencyCodes) {
      const c = currencies[code];
      expect(c.code).toBe(code);
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect(c.numeric).toMatch(/^[0-9]{3}$/);
      expect(c.nameEn.length).toBeGreaterThan(0);
      expect(c.nameZh.length).toBeGreaterThan(0);
      numerics.add(c.numeric);
    }
    expect(numerics.size).toBe(currencyCodes.length);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(currencies)).toBe(true);
    expect(Object.isFrozen(currencies.CNY)).toBe(true);
  });

  it('recognises only exact, own codes', () => {
    expect(isCurrencyCode('CNY')).toBe(true);
    for (const s of ['cny', 'CNY ', '', 'XXX', 'toString', '__proto__', 'constructor']) {
      expect(isCurrencyCode(s)).toBe(false);
    }
  });

  it('finds numeric codes only as exact three-digit strings', () => {
    expect(currencyByNumeric('036')?.code).toBe('AUD');
    expect(currencyByNumeric('36')).toBeUndefined();
    expect(currencyByNumeric('999')).toBeUndefined();
  });

  it('refuses the exponent of an unknown code', () => {
    expect(() => exponentOf('XXX' as CurrencyCode)).toThrow(RangeError);
  });
});

describe('money', () => {
  it('takes its maximum from the limits table', () => {
    expect(AMOUNT_MINOR_MAX).toBe(limits.amountMinorMax);
    expect(AMOUNT_MINOR_MAX).toBe(999_999_999_999_999n);
  });

  it('builds frozen values', () => {
    const m = money(1250n, 'CNY');
    expect(m).toEqual({ amountMinor: 1250n, currency: 'CNY' });
    expect(Object.isFrozen(m)).toBe(true);
  });

  it('refuses a number amount and an unknown currency', () => {
    expect(() => money(12.5 as unknown as bigint, 'CNY')).toThrow(TypeError);
    expect(() => money(1n, 'cny' as CurrencyCode)).toThrow(RangeError);
  });

  it('adds and subtracts within one currency', () => {
    expect(add(money(150n, 'CNY'), money(1n, 'CNY'))).toEqual(money(151n, 'CNY'));
    expect(subtract(money(150n, 'CNY'), money(151n, 'CNY'))).toEqual(money(-1n, 'CNY'));
  });

  it.each([add, subtract, compare])('%o refuses mixed currencies', (operation) => {
    const call = () => operation(money(100n, 'CNY'), money(100n, 'USD'));
    expect(call).toThrow(CurrencyMismatchError);
    expect(call).toThrow('currency mismatch: CNY and USD');
  });

  it('tells which currencies clashed', () => {
    try {
      add(money(1n, 'HKD'), money(1n, 'MOP'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CurrencyMismatchError);
      expect(error).toMatchObject({ name: 'CurrencyMismatchError', left: 'HKD', right: 'MOP' });
    }
  });

  it('recognises zero', () => {
    expect(isZero(money(0n, 'JPY'))).toBe(true);
    expect(isZero(money(1n, 'JPY'))).toBe(false);
    expect(isZero(money(-1n, 'JPY'))).toBe(false);
  });

  it('compares amounts', () => {
    expect(compare(money(1n, 'EUR'), money(2n, 'EUR'))).toBe(-1);
    expect(compare(money(2n, 'EUR'), money(2n, 'EUR'))).toBe(0);
    expect(compare(money(3n, 'EUR'), money(2n, 'EUR'))).toBe(1);
  });

  it('makes subtract undo add', () => {
    const amount = fc.bigInt({ min: -AMOUNT_MINOR_MAX, max: AMOUNT_MINOR_MAX });
    fc.assert(
      fc.property(amount, amount, (a, b) => {
        const sum = add(money(a, 'USD'), money(b, 'USD'));
        expect(subtract(sum, money(b, 'USD'))).toEqual(money(a, 'USD'));
      }),
    );
  });
});
