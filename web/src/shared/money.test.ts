import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonical, formatMoney, minorOf, parseAmountInput } from './money';

describe('formatMoney', () => {
  it.each([
    [{ amount: '0.00', currency: 'CNY' }, '¥0.00'],
    [{ amount: '1234.5', currency: 'CNY' }, '¥1,234.50'],
    [{ amount: '1234567.89', currency: 'CNY' }, '¥1,234,567.89'],
    [{ amount: '-20.00', currency: 'CNY' }, '-¥20.00'],
    [{ amount: '1000', currency: 'JPY' }, 'JP¥1,000'],
    [{ amount: '12.345', currency: 'KWD' }, 'KD 12.345'],
    [{ amount: '5.00', currency: 'USD' }, '$5.00'],
    [{ amount: '90071992547409.93', currency: 'CNY' }, '¥90,071,992,547,409.93'],
  ])('formats %j', (value, text) => {
    expect(formatMoney(value)).toBe(text);
  });

  it('can show the sign of a credit', () => {
    expect(formatMoney({ amount: '8.80', currency: 'CNY' }, { sign: 'always' })).toBe('+¥8.80');
    expect(formatMoney({ amount: '0.00', currency: 'CNY' }, { sign: 'always' })).toBe('¥0.00');
  });

  it('keeps every digit of amounts a float would round', () => {
    // 2^53 + 1 minor units: a float cannot hold it.
    expect(formatMoney({ amount: '90071992547409.93', currency: 'CNY' })).toContain('409.93');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 17n }), (minor) => {
        const whole = (minor / 100n).toString();
        const fraction = (minor % 100n).toString().padStart(2, '0');
        const text = formatMoney({ amount: `${whole}.${fraction}`, currency: 'CNY' });
        expect(text.replace(/[¥,]/g, '')).toBe(`${whole}.${fraction}`);
      }),
    );
  });
});

describe('parseAmountInput', () => {
  it.each([
    ['12.5', '12.50'],
    [' 8 ', '8.00'],
    ['0.01', '0.01'],
    ['.5', '0.50'],
    ['7.', '7.00'],
    ['007.10', '7.10'],
  ])('%s is %s', (input, amount) => {
    expect(parseAmountInput(input, 'CNY')).toMatchObject({ ok: true, amount });
  });

  it.each([
    ['', 'required'],
    ['abc', 'format'],
    ['1,000', 'format'],
    ['-1', 'format'],
    ['1e3', 'format'],
    ['0.001', 'decimals'],
    ['0', 'zero'],
    ['0.00', 'zero'],
    ['99999999999999999999', 'too_large'],
  ])('%s is refused as %s', (input, error) => {
    expect(parseAmountInput(input, 'CNY')).toEqual({ ok: false, error });
  });

  it('parses whole yen only', () => {
    expect(parseAmountInput('1.5', 'JPY')).toEqual({ ok: false, error: 'decimals' });
    expect(parseAmountInput('150', 'JPY')).toMatchObject({ ok: true, amount: '150', minor: 150n });
  });

  it('round-trips through the canonical form', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 999_999_999_999_999n }), (minor) => {
        const text = `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;
        const parsed = parseAmountInput(text, 'CNY');
        expect(parsed).toMatchObject({ ok: true, minor });
        expect(minorOf({ amount: text, currency: 'CNY' })).toBe(minor);
        expect(canonical({ amount: text, currency: 'CNY' })).toBe(text);
      }),
    );
  });
});
