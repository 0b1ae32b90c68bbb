import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calendarDateAt,
  decideReservation,
  isoDate,
  leftUnder,
  periodKeysAt,
  type TierCaps,
  type Usage,
} from './payment-limits-core.js';

const at = (iso: string) => Date.parse(iso);

describe('periodKeysAt', () => {
  it.each([
    // Asia/Shanghai is UTC+8 all year: its day starts at 16:00 UTC the day before.
    ['2024-12-31T15:59:59.999Z', 'Asia/Shanghai', '2024-12-31', '2024-01-01'],
    ['2024-12-31T16:00:00.000Z', 'Asia/Shanghai', '2025-01-01', '2025-01-01'],
    ['2024-02-28T16:00:00.000Z', 'Asia/Shanghai', '2024-02-29', '2024-01-01'],
    ['2024-12-31T23:59:59.999Z', 'UTC', '2024-12-31', '2024-01-01'],
    ['2025-01-01T00:00:00.000Z', 'UTC', '2025-01-01', '2025-01-01'],
    // New York in winter (UTC-5) and summer (UTC-4), and on both sides of the DST switches.
    ['2025-01-01T04:59:59.999Z', 'America/New_York', '2024-12-31', '2024-01-01'],
    ['2025-01-01T05:00:00.000Z', 'America/New_York', '2025-01-01', '2025-01-01'],
    ['2025-07-04T03:59:59.999Z', 'America/New_York', '2025-07-03', '2025-01-01'],
    ['2025-07-04T04:00:00.000Z', 'America/New_York', '2025-07-04', '2025-01-01'],
    ['2025-03-09T06:59:59.999Z', 'America/New_York', '2025-03-09', '2025-01-01'],
    ['2025-11-03T04:59:59.999Z', 'America/New_York', '2025-11-02', '2025-01-01'],
    // Kiribati is UTC+14: its new year comes before anyone else's.
    ['2024-12-31T10:00:00.000Z', 'Pacific/Kiritimati', '2025-01-01', '2025-01-01'],
    ['1970-01-01T00:00:00.000Z', 'UTC', '1970-01-01', '1970-01-01'],
    ['0999-06-01T00:00:00.000Z', 'UTC', '0999-06-01', '0999-01-01'],
  ])('%s in %s is day %s of the year starting %s', (instant, zone, day, year) => {
    expect(periodKeysAt(at(instant), zone)).toEqual({ day, year });
  });

  it('refuses instants that are not dates', () => {
    expect(() => periodKeysAt(Number.NaN, 'UTC')).toThrow(RangeError);
    expect(() => periodKeysAt(Number.POSITIVE_INFINITY, 'UTC')).toThrow(RangeError);
    expect(() => periodKeysAt(at('-000100-01-01T00:00:00Z'), 'UTC')).toThrow(RangeError);
  });

  it('refuses unknown time zones', () => {
    expect(() => periodKeysAt(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });

  it('agrees with a fixed-offset computation for Asia/Shanghai (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: at('1992-01-01T00:00:00Z'), max: 2 ** 42 }), (ms) => {
        const shifted = new Date(ms + 8 * 3_600_000).toISOString();
        expect(periodKeysAt(ms, 'Asia/Shanghai')).toEqual({
          day: shifted.slice(0, 10),
          year: `${shifted.slice(0, 4)}-01-01`,
        });
      }),
    );
  });

  it('gives calendar dates as numbers and pads ISO dates', () => {
    expect(calendarDateAt(at('2025-03-05T00:00:00Z'), 'UTC')).toEqual({
      year: 2025,
      month: 3,
      day: 5,
    });
    expect(isoDate({ year: 33, month: 1, day: 9 })).toBe('0033-01-09');
  });
});

const tier1: TierCaps = {
  tier: 1,
  perTransactionMinor: 100_000n,
  dailyMinor: 100_000n,
  periodMinor: 100_000n,
  period: 'lifetime',
};
const tier2: TierCaps = {
  tier: 2,
  perTransactionMinor: 5_000_000n,
  dailyMinor: 5_000_000n,
  periodMinor: 10_000_000n,
  period: 'year',
};
const usage = (dayMinor: bigint, yearMinor: bigint, lifetimeMinor: bigint): Usage => ({
  dayMinor,
  yearMinor,
  lifetimeMinor,
});

describe('decideReservation', () => {
  it.each([
    ['fits with nothing used', tier1, usage(0n, 0n, 0n), 100_000n, 'ok'],
    ['exactly fills the lifetime cap', tier1, usage(0n, 0n, 99_999n), 1n, 'ok'],
    ['one fen over the lifetime cap', tier1, usage(0n, 0n, 99_999n), 2n, 'limit_lifetime_exceeded'],
    [
      'over the cap of one payment',
      tier1,
      usage(0n, 0n, 0n),
      100_001n,
      'limit_per_transaction_exceeded',
    ],
    ['tier 1 ignores the year row', tier1, usage(0n, 9_999_999n, 0n), 100n, 'ok'],
    ['tier 2 ignores the lifetime row', tier2, usage(0n, 0n, 99_999_999n), 100n, 'ok'],
    ['fills the day', tier2, usage(4_000_000n, 4_000_000n, 0n), 1_000_000n, 'ok'],
    ['over the day', tier2, usage(4_000_000n, 4_000_000n, 0n), 1_000_001n, 'limit_daily_exceeded'],
    ['over the year', tier2, usage(0n, 9_500_000n, 0n), 600_000n, 'limit_yearly_exceeded'],
    // Both full: the year is reported, because waiting for tomorrow would not help.
    [
      'over the day and the year',
      tier2,
      usage(5_000_000n, 10_000_000n, 0n),
      1n,
      'limit_yearly_exceeded',
    ],
    // An operator lowered a cap below what was already used.
    [
      'used above a lowered cap',
      tier2,
      usage(6_000_000n, 6_000_000n, 0n),
      1n,
      'limit_daily_exceeded',
    ],
  ] as const)('%s', (_name, caps, used, amount, expected) => {
    const decision = decideReservation(caps, used, amount);
    expect(decision.ok ? 'ok' : decision.code).toBe(expected);
  });

  it('says what is left', () => {
    const decision = decideReservation(tier2, usage(4_999_000n, 5_000_000n, 0n), 2000n);
    expect(decision).toMatchObject({ ok: false, code: 'limit_daily_exceeded' });
    expect(!decision.ok && decision.detail).toContain('10.00 CNY is left today');
    const lifetime = decideReservation(tier1, usage(0n, 0n, 90_000n), 20_000n);
    expect(!lifetime.ok && lifetime.detail).toContain('100.00 CNY is left');
  });

  it('accepts exactly when every cap holds (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(tier1, tier2),
        fc.bigInt({ min: 0n, max: 12_000_000n }),
        fc.bigInt({ min: 0n, max: 12_000_000n }),
        fc.bigInt({ min: 0n, max: 12_000_000n }),
        fc.bigInt({ min: 1n, max: 6_000_000n }),
        (caps, day, year, lifetime, amount) => {
          const period = caps.period === 'year' ? year : lifetime;
          const fits =
            amount <= caps.perTransactionMinor &&
            day + amount <= caps.dailyMinor &&
            period + amount <= caps.periodMinor;
          expect(decideReservation(caps, usage(day, year, lifetime), amount).ok).toBe(fits);
        },
      ),
    );
  });

  it('never reports less than nothing left', () => {
    expect(leftUnder(100n, 150n)).toBe(0n);
    expect(leftUnder(100n, 40n)).toBe(60n);
  });
});
