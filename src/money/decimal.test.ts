import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { currencyCodes, type CurrencyCode } from './currency.js';
import {
  AMOUNT_TEXT_LENGTH_MAX,
  formatAmount,
  formatMoney,
  parseAmount,
  parseMoney,
  type AmountErrorCode,
} from './decimal.js';
import { AMOUNT_MINOR_MAX, money } from './money.js';

const anyCurrency = fc.constantFrom(...currencyCodes);

describe('parseAmount', () => {
  // Each string is wrong for a different reason; all must fail before any digit is interpreted.
  const badFormats: readonly string[] = [
    '',
    ' 1',
    '1 ',
    '1,000',
    '1e3',
    '-1',
    '+1',
    '.5',
    '5.',
    '01',
    '00',
    '00.5',
    '0x10',
    '１',
    '١',
    'NaN',
    'Infinity',
    '-0',
    '1.2.3',
    '1\n',
    '\n1',
    '1_000',
    '1..5',
  ];

  it.each(badFormats)('rejects %j as amount_invalid_format in every currency', (text) => {
    for (const currency of currencyCodes) {
      expect(parseAmount(text, currency)).toEqual({ ok: false, code: 'amount_invalid_format' });
    }
  });

  it('rejects text longer than the length cap before looking at it', () => {
    const long = '1'.padEnd(AMOUNT_TEXT_LENGTH_MAX + 1, '0');
    expect(parseAmount(long, 'CNY')).toEqual({ ok: false, code: 'amount_invalid_format' });
    const longZeros = '0.'.padEnd(AMOUNT_TEXT_LENGTH_MAX + 1, '0');
    expect(parseAmount(longZeros, 'CNY')).toEqual({ ok: false, code: 'amount_invalid_format' });
  });

  it('rejects values that are not strings, such as a JSON number', () => {
    expect(parseAmount(12.5 as unknown as string, 'CNY')).toEqual({
      ok: false,
      code: 'amount_invalid_format',
    });
  });

  const cases: ReadonlyArray<
    readonly [text: string, currency: CurrencyCode, expected: bigint | AmountErrorCode]
  > = [
    ['0', 'CNY', 0n],
    ['0.00', 'CNY', 0n],
    ['0.0', 'CNY', 0n],
    ['1', 'CNY', 100n],
    ['1.5', 'CNY', 150n],
    ['12.50', 'CNY', 1250n],
    ['0.01', 'CNY', 1n],
    ['0.001', 'CNY', 'amount_too_many_decimals'],
    ['1.500', 'CNY', 'amount_too_many_decimals'],
    ['1000', 'JPY', 1000n],
    ['0', 'JPY', 0n],
    ['1.5', 'JPY', 'amount_too_many_decimals'],
    ['1.0', 'JPY', 'amount_too_many_decimals'],
    ['50000', 'KRW', 50000n],
    ['0.5', 'KRW', 'amount_too_many_decimals'],
    ['0.001', 'KWD', 1n],
    ['1.234', 'KWD', 1234n],
    ['0.0001', 'KWD', 'amount_too_many_decimals'],
    ['9999999999999.99', 'CNY', AMOUNT_MINOR_MAX],
    ['10000000000000.00', 'CNY', 'amount_too_large'],
    ['10000000000000', 'CNY', 'amount_too_large'],
    ['999999999999999', 'JPY', AMOUNT_MINOR_MAX],
    ['1000000000000000', 'JPY', 'amount_too_large'],
    ['999999999999.999', 'KWD', AMOUNT_MINOR_MAX],
    ['1000000000000.000', 'KWD', 'amount_too_large'],
    ['99999999999999999999999999999999999999', 'CNY', 'amount_too_large'],
    ['1.001', 'USD', 'amount_too_many_decimals'],
  ];

  it.each(cases)('parses %j in %s as %s', (text, currency, expected) => {
    const result = parseAmount(text, currency);
    if (typeof expected === 'bigint') {
      expect(result).toEqual({ ok: true, amountMinor: expected });
    } else {
      expect(result).toEqual({ ok: false, code: expected });
    }
  });

  it('accepts exactly the maximum and rejects one minor unit above it, in every currency', () => {
    for (const currency of currencyCodes) {
      const atMax = formatAmount(AMOUNT_MINOR_MAX, currency);
      const aboveMax = formatAmount(AMOUNT_MINOR_MAX + 1n, currency);
      expect(parseAmount(atMax, currency)).toEqual({ ok: true, amountMinor: AMOUNT_MINOR_MAX });
      expect(parseAmount(aboveMax, currency)).toEqual({ ok: false, code: 'amount_too_large' });
    }
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60, unit: 'grapheme' }), anyCurrency, (text, currency) => {
        const result = parseAmount(text, currency);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });

  it('inverts formatAmount for every amount from zero to the maximum, in every currency', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: AMOUNT_MINOR_MAX }),
        anyCurrency,
        (amount, currency) => {
          expect(parseAmount(formatAmount(amount, currency), currency)).toEqual({
            ok: true,
            amountMinor: amount,
          });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips the boundary amounts, where off-by-one errors hide', () => {
    const edges = [0n, 1n, 9n, 10n, 99n, 100n, 101n, 999n, 1000n, AMOUNT_MINOR_MAX - 1n];
    for (const currency of currencyCodes) {
      for (const amount of [...edges, AMOUNT_MINOR_MAX]) {
        const result = parseAmount(formatAmount(amount, currency), currency);
        expect(result).toEqual({ ok: true, amountMinor: amount });
      }
    }
  });
});

describe('formatAmount', () => {
  const table: ReadonlyArray<readonly [amountMinor: bigint, currency: CurrencyCode, text: string]> =
    [
      [0n, 'CNY', '0.00'],
      [1n, 'CNY', '0.01'],
      [10n, 'CNY', '0.10'],
      [1250n, 'CNY', '12.50'],
      [100n, 'USD', '1.00'],
      [-305n, 'CNY', '-3.05'],
      [-1n, 'CNY', '-0.01'],
      [0n, 'JPY', '0'],
      [1000n, 'JPY', '1000'],
      [-7n, 'JPY', '-7'],
      [1n, 'KWD', '0.001'],
      [1234n, 'KWD', '1.234'],
      [-1000n, 'KWD', '-1.000'],
      [AMOUNT_MINOR_MAX, 'CNY', '9999999999999.99'],
      [AMOUNT_MINOR_MAX, 'JPY', '999999999999999'],
      [AMOUNT_MINOR_MAX, 'KWD', '999999999999.999'],
    ];

  it.each(table)('formats %s %s as %j', (amountMinor, currency, text) => {
    expect(formatAmount(amountMinor, currency)).toBe(text);
  });

  it('refuses a number where a bigint belongs', () => {
    expect(() => formatAmount(1250 as unknown as bigint, 'CNY')).toThrow(TypeError);
  });

  it('refuses an unknown currency, which is a programmer error', () => {
    expect(() => formatAmount(1n, 'XXX' as CurrencyCode)).toThrow(RangeError);
  });
});

describe('parseMoney and formatMoney', () => {
  it('parses the wire shape', () => {
    expect(parseMoney({ amount: '12.50', currency: 'CNY' })).toEqual({
      ok: true,
      money: money(1250n, 'CNY'),
    });
  });

  it.each(['XXX', 'cny', 'Cny', '', ' CNY', 'toString', '__proto__', '156'])(
    'rejects the currency %j as currency_unknown',
    (currency) => {
      expect(parseMoney({ amount: '1', currency })).toEqual({
        ok: false,
        code: 'currency_unknown',
      });
    },
  );

  it('reports amount errors with their own codes', () => {
    expect(parseMoney({ amount: '1.5', currency: 'JPY' })).toEqual({
      ok: false,
      code: 'amount_too_many_decimals',
    });
    expect(parseMoney({ amount: '1e3', currency: 'USD' })).toEqual({
      ok: false,
      code: 'amount_invalid_format',
    });
  });

  it('formats to the wire shape', () => {
    expect(formatMoney(money(1000n, 'JPY'))).toEqual({ amount: '1000', currency: 'JPY' });
    expect(formatMoney(money(-305n, 'HKD'))).toEqual({ amount: '-3.05', currency: 'HKD' });
  });

  it('round-trips through the wire shape', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: AMOUNT_MINOR_MAX }),
        anyCurrency,
        (amount, currency) => {
          const m = money(amount, currency);
          expect(parseMoney(formatMoney(m))).toEqual({ ok: true, money: m });
        },
      ),
    );
  });
});
