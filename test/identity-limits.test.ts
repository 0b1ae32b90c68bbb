/**
 * Payment limits on the real database: every cap of every tier, day and year rollover in the
 * configured time zone, releases, and concurrent payments that can never exceed a cap together.
 */
import fc from 'fast-check';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTransaction, type Pool } from '../src/db/index.js';
import { AssertionError } from '../src/lib/assert.js';
import { manualClock } from '../src/lib/clock.js';
import { newId } from '../src/lib/ids.js';
import { createPaymentLimits, type PaymentLimits } from '../src/identity/payment-limits.js';
import { insertUser } from './identity-fixtures.js';
import { createTestDatabase, type TestDatabase } from './db.js';

const ZONE = 'Asia/Shanghai';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const YUAN = 100n;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

async function newUser(tier: 1 | 2 | 3 = 1): Promise<string> {
  return (await insertUser(db.pool, { tier })).id;
}

async function setTier(userId: string, tier: 1 | 2 | 3): Promise<void> {
  await db.pool.query('UPDATE users SET kyc_tier = $2 WHERE id = $1', [userId, tier]);
}

interface StoredUsage {
  kind: string;
  key: string;
  used: bigint;
}

async function storedUsage(userId: string): Promise<StoredUsage[]> {
  const { rows } = await db.pool.query<StoredUsage>(
    `SELECT period_kind AS kind, period_key::text AS key, used_minor AS used
       FROM payment_usage WHERE user_id = $1 ORDER BY period_kind, period_key`,
    [userId],
  );
  return rows;
}

/** One payment: a transaction of its own that reserves and commits. */
function pay(limits: PaymentLimits, userId: string, amountMinor: bigint, pool: Pool = db.pool) {
  return withTransaction(pool, (tx) => limits.reserve(tx, userId, amountMinor));
}

function refund(limits: PaymentLimits, userId: string, amountMinor: bigint, at: Date) {
  return withTransaction(db.pool, (tx) => limits.release(tx, userId, amountMinor, at));
}

// 2025-03-10 10:00 in Shanghai.
const START_MS = Date.parse('2025-03-10T02:00:00Z');

function setup(startMs = START_MS) {
  const clock = manualClock(startMs);
  const limits = createPaymentLimits({ pool: db.pool, clock, timeZone: ZONE });
  return { clock, limits };
}

describe('reserve', () => {
  it('counts a payment in the day, the year and the lifetime', async () => {
    const { limits } = setup();
    const user = await newUser(1);
    const result = await pay(limits, user, 300n * YUAN);
    expect(result).toEqual({ ok: true, reservedAt: new Date(START_MS) });
    expect(await storedUsage(user)).toEqual([
      { kind: 'day', key: '2025-03-10', used: 30_000n },
      { kind: 'lifetime', key: '-infinity', used: 30_000n },
      { kind: 'year', key: '2025-01-01', used: 30_000n },
    ]);
    expect(await limits.remaining(user)).toEqual({
      tier: 1,
      currency: 'CNY',
      perTransactionMinor: 100_000n,
      daily: { capMinor: 100_000n, usedMinor: 30_000n, remainingMinor: 70_000n },
      period: { kind: 'lifetime', capMinor: 100_000n, usedMinor: 30_000n, remainingMinor: 70_000n },
    });
  });

  it('refuses a payment above the cap of one payment, and writes nothing', async () => {
    const { limits } = setup();
    const user = await newUser(2);
    const result = await pay(limits, user, 50_000n * YUAN + 1n);
    expect(result).toMatchObject({ ok: false, code: 'limit_per_transaction_exceeded' });
    expect(!result.ok && result.detail).toContain('50000.00 CNY');
    expect(await storedUsage(user)).toEqual([]);
  });

  it('refuses beyond the lifetime cap of tier 1 with what is left', async () => {
    const { limits, clock } = setup();
    const user = await newUser(1);
    expect((await pay(limits, user, 600n * YUAN)).ok).toBe(true);
    clock.advanceMs(3 * DAY_MS);
    expect((await pay(limits, user, 300n * YUAN)).ok).toBe(true);
    clock.advanceMs(400 * DAY_MS); // another year: the lifetime still counts
    const result = await pay(limits, user, 100n * YUAN + 1n);
    expect(result).toEqual({
      ok: false,
      code: 'limit_lifetime_exceeded',
      detail: expect.stringContaining('100.00 CNY is left'),
    });
    expect((await pay(limits, user, 100n * YUAN)).ok).toBe(true);
    expect((await limits.remaining(user)).period).toEqual({
      kind: 'lifetime',
      capMinor: 100_000n,
      usedMinor: 100_000n,
      remainingMinor: 0n,
    });
  });

  it('refuses beyond the daily cap, and the next day in Shanghai allows it again', async () => {
    // 23:30 in Shanghai: half an hour later is another day there, but not yet in UTC.
    const { limits, clock } = setup(Date.parse('2025-03-10T15:30:00Z'));
    const user = await newUser(2);
    expect((await pay(limits, user, 30_000n * YUAN)).ok).toBe(true);
    expect((await pay(limits, user, 20_000n * YUAN)).ok).toBe(true);
    const refused = await pay(limits, user, 1n);
    expect(refused).toMatchObject({ ok: false, code: 'limit_daily_exceeded' });
    expect(!refused.ok && refused.detail).toContain('0.00 CNY is left today');
    clock.advanceMs(30 * 60_000 - 1);
    expect(await pay(limits, user, 1n)).toMatchObject({ code: 'limit_daily_exceeded' });
    clock.advanceMs(1);
    expect((await pay(limits, user, 1n)).ok).toBe(true);
    expect((await limits.remaining(user)).daily).toEqual({
      capMinor: 5_000_000n,
      usedMinor: 1n,
      remainingMinor: 4_999_999n,
    });
    expect((await storedUsage(user)).filter((r) => r.kind === 'day')).toEqual([
      { kind: 'day', key: '2025-03-10', used: 5_000_000n },
      { kind: 'day', key: '2025-03-11', used: 1n },
    ]);
  });

  it('refuses beyond the yearly cap, and the next year in Shanghai allows it again', async () => {
    // 2025-12-30 12:00 in Shanghai.
    const { limits, clock } = setup(Date.parse('2025-12-30T04:00:00Z'));
    const user = await newUser(2);
    expect((await pay(limits, user, 50_000n * YUAN)).ok).toBe(true);
    clock.advanceMs(DAY_MS);
    expect((await pay(limits, user, 49_999n * YUAN)).ok).toBe(true);
    const refused = await pay(limits, user, 2n * YUAN);
    expect(refused).toMatchObject({ ok: false, code: 'limit_yearly_exceeded' });
    expect(!refused.ok && refused.detail).toContain('1.00 CNY is left this year');
    clock.advanceMs(12 * HOUR_MS); // 2026-01-01 00:00 in Shanghai, 2025-12-31 16:00 UTC
    expect((await pay(limits, user, 2n * YUAN)).ok).toBe(true);
    expect((await limits.remaining(user)).period).toEqual({
      kind: 'year',
      capMinor: 10_000_000n,
      usedMinor: 200n,
      remainingMinor: 9_999_800n,
    });
  });

  it('uses the higher caps once the tier rises, counting what was paid before', async () => {
    const { limits } = setup();
    const user = await newUser(1);
    expect((await pay(limits, user, 900n * YUAN)).ok).toBe(true);
    expect(await pay(limits, user, 200n * YUAN)).toMatchObject({
      code: 'limit_lifetime_exceeded',
    });
    await setTier(user, 2);
    expect((await pay(limits, user, 200n * YUAN)).ok).toBe(true);
    expect(await pay(limits, user, 50_000n * YUAN)).toMatchObject({
      code: 'limit_daily_exceeded',
    });
    expect(await limits.remaining(user)).toMatchObject({
      tier: 2,
      perTransactionMinor: 5_000_000n,
      daily: { usedMinor: 110_000n, remainingMinor: 4_890_000n },
      period: { kind: 'year', usedMinor: 110_000n, remainingMinor: 9_890_000n },
    });
    await setTier(user, 3);
    expect((await pay(limits, user, 98_900n * YUAN)).ok).toBe(true);
    expect((await limits.remaining(user)).daily.remainingMinor).toBe(0n);
  });

  it('follows caps that an operator changes in the table', async () => {
    const { limits } = setup();
    const user = await newUser(3);
    await withTransaction(db.pool, async (tx) => {
      await tx.query('UPDATE payment_limits SET per_transaction_minor = 100 WHERE tier = 3');
      expect(await limits.reserve(tx, user, 101n)).toMatchObject({
        code: 'limit_per_transaction_exceeded',
      });
      // Leave the shared table as it was for the other tests.
      throw new Error('roll back');
    }).catch((error: unknown) => {
      if (!(error instanceof Error) || error.message !== 'roll back') throw error;
    });
    expect((await pay(limits, user, 101n)).ok).toBe(true);
  });

  it('asserts that the amount is positive and the user exists', async () => {
    const { limits } = setup();
    const user = await newUser(1);
    await expect(pay(limits, user, 0n)).rejects.toThrow(AssertionError);
    await expect(pay(limits, user, -5n)).rejects.toThrow(AssertionError);
    await expect(pay(limits, newId('usr', Date.now()), 5n)).rejects.toThrow(AssertionError);
    expect(await storedUsage(user)).toEqual([]);
  });
});

describe('release', () => {
  it('gives an amount back on the day and year of the payment', async () => {
    const { limits, clock } = setup(Date.parse('2025-12-31T15:00:00Z')); // 23:00 in Shanghai
    const user = await newUser(2);
    const paid = await pay(limits, user, 40_000n * YUAN);
    expect(paid.ok).toBe(true);
    clock.advanceMs(2 * HOUR_MS); // the next day and the next year in Shanghai
    expect((await pay(limits, user, 10_000n * YUAN)).ok).toBe(true);
    await refund(limits, user, 15_000n * YUAN, paid.ok ? paid.reservedAt : new Date(0));
    expect(await storedUsage(user)).toEqual([
      { kind: 'day', key: '2025-12-31', used: 2_500_000n },
      { kind: 'day', key: '2026-01-01', used: 1_000_000n },
      { kind: 'lifetime', key: '-infinity', used: 3_500_000n },
      { kind: 'year', key: '2025-01-01', used: 2_500_000n },
      { kind: 'year', key: '2026-01-01', used: 1_000_000n },
    ]);
  });

  it('makes room for another payment today', async () => {
    const { limits } = setup();
    const user = await newUser(1);
    const paid = await pay(limits, user, 1000n * YUAN);
    expect(await pay(limits, user, 1n)).toMatchObject({ code: 'limit_lifetime_exceeded' });
    await refund(limits, user, 400n * YUAN, new Date(START_MS));
    expect(paid.ok).toBe(true);
    expect((await pay(limits, user, 400n * YUAN)).ok).toBe(true);
  });

  it('asserts when more is given back than was reserved on that day', async () => {
    const { limits } = setup();
    const user = await newUser(1);
    expect((await pay(limits, user, 100n)).ok).toBe(true);
    await expect(refund(limits, user, 101n, new Date(START_MS))).rejects.toThrow(AssertionError);
    await expect(refund(limits, user, 1n, new Date(START_MS + DAY_MS))).rejects.toThrow(
      AssertionError,
    );
    expect((await storedUsage(user)).every((r) => r.used === 100n)).toBe(true);
  });

  it('is undone with the transaction it ran in', async () => {
    const { limits } = setup();
    const user = await newUser(1);
    await withTransaction(db.pool, async (tx) => {
      expect((await limits.reserve(tx, user, 500n)).ok).toBe(true);
      throw new Error('payment failed');
    }).catch(() => undefined);
    expect((await storedUsage(user)).every((r) => r.used === 0n)).toBe(true);
    expect((await limits.remaining(user)).daily.usedMinor).toBe(0n);
  });
});

describe('concurrency', () => {
  const amount = 30n * YUAN;

  /** 50 payments at once, each in its own transaction on one of 25 connections. */
  async function fiftyAtOnce(limits: PaymentLimits, user: string) {
    const pool = db.newPool(25);
    return Promise.all(
      Array.from({ length: 50 }, () =>
        withTransaction(pool, async (tx) => {
          const result = await limits.reserve(tx, user, amount);
          // Keep the transaction open a moment, as a payment would, so that others queue on it.
          await sleep(randomInt(0, 5));
          return result;
        }),
      ),
    );
  }

  it('50 concurrent payments against one daily cap: exactly the ones that fit succeed', async () => {
    const { limits } = setup();
    const user = await newUser(2);
    // Leave room today for 33 payments of 30 CNY and a half: the 34th does not fit.
    const earlier = 50_000n * YUAN - 33n * amount - amount / 2n;
    expect((await pay(limits, user, earlier)).ok).toBe(true);
    const results = await fiftyAtOnce(limits, user);
    expect(results.filter((r) => r.ok)).toHaveLength(33);
    const refused = results.filter((r) => !r.ok);
    expect(new Set(refused.map((r) => (r.ok ? 'ok' : r.code)))).toEqual(
      new Set(['limit_daily_exceeded']),
    );
    const used = earlier + 33n * amount;
    expect((await storedUsage(user)).map((r) => r.used)).toEqual([used, used, used]);
    expect((await limits.remaining(user)).daily.remainingMinor).toBe(amount / 2n);
  });

  it('50 concurrent first payments of a new user against the lifetime cap of tier 1', async () => {
    const { limits } = setup();
    const user = await newUser(1);
    // Tier 1 allows 1,000 CNY: 33 payments of 30 CNY fit, the 34th would make 1,020. The usage
    // rows do not exist yet, so the payments also race to create them.
    const results = await fiftyAtOnce(limits, user);
    expect(results.filter((r) => r.ok)).toHaveLength(33);
    expect(results.filter((r) => !r.ok).every((r) => r.code === 'limit_lifetime_exceeded')).toBe(
      true,
    );
    const used = 33n * amount;
    expect((await storedUsage(user)).map((r) => r.used)).toEqual([used, used, used]);
  });

  it('concurrent payments and refunds of several users never deadlock and add up', async () => {
    const { limits } = setup();
    const users = await Promise.all([newUser(2), newUser(2), newUser(2)]);
    const pool = db.newPool(20);
    const at = new Date(START_MS);
    await Promise.all(users.map((u) => pay(limits, u, 1_000_000n)));
    const outcomes = await Promise.all(
      Array.from({ length: 90 }, (_, i) =>
        withTransaction(pool, async (tx) => {
          const user = users[i % 3]!;
          if (i % 2 === 0) return limits.reserve(tx, user, 10_000n);
          await limits.release(tx, user, 10_000n, at);
          return { ok: true as const };
        }),
      ),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    for (const user of users) {
      const rows = await storedUsage(user);
      // 15 reservations and 15 releases of 100 CNY each per user.
      expect(rows.map((r) => r.used)).toEqual([1_000_000n, 1_000_000n, 1_000_000n]);
    }
  });
});

describe('model', () => {
  type Command =
    | { readonly kind: 'reserve'; readonly amountMinor: bigint }
    | { readonly kind: 'release'; readonly pick: number; readonly partMinor: bigint }
    | { readonly kind: 'advance'; readonly ms: number };

  const command: fc.Arbitrary<Command> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .bigInt({ min: 0n, max: 12_000_000n })
        .map((amountMinor) => ({ kind: 'reserve' as const, amountMinor })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ pick: fc.nat(), partMinor: fc.bigInt({ min: 1n, max: 6_000_000n }) })
        .map((r) => ({ kind: 'release' as const, ...r })),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(fc.integer({ min: 0, max: 30 * HOUR_MS }), fc.integer({ min: 0, max: 200 * DAY_MS }))
        .map((ms) => ({ kind: 'advance' as const, ms })),
    },
  );

  const caps = {
    1: { perTx: 100_000n, daily: 100_000n, period: 100_000n, kind: 'lifetime' },
    2: { perTx: 5_000_000n, daily: 5_000_000n, period: 10_000_000n, kind: 'year' },
    3: { perTx: 10_000_000n, daily: 10_000_000n, period: 20_000_000n, kind: 'year' },
  } as const;

  /** Amounts a little above each tier's cap on one payment, so that every outcome happens. */
  const amountScale = { 1: 120_000n, 2: 6_000_000n, 3: 12_000_000n } as const;

  /** Shanghai has no daylight saving time: its calendar is UTC shifted by eight hours. */
  const shanghaiKeys = (ms: number) => {
    const iso = new Date(ms + 8 * HOUR_MS).toISOString();
    return { day: iso.slice(0, 10), year: `${iso.slice(0, 4)}-01-01` };
  };

  it('stored usage equals the model and never exceeds a cap (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1 as const, 2 as const, 3 as const),
        fc.array(command, { minLength: 1, maxLength: 25 }),
        async (tier, commands) => {
          const { limits, clock } = setup(Date.parse('2025-12-29T10:00:00Z'));
          const user = await newUser(tier);
          const cap = caps[tier];
          const model = new Map<string, bigint>();
          const reservations: Array<{ atMs: number; leftMinor: bigint }> = [];
          const get = (key: string) => model.get(key) ?? 0n;
          const rowKeys = (ms: number) => {
            const keys = shanghaiKeys(ms);
            return [`day ${keys.day}`, 'lifetime -infinity', `year ${keys.year}`];
          };
          for (const cmd of commands) {
            if (cmd.kind === 'advance') {
              clock.advanceMs(cmd.ms);
            } else if (cmd.kind === 'reserve') {
              const amountMinor = (cmd.amountMinor % amountScale[tier]) + 1n;
              const nowMs = clock.nowMs();
              const [day, lifetime, year] = rowKeys(nowMs) as [string, string, string];
              const periodUsed = cap.kind === 'lifetime' ? get(lifetime) : get(year);
              const fits =
                amountMinor <= cap.perTx &&
                get(day) + amountMinor <= cap.daily &&
                periodUsed + amountMinor <= cap.period;
              const result = await pay(limits, user, amountMinor);
              expect(result.ok).toBe(fits);
              if (fits) {
                for (const key of [day, lifetime, year]) model.set(key, get(key) + amountMinor);
                reservations.push({ atMs: nowMs, leftMinor: amountMinor });
              }
            } else if (reservations.some((r) => r.leftMinor > 0n)) {
              const open = reservations.filter((r) => r.leftMinor > 0n);
              const reservation = open[cmd.pick % open.length]!;
              const part =
                cmd.partMinor < reservation.leftMinor ? cmd.partMinor : reservation.leftMinor;
              await refund(limits, user, part, new Date(reservation.atMs));
              reservation.leftMinor -= part;
              for (const key of rowKeys(reservation.atMs)) model.set(key, get(key) - part);
            }
            // A refused payment may leave rows at zero behind; rows are compared where used.
            const stored = await storedUsage(user);
            const usedRows = stored.filter((r) => r.used !== 0n);
            expect(new Map(usedRows.map((r) => [`${r.kind} ${r.key}`, r.used]))).toEqual(
              new Map([...model].filter(([, used]) => used !== 0n)),
            );
            for (const row of stored) {
              if (row.kind === 'day') expect(row.used).toBeLessThanOrEqual(cap.daily);
              if (row.kind === cap.kind) expect(row.used).toBeLessThanOrEqual(cap.period);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
