import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PIN_FAILURES_LOCK,
  PIN_LOCK_BASE_MS,
  PIN_LOCK_MAX_MS,
  PIN_LOCKOUT_FORGET_MS,
  STEP_UP_CONFIRMATION_TTL_MS,
  STEP_UP_TOKEN_BYTES,
  bindingProblem,
  calendarDay,
  exemptionRefusal,
  lockDurationMs,
  pinAttempt,
  pinChoiceProblem,
  stepUpDetail,
  triesLeft,
  type PinCounters,
} from './pin-policy.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('limits', () => {
  it('match PRODUCT.md and API.md', () => {
    expect(PIN_FAILURES_LOCK).toBe(5);
    expect(PIN_LOCK_BASE_MS).toBe(15 * MINUTE);
    expect(PIN_LOCK_MAX_MS).toBe(24 * HOUR);
    expect(STEP_UP_CONFIRMATION_TTL_MS).toBeLessThanOrEqual(5 * MINUTE);
    expect(STEP_UP_TOKEN_BYTES * 8).toBeGreaterThanOrEqual(128);
  });
});

describe('pinChoiceProblem', () => {
  const cases: ReadonlyArray<readonly [unknown, ReturnType<typeof pinChoiceProblem>]> = [
    ['', 'pin_format_invalid'],
    ['12345', 'pin_format_invalid'],
    ['1234567', 'pin_format_invalid'],
    ['12a456', 'pin_format_invalid'],
    [' 13579', 'pin_format_invalid'],
    ['135792\n', 'pin_format_invalid'],
    ['１３５７９２', 'pin_format_invalid'], // full-width digits are not ASCII
    ['١٣٥٧٩٢', 'pin_format_invalid'], // nor are Arabic-Indic ones
    ['-13579', 'pin_format_invalid'],
    [135792, 'pin_format_invalid'],
    [undefined, 'pin_format_invalid'],
    ['000000', 'pin_too_simple'],
    ['666666', 'pin_too_simple'],
    ['888888', 'pin_too_simple'],
    ['123456', 'pin_too_simple'],
    ['234567', 'pin_too_simple'],
    ['456789', 'pin_too_simple'],
    ['890123', 'pin_too_simple'],
    ['654321', 'pin_too_simple'],
    ['987654', 'pin_too_simple'],
    ['210987', 'pin_too_simple'],
    ['123123', 'pin_too_simple'],
    ['520520', 'pin_too_simple'],
    ['121212', 'pin_too_simple'],
    ['101010', 'pin_too_simple'],
    ['112233', 'pin_too_simple'],
    ['123321', 'pin_too_simple'],
    ['147258', 'pin_too_simple'],
    ['159357', 'pin_too_simple'],
    ['135792', undefined],
    ['480317', undefined],
    ['123457', undefined],
    ['520521', undefined],
    ['000001', undefined],
    ['121213', undefined],
  ];
  it.each(cases)('%j → %s', (pin, expected) => {
    expect(pinChoiceProblem(pin)).toBe(expected);
  });

  it('refuses only a small share of all PINs', () => {
    let refused = 0;
    for (let n = 0; n < 1_000_000; n += 1) {
      if (pinChoiceProblem(String(n).padStart(6, '0')) !== undefined) refused += 1;
    }
    expect(refused).toBeGreaterThan(1000);
    expect(refused).toBeLessThan(1200);
  });
});

describe('lockDurationMs', () => {
  it('starts at 15 minutes and doubles up to a day', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 10_000].map(lockDurationMs)).toEqual([
      15 * MINUTE,
      30 * MINUTE,
      60 * MINUTE,
      2 * HOUR,
      4 * HOUR,
      8 * HOUR,
      16 * HOUR,
      24 * HOUR,
      24 * HOUR,
      24 * HOUR,
      24 * HOUR,
    ]);
  });
});

const fresh: PinCounters = { failures: 0, lockedUntilMs: null, lockouts: 0 };
const T0 = Date.UTC(2025, 0, 10, 12, 0, 0);

describe('pinAttempt', () => {
  it('counts wrong tries and locks on the fifth', () => {
    let counters = fresh;
    for (let i = 1; i < PIN_FAILURES_LOCK; i += 1) {
      const attempt = pinAttempt(counters, false, T0);
      expect(attempt).toMatchObject({ outcome: 'wrong', triesLeft: PIN_FAILURES_LOCK - i });
      if (attempt.outcome !== 'wrong') throw new Error('expected wrong');
      counters = attempt.next;
    }
    expect(pinAttempt(counters, false, T0)).toEqual({
      outcome: 'locked_now',
      next: { failures: 0, lockedUntilMs: T0 + 15 * MINUTE, lockouts: 1 },
      lockMs: 15 * MINUTE,
    });
  });

  it('refuses even the right PIN while locked, and accepts it after', () => {
    const locked: PinCounters = { failures: 0, lockedUntilMs: T0 + 1000, lockouts: 1 };
    expect(pinAttempt(locked, true, T0)).toEqual({ outcome: 'locked', retryAfterMs: 1000 });
    expect(pinAttempt(locked, false, T0 + 999)).toEqual({ outcome: 'locked', retryAfterMs: 1 });
    expect(pinAttempt(locked, true, T0 + 1000)).toEqual({
      outcome: 'right',
      next: { failures: 0, lockedUntilMs: T0 + 1000, lockouts: 1 },
    });
  });

  it('a right PIN resets the count but keeps the streak', () => {
    const counters: PinCounters = { failures: 3, lockedUntilMs: T0 - HOUR, lockouts: 2 };
    expect(pinAttempt(counters, true, T0)).toEqual({
      outcome: 'right',
      next: { failures: 0, lockedUntilMs: T0 - HOUR, lockouts: 2 },
    });
  });

  it('the next lock of a streak is longer; a day after the last lock the streak is forgotten', () => {
    const after: PinCounters = { failures: 4, lockedUntilMs: T0, lockouts: 1 };
    expect(pinAttempt(after, false, T0 + HOUR)).toMatchObject({
      outcome: 'locked_now',
      lockMs: 30 * MINUTE,
    });
    expect(pinAttempt(after, false, T0 + PIN_LOCKOUT_FORGET_MS - 1)).toMatchObject({
      lockMs: 30 * MINUTE,
    });
    expect(pinAttempt(after, false, T0 + PIN_LOCKOUT_FORGET_MS)).toMatchObject({
      outcome: 'locked_now',
      lockMs: 15 * MINUTE,
      next: { lockouts: 1 },
    });
  });

  it('never allows more than five guesses per lock window (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ right: fc.boolean(), waitMs: fc.nat(2 * HOUR) }), {
          maxLength: 60,
        }),
        (tries) => {
          let counters = fresh;
          let now = T0;
          let wrongSinceLock = 0;
          for (const t of tries) {
            now += t.waitMs;
            const attempt = pinAttempt(counters, t.right, now);
            if (attempt.outcome === 'locked') {
              expect(attempt.retryAfterMs).toBeGreaterThan(0);
              continue;
            }
            counters = attempt.next;
            if (attempt.outcome === 'right') wrongSinceLock = 0;
            else wrongSinceLock += 1;
            if (attempt.outcome === 'locked_now') wrongSinceLock = 0;
            expect(wrongSinceLock).toBeLessThan(PIN_FAILURES_LOCK);
            expect(counters.failures).toBe(wrongSinceLock);
          }
        },
      ),
    );
  });
});

describe('triesLeft', () => {
  it('is 0 while locked and counts down otherwise', () => {
    expect(triesLeft(fresh, T0)).toBe(5);
    expect(triesLeft({ failures: 3, lockedUntilMs: null, lockouts: 0 }, T0)).toBe(2);
    expect(triesLeft({ failures: 0, lockedUntilMs: T0 + 1, lockouts: 1 }, T0)).toBe(0);
    expect(triesLeft({ failures: 0, lockedUntilMs: T0, lockouts: 1 }, T0)).toBe(5);
  });
});

describe('step-up exemption', () => {
  const policy = { exemptAmountMinor: 10_000n, exemptDailyCount: 5 };
  const cny = (amountMinor: bigint) => ({ amountMinor, currency: 'CNY', payee: 'usr_x' });

  it('applies to CNY up to the amount, when on', () => {
    expect(exemptionRefusal(cny(1n), policy)).toBeUndefined();
    expect(exemptionRefusal(cny(10_000n), policy)).toBeUndefined();
    expect(exemptionRefusal(cny(10_001n), policy)).toBe('amount_over');
    expect(exemptionRefusal({ ...cny(1n), currency: 'USD' }, policy)).toBe('currency');
    expect(exemptionRefusal(cny(1n), { ...policy, exemptAmountMinor: 0n })).toBe('exemption_off');
    expect(exemptionRefusal(cny(1n), { ...policy, exemptDailyCount: 0 })).toBe('exemption_off');
  });

  it('explains each refusal', () => {
    expect(stepUpDetail('amount_over', policy, '100.00')).toContain('up to 100.00 CNY');
    expect(stepUpDetail('daily_count_used', policy, '100.00')).toContain('The 5 payments a day');
    expect(stepUpDetail('currency', policy, '100.00')).toContain('Only CNY payments');
    expect(stepUpDetail('exemption_off', policy, '100.00')).toContain('Every payment');
  });

  it('checks bindings', () => {
    expect(bindingProblem(cny(1n))).toBeUndefined();
    expect(bindingProblem(cny(0n))).toMatch(/amountMinor/);
    expect(bindingProblem({ ...cny(1n), currency: 'cny' })).toMatch(/currency/);
    expect(bindingProblem({ ...cny(1n), payee: '' })).toMatch(/payee/);
    expect(bindingProblem({ ...cny(1n), payee: 'x'.repeat(65) })).toMatch(/payee/);
  });
});

describe('calendarDay', () => {
  it('is the day in the time zone, not in UTC', () => {
    const lateUtc = Date.UTC(2025, 0, 10, 16, 30); // 00:30 on 11 January in Shanghai
    expect(calendarDay(lateUtc, 'Asia/Shanghai')).toBe('2025-01-11');
    expect(calendarDay(lateUtc, 'UTC')).toBe('2025-01-10');
    expect(calendarDay(Date.UTC(2025, 0, 10, 15, 59, 59, 999), 'Asia/Shanghai')).toBe('2025-01-10');
    expect(calendarDay(Date.UTC(2024, 11, 31, 16, 0), 'Asia/Shanghai')).toBe('2025-01-01');
  });
});
