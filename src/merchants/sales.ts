import type { Pool } from '../db/index.js';
import type { Clock } from '../lib/clock.js';
import { intentOf, type IntentRow } from './payments-sql.js';
import type { IntentStatus, Page, PaymentIntent } from './payments-types.js';

/**
 * What the merchant portal reads beyond the merchant API: the takings of today and of this month
 * (with a total per day for the chart), and payment intents filtered by status and day. Days are
 * the deployment's, as in settlements.ts, and the totals are counted the same way: gross and fees
 * of the payments paid that day, refunds that succeeded that day, net = gross − fees − refunds.
 */
export interface SalesTotals {
  readonly grossMinor: bigint;
  readonly feesMinor: bigint;
  readonly refundsMinor: bigint;
  readonly netMinor: bigint;
  readonly paymentCount: number;
  readonly refundCount: number;
}

export interface SalesDay extends SalesTotals {
  /** `YYYY-MM-DD` in the deployment's time zone. */
  readonly day: string;
}

export interface SalesSummary {
  readonly today: SalesDay;
  /** `YYYY-MM`. */
  readonly month: string;
  readonly monthTotals: SalesTotals;
  /** Every day of the month so far, the first of the month first. */
  readonly days: readonly SalesDay[];
}

export interface PaymentFilter {
  readonly status: IntentStatus | undefined;
  /** First and last creation day (`YYYY-MM-DD`, inclusive), in the deployment's time zone. */
  readonly fromDay: string | undefined;
  readonly toDay: string | undefined;
  readonly limit: number;
  readonly startingAfter: string | undefined;
}

export interface Sales {
  summary(merchantId: string): Promise<SalesSummary>;
  /** The merchant's payment intents matching the filter, newest first. */
  listPayments(merchantId: string, filter: PaymentFilter): Promise<Page<PaymentIntent>>;
}

export interface SalesDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  /** The IANA time zone whose days are counted (the settlements' one). */
  readonly timeZone: string;
}

interface DayRow {
  day: string;
  gross_minor: bigint;
  fees_minor: bigint;
  refunds_minor: bigint;
  payment_count: number;
  refund_count: number;
}

const dayOf = (r: DayRow): SalesDay => ({
  day: r.day,
  grossMinor: r.gross_minor,
  feesMinor: r.fees_minor,
  refundsMinor: r.refunds_minor,
  netMinor: r.gross_minor - r.fees_minor - r.refunds_minor,
  paymentCount: r.payment_count,
  refundCount: r.refund_count,
});

function sumOf(days: readonly SalesDay[]): SalesTotals {
  const zero: SalesTotals = {
    grossMinor: 0n,
    feesMinor: 0n,
    refundsMinor: 0n,
    netMinor: 0n,
    paymentCount: 0,
    refundCount: 0,
  };
  return days.reduce<SalesTotals>(
    (sum, d) => ({
      grossMinor: sum.grossMinor + d.grossMinor,
      feesMinor: sum.feesMinor + d.feesMinor,
      refundsMinor: sum.refundsMinor + d.refundsMinor,
      netMinor: sum.netMinor + d.netMinor,
      paymentCount: sum.paymentCount + d.paymentCount,
      refundCount: sum.refundCount + d.refundCount,
    }),
    zero,
  );
}

/** The month's days so far, each with its payments and refunds, in one statement. */
const SUMMARY_SQL = `
  WITH bounds AS (
    SELECT date_trunc('month', $2::timestamptz AT TIME ZONE $3)::date AS first_day,
           ($2::timestamptz AT TIME ZONE $3)::date AS today),
  span AS (
    SELECT first_day::timestamp AT TIME ZONE $3 AS from_at,
           (today + 1)::timestamp AT TIME ZONE $3 AS to_at
      FROM bounds),
  days AS (
    SELECT generate_series(first_day, today, interval '1 day')::date AS day FROM bounds),
  paid AS (
    SELECT (paid_at AT TIME ZONE $3)::date AS day,
           sum(amount_received_minor)::bigint AS gross, sum(fee_minor)::bigint AS fees,
           count(*)::int AS n
      FROM payment_intents, span
     WHERE merchant_id = $1 AND paid_at >= span.from_at AND paid_at < span.to_at
     GROUP BY 1),
  refunded AS (
    SELECT (updated_at AT TIME ZONE $3)::date AS day, sum(amount_minor)::bigint AS total,
           count(*)::int AS n
      FROM refunds, span
     WHERE merchant_id = $1 AND status = 'succeeded'
       AND updated_at >= span.from_at AND updated_at < span.to_at
     GROUP BY 1)
  SELECT to_char(days.day, 'YYYY-MM-DD') AS day,
         coalesce(paid.gross, 0)::bigint AS gross_minor,
         coalesce(paid.fees, 0)::bigint AS fees_minor,
         coalesce(refunded.total, 0)::bigint AS refunds_minor,
         coalesce(paid.n, 0) AS payment_count,
         coalesce(refunded.n, 0) AS refund_count
    FROM days
    LEFT JOIN paid ON paid.day = days.day
    LEFT JOIN refunded ON refunded.day = days.day
   ORDER BY days.day`;

export function createSales(deps: SalesDeps): Sales {
  const { pool, clock, timeZone } = deps;

  return {
    async summary(merchantId) {
      const { rows } = await pool.query<DayRow>(SUMMARY_SQL, [
        merchantId,
        new Date(clock.nowMs()),
        timeZone,
      ]);
      const days = rows.map(dayOf);
      const today = days.at(-1);
      if (today === undefined) throw new Error('a month has at least one day so far');
      return { today, month: today.day.slice(0, 7), monthTotals: sumOf(days), days };
    },

    async listPayments(merchantId, filter) {
      const { rows } = await pool.query<IntentRow>(
        `SELECT * FROM payment_intents
          WHERE merchant_id = $1
            AND ($2::text IS NULL OR id < $2)
            AND ($3::text IS NULL OR status = $3)
            AND ($4::date IS NULL OR created_at >= $4::date::timestamp AT TIME ZONE $6)
            AND ($5::date IS NULL OR created_at < ($5::date + 1)::timestamp AT TIME ZONE $6)
          ORDER BY id DESC LIMIT $7`,
        [
          merchantId,
          filter.startingAfter ?? null,
          filter.status ?? null,
          filter.fromDay ?? null,
          filter.toDay ?? null,
          timeZone,
          filter.limit + 1,
        ],
      );
      return {
        data: rows.slice(0, filter.limit).map(intentOf),
        hasMore: rows.length > filter.limit,
      };
    },
  };
}
