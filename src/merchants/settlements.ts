import type { Executor, Pool } from '../db/index.js';
import { enqueueWebhookEvent } from '../events/index.js';
import type { PaymentGateway } from '../gateway/index.js';
import type { Ledger, TransferResult } from '../ledger/index.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import { formatAmount, isCurrencyCode } from '../money/index.js';
import { ensureSystemAccount, type Funding } from '../wallet/index.js';
import { selectMerchant, type Merchant } from './merchants.js';
import type { Page } from './payments.js';

/**
 * T+1 settlement. Once a day is over in the deployment's time zone, each active merchant's
 * takings of that day — payments received, less their fees and the refunds paid that day — are
 * paid out to its settlement card (days the job missed are caught up, a bounded number a run). The totals come from the day's payments and refunds, which
 * moved exactly these amounts through the merchant's ledger account. The payout is a hold on the
 * merchant's account while the gateway works (so the money cannot also be refunded), posted when
 * the gateway pays and voided when it fails. Payouts are followed by asking the gateway (the
 * reference is the settlement id, so asking again never pays twice).
 */
export type SettlementStatus = 'empty' | 'processing' | 'pending' | 'paid' | 'failed';

export interface Settlement {
  readonly id: string;
  readonly merchantId: string;
  /** The settled day, `YYYY-MM-DD`, in the deployment's time zone. */
  readonly day: string;
  readonly currency: string;
  readonly grossMinor: bigint;
  readonly feesMinor: bigint;
  readonly refundsMinor: bigint;
  /** gross − fees − refunds; paid out when positive. */
  readonly netMinor: bigint;
  readonly paymentCount: number;
  readonly refundCount: number;
  readonly status: SettlementStatus;
  readonly failureCode: string | null;
  readonly createdAt: Date;
  readonly paidAt: Date | null;
}

export interface Settlements {
  /** Job: settles the days since each merchant's last settlement, follows payouts. */
  settleDue(): Promise<number>;
  /** The merchant's settlements, newest day first. */
  list(
    merchantId: string,
    page: { readonly limit: number; readonly startingAfter: string | undefined },
  ): Promise<Page<Settlement>>;
}

export interface SettlementsDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly gateway: PaymentGateway;
  readonly funding: Funding;
  /** The IANA time zone whose days are settled. */
  readonly timeZone: string;
}

interface Row {
  id: string;
  merchant_id: string;
  day: string;
  currency: string;
  gross_minor: bigint;
  fees_minor: bigint;
  refunds_minor: bigint;
  net_minor: bigint;
  payment_count: number;
  refund_count: number;
  status: SettlementStatus;
  transfer_id: string | null;
  payout_id: string | null;
  failure_code: string | null;
  created_at: Date;
  updated_at: Date;
  paid_at: Date | null;
}

const settlementOf = (r: Row): Settlement => ({
  id: r.id,
  merchantId: r.merchant_id,
  day: r.day,
  currency: r.currency,
  grossMinor: r.gross_minor,
  feesMinor: r.fees_minor,
  refundsMinor: r.refunds_minor,
  netMinor: r.net_minor,
  paymentCount: r.payment_count,
  refundCount: r.refund_count,
  status: r.status,
  failureCode: r.failure_code,
  createdAt: r.created_at,
  paidAt: r.paid_at,
});

/** `day` as text, so that no time zone of the client shifts it. */
const COLUMNS = `id, merchant_id, to_char(day, 'YYYY-MM-DD') AS day, currency, gross_minor,
  fees_minor, refunds_minor, net_minor, payment_count, refund_count, status, transfer_id,
  payout_id, failure_code, created_at, updated_at, paid_at`;

export function createSettlements(deps: SettlementsDeps): Settlements {
  const { pool, clock, ledger, gateway, funding, timeZone } = deps;
  const now = () => new Date(clock.nowMs());

  /** Records the day's settlement of one merchant; undefined when another run did it first. */
  async function record(merchant: Merchant, day: string): Promise<Row | undefined> {
    const at = now();
    // Totals and the row in one statement: the day is over, so its payments and refunds are
    // final, and the unique (merchant, day) makes concurrent runs record it once.
    const { rows } = await pool.query<Row>(
      `WITH span AS (
         SELECT ($2::date)::timestamp AT TIME ZONE $3 AS from_at,
                ($2::date + 1)::timestamp AT TIME ZONE $3 AS to_at),
       paid AS (
         SELECT coalesce(sum(amount_received_minor), 0)::bigint AS gross,
                coalesce(sum(fee_minor), 0)::bigint AS fees, count(*)::int AS n
           FROM payment_intents, span
          WHERE merchant_id = $1 AND paid_at >= span.from_at AND paid_at < span.to_at),
       refunded AS (
         SELECT coalesce(sum(amount_minor), 0)::bigint AS total, count(*)::int AS n
           FROM refunds, span
          WHERE merchant_id = $1 AND status = 'succeeded'
            AND updated_at >= span.from_at AND updated_at < span.to_at)
       INSERT INTO settlements (id, merchant_id, day, currency, gross_minor, fees_minor,
         refunds_minor, net_minor, payment_count, refund_count, status, transfer_id, created_at,
         updated_at)
       SELECT $4, $1, $2::date, $5, paid.gross, paid.fees, refunded.total,
              paid.gross - paid.fees - refunded.total, paid.n, refunded.n,
              CASE WHEN paid.gross - paid.fees - refunded.total > 0 THEN 'processing' ELSE 'empty' END,
              CASE WHEN paid.gross - paid.fees - refunded.total > 0 THEN $6 END, $7, $7
         FROM paid, refunded
       ON CONFLICT (merchant_id, day) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        merchant.id,
        day,
        timeZone,
        newId('stl', at.getTime()),
        merchant.currency,
        newId('trf', at.getTime()),
        at,
      ],
    );
    return rows[0];
  }

  async function fail(tx: Executor, row: Row, code: string): Promise<void> {
    const at = now();
    const { rowCount } = await tx.query(
      `UPDATE settlements SET status = 'failed', failure_code = $2, updated_at = $3
        WHERE id = $1 AND status IN ('processing', 'pending')`,
      [row.id, code, at],
    );
    if (rowCount === 1) await announce(tx, row, 'settlement.failed', at);
  }

  async function announce(tx: Executor, row: Row, type: string, at: Date): Promise<void> {
    const currency = row.currency;
    if (!isCurrencyCode(currency)) throw new Error(`unknown currency ${currency}`);
    const money = (minor: bigint) => ({ amount: formatAmount(minor, currency), currency });
    await enqueueWebhookEvent(
      tx,
      {
        owner: row.merchant_id,
        type,
        data: {
          settlement: {
            id: row.id,
            day: row.day,
            gross: money(row.gross_minor),
            fees: money(row.fees_minor),
            refunds: money(row.refunds_minor),
            net: money(row.net_minor),
          },
        },
      },
      at,
    );
  }

  /** The hold on the merchant's account that the payout will post. */
  async function hold(merchant: Merchant, row: Row): Promise<boolean> {
    const result = await ledger.transfer(
      {
        id: row.transfer_id!,
        debitAccountId: merchant.accountId,
        creditAccountId: await ensureSystemAccount(ledger, 'bank_clearing', row.currency),
        amountMinor: row.net_minor,
        currency: row.currency,
        code: 'merchant_settlement',
        flags: { pending: true },
      },
      async (tx) => {
        await tx.query(
          `UPDATE settlements SET status = 'pending', updated_at = $2
            WHERE id = $1 AND status = 'processing'`,
          [row.id, now()],
        );
      },
    );
    if (result.code === 'ok' || result.code === 'exists') return true;
    // Refunds paid since the day ended can leave less than the day's takings.
    await fail(pool, row, result.code === 'exceeds_credits' ? 'insufficient_balance' : result.code);
    return false;
  }

  /** Posts (paid) or voids (failed) the hold, with the settlement's status in its transaction. */
  async function finish(row: Row, outcome: { paid: true } | { paid: false; code: string }) {
    const at = now();
    const write = async (tx: Executor, _result: TransferResult) => {
      if (outcome.paid) {
        const { rowCount } = await tx.query(
          `UPDATE settlements SET status = 'paid', paid_at = $2, updated_at = $2
            WHERE id = $1 AND status = 'pending'`,
          [row.id, at],
        );
        if (rowCount === 1) await announce(tx, row, 'settlement.paid', at);
      } else {
        await fail(tx, row, outcome.code);
      }
    };
    await ledger.transfer(
      {
        id: newId('trf', at.getTime()),
        pendingId: row.transfer_id!,
        flags: outcome.paid ? { postPending: true } : { voidPending: true },
      },
      write,
    );
  }

  /** Asks the gateway to pay (again: the reference makes it idempotent) and follows the answer. */
  async function payOut(merchant: Merchant, row: Row): Promise<void> {
    const cards = await funding.listCards(merchant.ownerId);
    const card = cards.find((c) => c.id === merchant.settlementCardId && c.removedAt === null);
    if (card === undefined || !isCurrencyCode(row.currency)) {
      await finish(row, { paid: false, code: 'settlement_card_removed' });
      return;
    }
    let status: 'pending' | 'succeeded' | 'failed';
    let reason: string | undefined;
    if (row.payout_id === null) {
      const created = await gateway.createPayout({
        reference: row.id,
        cardToken: card.token,
        amountMinor: row.net_minor,
        currency: row.currency,
      });
      if (!created.ok) return payoutRefused(row, created.code);
      await pool.query('UPDATE settlements SET payout_id = $2, updated_at = $3 WHERE id = $1', [
        row.id,
        created.id,
        now(),
      ]);
      status = created.status;
    } else {
      const got = await gateway.getPayout(row.payout_id);
      if (!got.ok) return payoutRefused(row, got.code);
      status = got.status;
      reason = got.failureCode;
    }
    if (status === 'succeeded') await finish(row, { paid: true });
    if (status === 'failed') await finish(row, { paid: false, code: reason ?? 'payout_failed' });
  }

  /** Unreachable or slow: the next run asks again (same reference); anything else fails it. */
  async function payoutRefused(row: Row, code: string): Promise<void> {
    if (code === 'gateway_unavailable' || code === 'timeout') return;
    await finish(row, { paid: false, code: `payout_${code}` });
  }

  async function open(): Promise<Row[]> {
    const { rows } = await pool.query<Row>(
      `SELECT ${COLUMNS} FROM settlements WHERE status IN ('processing', 'pending')
        ORDER BY updated_at LIMIT $1`,
      [limits.walletJobBatchSizeMax],
    );
    return rows;
  }

  return {
    async settleDue() {
      const { rows: due } = await pool.query<{ id: string; day: string }>(
        // The days from the one after the last settled (or the activation day) to yesterday,
        // oldest first and at most settlementCatchUpDaysMax a run: days missed while the job
        // was down are caught up over the next runs.
        `WITH yesterday AS (
           SELECT (($1::timestamptz AT TIME ZONE $2)::date - 1) AS day)
         SELECT m.id, to_char(d.day, 'YYYY-MM-DD') AS day
           FROM merchants m, yesterday y,
                LATERAL (SELECT coalesce(max(s.day) + 1, (m.activated_at AT TIME ZONE $2)::date)
                                  AS first
                           FROM settlements s WHERE s.merchant_id = m.id) f,
                LATERAL generate_series(f.first, least(y.day, f.first + ($4::int - 1)),
                                        interval '1 day') AS d(day)
          WHERE m.status = 'active'
          ORDER BY m.id, d.day LIMIT $3`,
        [now(), timeZone, limits.walletJobBatchSizeMax, limits.settlementCatchUpDaysMax],
      );
      let handled = 0;
      for (const { id, day } of due) {
        const merchant = await selectMerchant(pool, id);
        if (merchant === undefined) continue;
        const row = await record(merchant, day);
        if (row !== undefined) handled += 1;
      }
      for (const row of await open()) {
        const merchant = await selectMerchant(pool, row.merchant_id);
        if (merchant === undefined) continue;
        if (row.status === 'processing' && !(await hold(merchant, row))) continue;
        await payOut(merchant, { ...row, status: 'pending' });
        handled += 1;
      }
      return handled;
    },

    async list(merchantId, page) {
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM settlements
          WHERE merchant_id = $1
            AND ($2::text IS NULL
                 OR (settlements.day, id) < (SELECT c.day, c.id FROM settlements c WHERE c.id = $2))
          ORDER BY settlements.day DESC, id DESC LIMIT $3`,
        [merchantId, page.startingAfter ?? null, page.limit + 1],
      );
      return {
        data: rows.slice(0, page.limit).map(settlementOf),
        hasMore: rows.length > page.limit,
      };
    },
  };
}
