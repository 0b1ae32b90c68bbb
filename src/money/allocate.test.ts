import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ALLOCATION_PARTS_MAX, allocate, splitEvenly } from './allocate.js';
import { AMOUNT_MINOR_MAX } from './money.js';

const sum = (parts: readonly bigint[]): bigint => parts.reduce((s, p) => s + p, 0n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** Weights with at least one positive entry, as `allocate` requires. */
const weightsArb = fc
  .array(fc.bigInt({ min: 0n, max: 1_000_000n }), { minLength: 1, maxLength: 50 })
  .filter((ws) => ws.some((w) => w > 0n));

describe('allocate', () => {
  const examples: ReadonlyArray<readonly [bigint, readonly bigint[], readonly bigint[]]> = [
    [100n, [1n, 1n, 1n], [34n, 33n, 33n]],
    [5n, [3n, 7n], [2n, 3n]],
    [10n, [1n, 0n, 1n], [5n, 0n, 5n]],
    [1n, [1n, 1n], [1n, 0n]],
    [0n, [2n, 5n], [0n, 0n]],
    [7n, [5n], [7n]],
    [100n, [1n, 2n, 3n], [17n, 33n, 50n]],
    [2n, [1n, 1n, 1n, 1n], [1n, 1n, 0n, 0n]],
    [11n, [1n, 3n], [3n, 8n]],
  ];

  it.each(examples)('allocates %s by %o as %o', (total, weights, expected) => {
    expect(allocate(total, weights)).toEqual(expected);
  });

  it('conserves the total and keeps each part within one unit of its exact share', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: AMOUNT_MINOR_MAX }), weightsArb, (total, weights) => {
        const parts = allocate(total, weights);
        const weightSum = sum(weights);
        expect(parts).toHaveLength(weights.length);
        expect(sum(parts)).toBe(total);
        parts.forEach((part, i) => {
          const weight = weights[i] ?? 0n;
          // |part - total*weight/weightSum| < 1, scaled by weightSum to stay in integers.
          expect(abs(part * weightSum - total * weight) < weightSum).toBe(true);
          expect(part >= 0n).toBe(true);
          if (weight === 0n) expect(part).toBe(0n);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it.each<readonly [string, () => unknown]>([
    ['a negative total', () => allocate(-1n, [1n])],
    ['no weights', () => allocate(1n, [])],
    ['only zero weights', () => allocate(1n, [0n, 0n])],
    ['a negative weight', () => allocate(1n, [2n, -1n])],
    ['too many weights', () => allocate(1n, new Array<bigint>(ALLOCATION_PARTS_MAX + 1).fill(1n))],
  ])('throws RangeError for %s', (_, call) => {
    expect(call).toThrow(RangeError);
  });

  it('accepts the maximum number of weights', () => {
    const parts = allocate(AMOUNT_MINOR_MAX, new Array<bigint>(ALLOCATION_PARTS_MAX).fill(1n));
    expect(sum(parts)).toBe(AMOUNT_MINOR_MAX);
  });
});

describe('splitEvenly', () => {
  it('puts the larger parts first', () => {
    expect(splitEvenly(100n, 3)).toEqual([34n, 33n, 33n]);
    expect(splitEvenly(1n, 3)).toEqual([1n, 0n, 0n]);
    expect(splitEvenly(9n, 3)).toEqual([3n, 3n, 3n]);
    expect(splitEvenly(0n, 2)).toEqual([0n, 0n]);
  });

  it('gives parts that sum to the total and differ by at most one unit', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: AMOUNT_MINOR_MAX }),
        fc.integer({ min: 1, max: 200 }),
        (total, n) => {
          const parts = splitEvenly(total, n);
          expect(parts).toHaveLength(n);
          expect(sum(parts)).toBe(total);
          const max = parts.reduce((m, p) => (p > m ? p : m));
          const min = parts.reduce((m, p) => (p < m ? p : m));
          expect(max - min <= 1n).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([0, -1, 1.5, Number.NaN, ALLOCATION_PARTS_MAX + 1])(
    'throws RangeError for %s parts',
    (parts) => {
      expect(() => splitEvenly(10n, parts)).toThrow(RangeError);
    },
  );

  it('throws RangeError for a negative total', () => {
    expect(() => splitEvenly(-1n, 2)).toThrow(RangeError);
  });
});
