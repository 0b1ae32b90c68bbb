/**
 * Goal: conversion rounding never creates money. Whatever the rate, spread, amount and pair of
 * exponents, the user receives at most the exact product (and pays at least the exact price),
 * misses it by less than one minor unit, and gets more for more.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMOUNT_MINOR_MAX, currencyCodes, exponentOf, type CurrencyCode } from '../money/index.js';
import {
  buyForSell,
  customerRate,
  formatRate,
  FX_SPREAD_BPS_MAX,
  normalizeRate,
  parseRate,
  quoteAmounts,
  ratio,
  sellForBuy,
  type Ratio,
} from './fx-core.js';

/** The exact rate between minor units, as the tests compute it on their own. */
function minorRate(rate: Ratio, sell: CurrencyCode, buy: CurrencyCode) {
  return {
    n: rate.numerator * 10n ** BigInt(exponentOf(buy)),
    d: rate.denominator * 10n ** BigInt(exponentOf(sell)),
  };
}

/** A mid rate as an operator may type it: below 1e9, at most 12 decimals, above zero. */
const midArb = fc
  .integer({ min: 0, max: 12 })
  .chain((digits) =>
    fc
      .bigInt({ min: 1n, max: 10n ** BigInt(9 + digits) - 1n })
      .map((n) => ratio(n, 10n ** BigInt(digits))),
  );
/** Realistic rates too, so that the amounts are not mostly zero or mostly huge. */
const realisticMidArb = fc.bigInt({ min: 1n, max: 1_000_000_000n }).map((n) => ratio(n, 10_000n));
const anyMidArb = fc.oneof(midArb, realisticMidArb);
const pairArb = fc
  .tuple(fc.constantFrom(...currencyCodes), fc.constantFrom(...currencyCodes))
  .filter(([a, b]) => a !== b);
const spreadArb = fc.integer({ min: 0, max: FX_SPREAD_BPS_MAX });
const amountArb = fc.oneof(
  fc.bigInt({ min: 1n, max: 1_000_000n }),
  fc.bigInt({ min: 1n, max: AMOUNT_MINOR_MAX }),
);
const runs = { numRuns: 2000 };

describe('parseRate and formatRate', () => {
  it.each([
    ['7.2345', 14469n, 2000n, '7.2345'],
    ['7.23450', 14469n, 2000n, '7.2345'],
    ['1', 1n, 1n, '1'],
    ['0.000000000001', 1n, 10n ** 12n, '0.000000000001'],
    ['999999999.999999999999', 10n ** 21n - 1n, 10n ** 12n, '999999999.999999999999'],
    ['20.5', 41n, 2n, '20.5'],
  ])('parses %s', (text, numerator, denominator, canonical) => {
    expect(parseRate(text)).toEqual({ numerator, denominator });
    expect(normalizeRate(text)).toBe(canonical);
  });

  it.each([
    '0',
    '0.0',
    '',
    '-1',
    '+1',
    '1e3',
    '1.',
    '.5',
    '01',
    '1,5',
    ' 1',
    '1000000000',
    '0.0000000000001',
    'NaN',
    'Infinity',
  ])('refuses %j', (text) => {
    expect(parseRate(text)).toBeUndefined();
    expect(normalizeRate(text)).toBeUndefined();
  });

  it('formats rounded down, without trailing zeros', () => {
    expect(formatRate(ratio(1n, 3n))).toBe('0.3333333333');
    expect(formatRate(ratio(2n, 3n), 4)).toBe('0.6666');
    expect(formatRate(ratio(5n, 2n))).toBe('2.5');
    expect(formatRate(ratio(7n, 1n))).toBe('7');
    expect(formatRate(ratio(1n, 10n ** 12n))).toBe('0');
  });

  it('round-trips every mid rate through its canonical text', () => {
    fc.assert(
      fc.property(midArb, (mid) => {
        expect(parseRate(formatRate(mid, 12))).toEqual(mid);
      }),
      runs,
    );
  });
});

describe('customer rate', () => {
  it('takes the spread from the mid in either direction', () => {
    const mid = parseRate('7.2345')!;
    expect(customerRate(mid, 0, true)).toEqual(mid);
    expect(formatRate(customerRate(mid, 50, true))).toBe('7.1983275');
    expect(customerRate(mid, 50, false)).toEqual(ratio(9950n * 2000n, 14469n * 10000n));
  });

  it.each([-1, FX_SPREAD_BPS_MAX + 1, 1.5, Number.NaN])('refuses a spread of %s', (bps) => {
    expect(() => customerRate(ratio(1n, 1n), bps, true)).toThrow(RangeError);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => ratio(0n, 1n)).toThrow(RangeError);
    expect(() => ratio(1n, -1n)).toThrow(RangeError);
  });
});

describe('amounts across exponents', () => {
  const usdCny = parseRate('7.2345')!;
  const cnyJpy = parseRate('20.5')!;
  const kwdUsd = parseRate('3.25')!;

  it.each<
    readonly [string, CurrencyCode, CurrencyCode, Ratio, CurrencyCode, number, bigint, bigint]
  >([
    // label, sell, buy, mid, base, spread, sell minor, buy minor
    ['100.00 USD to CNY at mid', 'USD', 'CNY', usdCny, 'USD', 0, 10_000n, 72_345n],
    ['100.00 USD to CNY, 50 bps', 'USD', 'CNY', usdCny, 'USD', 50, 10_000n, 71_983n],
    ['723.45 CNY to USD at mid', 'CNY', 'USD', usdCny, 'USD', 0, 72_345n, 10_000n],
    ['100.00 CNY to JPY', 'CNY', 'JPY', cnyJpy, 'CNY', 0, 10_000n, 2_050n],
    ['1000 JPY to CNY', 'JPY', 'CNY', cnyJpy, 'CNY', 0, 1_000n, 4_878n],
    ['1.000 KWD to USD', 'KWD', 'USD', kwdUsd, 'KWD', 0, 1_000n, 325n],
    ['1.00 USD to KWD', 'USD', 'KWD', kwdUsd, 'KWD', 0, 100n, 307n],
  ])('sells %s', (_label, sell, buy, mid, base, spread, sellMinor, buyMinor) => {
    const math = quoteAmounts(
      { sell, buy, mid, base, spreadBps: spread },
      'sell',
      sellMinor,
      AMOUNT_MINOR_MAX,
    );
    expect(math).toMatchObject({ ok: true, sellMinor, buyMinor });
  });

  it('prices a fixed amount to receive by rounding the price up', () => {
    // 48.79 CNY cost 1000.195 JPY at 20.5: the user pays 1001.
    const terms = { sell: 'JPY', buy: 'CNY', mid: cnyJpy, base: 'CNY', spreadBps: 0 } as const;
    expect(quoteAmounts(terms, 'buy', 4_879n, AMOUNT_MINOR_MAX)).toMatchObject({
      ok: true,
      sellMinor: 1_001n,
      buyMinor: 4_879n,
    });
    // An exact price is not rounded: 20.00 CNY cost exactly 410 JPY.
    expect(quoteAmounts(terms, 'buy', 2_000n, AMOUNT_MINOR_MAX)).toMatchObject({
      sellMinor: 410n,
    });
  });

  it('refuses a conversion that pays out nothing, or more than the maximum', () => {
    const terms = { sell: 'CNY', buy: 'JPY', mid: cnyJpy, base: 'CNY', spreadBps: 0 } as const;
    expect(quoteAmounts(terms, 'sell', 4n, AMOUNT_MINOR_MAX)).toEqual({
      ok: false,
      code: 'fx_amount_too_small',
    });
    expect(quoteAmounts(terms, 'sell', 5n, AMOUNT_MINOR_MAX)).toMatchObject({ buyMinor: 1n });
    // The most yen there is costs 4.9 times as many fen.
    expect(quoteAmounts(terms, 'buy', AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX)).toEqual({
      ok: false,
      code: 'fx_amount_too_large',
    });
    expect(() => quoteAmounts(terms, 'sell', 0n, AMOUNT_MINOR_MAX)).toThrow(RangeError);
    expect(() => quoteAmounts({ ...terms, buy: 'CNY' }, 'sell', 1n, AMOUNT_MINOR_MAX)).toThrow(
      RangeError,
    );
  });
});

describe('properties', () => {
  it('never pays out more than the exact product, and misses it by less than one unit', () => {
    fc.assert(
      fc.property(anyMidArb, spreadArb, pairArb, amountArb, (mid, spread, [sell, buy], amount) => {
        const rate = customerRate(mid, spread, true);
        const { n, d } = minorRate(rate, sell, buy);
        const out = buyForSell(amount, rate, sell, buy);
        // 0 <= amount*n/d - out < 1, scaled by d to stay in integers.
        expect(amount * n - out * d >= 0n).toBe(true);
        expect(amount * n - out * d < d).toBe(true);
      }),
      runs,
    );
  });

  it('never charges less than the exact price, and overshoots it by less than one unit', () => {
    fc.assert(
      fc.property(anyMidArb, spreadArb, pairArb, amountArb, (mid, spread, [sell, buy], wanted) => {
        const rate = customerRate(mid, spread, false);
        const { n, d } = minorRate(rate, sell, buy);
        const price = sellForBuy(wanted, rate, sell, buy);
        // 0 <= price - wanted*d/n < 1, scaled by n.
        expect(price * n - wanted * d >= 0n).toBe(true);
        expect(price * n - wanted * d < n).toBe(true);
        expect(buyForSell(price, rate, sell, buy) >= wanted).toBe(true);
      }),
      runs,
    );
  });

  it('never gives the user more than the mid rate would, whatever is fixed', () => {
    fc.assert(
      fc.property(
        anyMidArb,
        spreadArb,
        pairArb,
        amountArb,
        fc.constantFrom('sell' as const, 'buy' as const),
        fc.boolean(),
        (mid, spread, [sell, buy], amount, fixed, sellIsBase) => {
          const base = sellIsBase ? sell : buy;
          const math = quoteAmounts(
            { sell, buy, mid, base, spreadBps: spread },
            fixed,
            amount,
            AMOUNT_MINOR_MAX,
          );
          if (!math.ok) return;
          const atMid = customerRate(mid, 0, sellIsBase);
          const { n, d } = minorRate(atMid, sell, buy);
          expect(math.buyMinor * d <= math.sellMinor * n).toBe(true);
          expect(math.sellMinor > 0n && math.buyMinor > 0n).toBe(true);
          expect(math.sellMinor <= AMOUNT_MINOR_MAX && math.buyMinor <= AMOUNT_MINOR_MAX).toBe(
            true,
          );
          if (fixed === 'sell') expect(math.sellMinor).toBe(amount);
          else expect(math.buyMinor).toBe(amount);
        },
      ),
      runs,
    );
  });

  it('is monotonic in the amount and in the spread', () => {
    fc.assert(
      fc.property(
        anyMidArb,
        spreadArb,
        spreadArb,
        pairArb,
        amountArb,
        amountArb,
        (mid, s1, s2, [sell, buy], a1, a2) => {
          const [low, high] = a1 <= a2 ? [a1, a2] : [a2, a1];
          const rate = customerRate(mid, s1, true);
          expect(buyForSell(low, rate, sell, buy) <= buyForSell(high, rate, sell, buy)).toBe(true);
          expect(sellForBuy(low, rate, sell, buy) <= sellForBuy(high, rate, sell, buy)).toBe(true);
          const [narrow, wide] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const narrowRate = customerRate(mid, narrow, true);
          const wideRate = customerRate(mid, wide, true);
          expect(buyForSell(a1, wideRate, sell, buy) <= buyForSell(a1, narrowRate, sell, buy)).toBe(
            true,
          );
        },
      ),
      runs,
    );
  });

  it('never gains the user anything on a round trip there and back', () => {
    fc.assert(
      fc.property(anyMidArb, spreadArb, pairArb, amountArb, (mid, spread, [a, b], amount) => {
        const there = buyForSell(amount, customerRate(mid, spread, true), a, b);
        const back = buyForSell(there, customerRate(mid, spread, false), b, a);
        expect(back <= amount).toBe(true);
      }),
      runs,
    );
  });
});
