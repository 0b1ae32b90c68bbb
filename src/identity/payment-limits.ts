/**
 * Payment limits by KYC tier (PRODUCT.md, "Accounts, identity and limits"): a cap per payment,
 * per calendar day, and per calendar year (tiers 2 and 3) or over the account's lifetime (tier 1).
 *
 * Usage is counted in the database, inside the payment's own transaction: `reserve` locks the
 * user's usage rows, decides with the pure core, and adds the amount only if every cap still
 * holds, so concurrent payments queue on the rows and can never exceed a cap together. If the
 * payment fails after a reservation, its transaction rolls the reservation back; if it is refunded
 * or voided later, `release` gives the amount back.
 */
import type { Executor, Pool } from '../db/index.js';
import { assert } from '../lib/assert.js';
import { failure, type CodeSpec, type Failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { limits } from '../limits.js';
import {
  LIFETIME_KEY,
  decidePerTransaction,
  decideReservation,
  leftUnder,
  periodKeysAt,
  type LimitPeriod,
  type PeriodKeys,
  type TierCaps,
  type Usage,
} from './payment-limits-core.js';

export const limitCodes = {
  limit_per_transaction_exceeded: {
    status: 403,
    retryable: false,
    title: {
      en: 'The amount is above the limit for one payment',
      'zh-CN': '金额超过单笔支付限额',
    },
  },
  limit_daily_exceeded: {
    status: 403,
    retryable: false,
    title: { en: 'The daily payment limit would be exceeded', 'zh-CN': '超出每日支付限额' },
  },
  limit_yearly_exceeded: {
    status: 403,
    retryable: false,
    title: { en: 'The yearly payment limit would be exceeded', 'zh-CN': '超出年度支付限额' },
  },
  limit_lifetime_exceeded: {
    status: 403,
    retryable: false,
    title: {
      en: 'The total payment limit of your account would be exceeded; verify your identity to raise it',
      'zh-CN': '超出账户累计支付限额，完成实名认证可提高限额',
    },
  },
} as const satisfies Record<string, CodeSpec>;

export type LimitCode = keyof typeof limitCodes;
export type LimitFailure = Failure<LimitCode>;

export interface PaymentLimitsDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  /** The IANA time zone whose calendar days and years the limits count in. */
  readonly timeZone: string;
}

export interface CapUsage {
  readonly capMinor: bigint;
  readonly usedMinor: bigint;
  readonly remainingMinor: bigint;
}

export interface LimitsRemaining {
  readonly tier: 1 | 2 | 3;
  readonly currency: 'CNY';
  readonly perTransactionMinor: bigint;
  readonly daily: CapUsage;
  readonly period: CapUsage & { readonly kind: LimitPeriod };
}

export interface PaymentLimits {
  /**
   * Counts `amountMinor` (CNY minor units, > 0) against the user's caps inside the payment's
   * transaction `tx`, or changes nothing and says which cap is in the way. `reservedAt` is the
   * instant whose day and year were charged: pass it to `release` if the payment is undone.
   */
  reserve(
    tx: Executor,
    userId: string,
    amountMinor: bigint,
  ): Promise<{ readonly ok: true; readonly reservedAt: Date } | LimitFailure>;
  /** Gives back an earlier reservation on the day and year of `at`, the payment's time. */
  release(tx: Executor, userId: string, amountMinor: bigint, at: Date): Promise<void>;
  /** The caps of the user's tier and what is left of them now. */
  remaining(userId: string): Promise<LimitsRemaining>;
}

interface CapsRow {
  tier: 1 | 2 | 3;
  per_transaction_minor: bigint;
  daily_minor: bigint;
  period_minor: bigint;
  period: LimitPeriod;
}

interface UsageRow {
  period_kind: 'day' | 'year' | 'lifetime';
  used_minor: bigint;
}

async function selectCaps(db: Executor, userId: string): Promise<TierCaps> {
  const { rows } = await db.query<CapsRow>({
    name: 'limits_caps',
    text: `SELECT u.kyc_tier AS tier, l.per_transaction_minor, l.daily_minor, l.period_minor, l.period
       FROM users u JOIN payment_limits l ON l.tier = u.kyc_tier
      WHERE u.id = $1`,
    values: [userId],
  });
  const row = rows[0];
  assert(row !== undefined, `payment limits asked for unknown user ${userId} or a missing tier`);
  return {
    tier: row.tier,
    perTransactionMinor: row.per_transaction_minor,
    dailyMinor: row.daily_minor,
    periodMinor: row.period_minor,
    period: row.period,
  };
}

/**
 * The three rows an instant counts in, in (period_kind, period_key) order: every statement that
 * locks usage rows takes them in this order, so two transactions never wait on each other in a
 * cycle.
 */
const ROWS_SQL = `(period_kind, period_key) IN (('day', $2::date), ('lifetime', '${LIFETIME_KEY}'::date), ('year', $3::date))`;

function usageOf(rows: readonly UsageRow[]): Usage {
  const used = (kind: UsageRow['period_kind']) =>
    rows.find((r) => r.period_kind === kind)?.used_minor ?? 0n;
  return { dayMinor: used('day'), yearMinor: used('year'), lifetimeMinor: used('lifetime') };
}

/** Creates the user's rows for these periods if they are missing, then locks all three. */
async function lockUsage(tx: Executor, userId: string, keys: PeriodKeys): Promise<UsageRow[]> {
  // DO NOTHING leaves an existing row alone; a row another transaction is inserting makes this
  // wait for it, in the same order as the locks below.
  await tx.query({
    name: 'limits_usage_rows',
    text: `INSERT INTO payment_usage (user_id, period_kind, period_key, used_minor)
     VALUES ($1, 'day', $2::date, 0), ($1, 'lifetime', '${LIFETIME_KEY}'::date, 0),
            ($1, 'year', $3::date, 0)
     ON CONFLICT (user_id, period_kind, period_key) DO NOTHING`,
    values: [userId, keys.day, keys.year],
  });
  const { rows } = await tx.query<UsageRow>({
    name: 'limits_lock_usage',
    text: `SELECT period_kind, used_minor FROM payment_usage
      WHERE user_id = $1 AND ${ROWS_SQL}
      ORDER BY period_kind, period_key
        FOR UPDATE`,
    values: [userId, keys.day, keys.year],
  });
  assert(rows.length === 3, `usage rows of ${userId} missing after insert`);
  return rows;
}

async function addUsage(
  tx: Executor,
  userId: string,
  keys: PeriodKeys,
  deltaMinor: bigint,
): Promise<void> {
  const { rowCount } = await tx.query({
    name: 'limits_add_usage',
    text: `UPDATE payment_usage SET used_minor = used_minor + $4 WHERE user_id = $1 AND ${ROWS_SQL}`,
    values: [userId, keys.day, keys.year, deltaMinor],
  });
  assert(rowCount === 3, `expected to change 3 usage rows of ${userId}, changed ${rowCount}`);
}

function assertAmount(amountMinor: bigint): void {
  assert(
    typeof amountMinor === 'bigint' && amountMinor > 0n && amountMinor <= limits.amountMinorMax,
    `a payment limit amount must be a positive bigint within amountMinorMax, got ${String(amountMinor)}`,
  );
}

export function createPaymentLimits(deps: PaymentLimitsDeps): PaymentLimits {
  const { pool, clock, timeZone } = deps;

  async function reserve(
    tx: Executor,
    userId: string,
    amountMinor: bigint,
  ): Promise<{ readonly ok: true; readonly reservedAt: Date } | LimitFailure> {
    assertAmount(amountMinor);
    const nowMs = clock.nowMs();
    const caps = await selectCaps(tx, userId);
    // The per-transaction cap needs no usage, so such a payment is refused before taking locks.
    const single = decidePerTransaction(caps, amountMinor);
    if (!single.ok) return failure(single.code, { detail: single.detail });
    const keys = periodKeysAt(nowMs, timeZone);
    const usage = usageOf(await lockUsage(tx, userId, keys));
    const decision = decideReservation(caps, usage, amountMinor);
    if (!decision.ok) return failure(decision.code, { detail: decision.detail });
    await addUsage(tx, userId, keys, amountMinor);
    return { ok: true, reservedAt: new Date(nowMs) };
  }

  async function release(
    tx: Executor,
    userId: string,
    amountMinor: bigint,
    at: Date,
  ): Promise<void> {
    assertAmount(amountMinor);
    const keys = periodKeysAt(at.getTime(), timeZone);
    const { rows } = await tx.query<UsageRow>(
      `SELECT period_kind, used_minor FROM payment_usage
        WHERE user_id = $1 AND ${ROWS_SQL}
        ORDER BY period_kind, period_key
          FOR UPDATE`,
      [userId, keys.day, keys.year],
    );
    // Giving back more than was reserved on that day means the caller mixed up its payments.
    assert(
      rows.length === 3 && rows.every((r) => r.used_minor >= amountMinor),
      `release of ${amountMinor} for ${userId} on ${keys.day} exceeds what was reserved`,
    );
    await addUsage(tx, userId, keys, -amountMinor);
  }

  async function remaining(userId: string): Promise<LimitsRemaining> {
    const keys = periodKeysAt(clock.nowMs(), timeZone);
    const caps = await selectCaps(pool, userId);
    const { rows } = await pool.query<UsageRow>(
      `SELECT period_kind, used_minor FROM payment_usage WHERE user_id = $1 AND ${ROWS_SQL}`,
      [userId, keys.day, keys.year],
    );
    const usage = usageOf(rows);
    const periodUsed = caps.period === 'lifetime' ? usage.lifetimeMinor : usage.yearMinor;
    return {
      tier: caps.tier,
      currency: 'CNY',
      perTransactionMinor: caps.perTransactionMinor,
      daily: {
        capMinor: caps.dailyMinor,
        usedMinor: usage.dayMinor,
        remainingMinor: leftUnder(caps.dailyMinor, usage.dayMinor),
      },
      period: {
        kind: caps.period,
        capMinor: caps.periodMinor,
        usedMinor: periodUsed,
        remainingMinor: leftUnder(caps.periodMinor, periodUsed),
      },
    };
  }

  return { reserve, release, remaining };
}
