import { withTransaction, type Pool } from '../db/index.js';
import { appendUserEvents, enqueueWebhookEvent } from '../events/index.js';
import type { IdentityServices } from '../identity/index.js';
import type { Ledger } from '../ledger/index.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import { ensureWalletAccount } from '../wallet/index.js';
import type { Merchant } from './merchants.js';
import { refundEventData } from './payments-core.js';
import {
  insertRefund,
  markRefundFailed,
  markRefundSucceeded,
  refundOf,
  reserveRefund,
  selectIntent,
  selectProcessingRefunds,
  selectRefund,
  selectRefundPage,
  unreserveRefund,
  type RefundRow,
} from './payments-sql.js';
import type { Page, PaymentIntent, PaymentResult, Refund } from './payments-types.js';

/**
 * Refunds reserve their amount on the intent first, so concurrent refunds never exceed what was
 * paid, and come from the merchant's balance, which never goes below zero. They go back in the
 * intent's currency; a conversion is not undone.
 */
export interface RefundsDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly identity: IdentityServices;
}

export interface RefundInput {
  readonly paymentIntentId: string;
  readonly amountMinor: bigint | undefined;
  readonly reason: string | undefined;
}

export interface Refunds {
  refund(merchant: Merchant, input: RefundInput): Promise<PaymentResult<{ refund: Refund }>>;
  getRefund(merchantId: string, refundId: string): Promise<Refund | undefined>;
  listRefunds(
    merchantId: string,
    page: {
      readonly limit: number;
      readonly startingAfter: string | undefined;
      readonly paymentIntentId: string | undefined;
    },
  ): Promise<Page<Refund>>;
  /** Job: refunds processing since before `before` whose money never moved fail. */
  recoverRefunds(before: Date): Promise<number>;
}

export function createRefunds(deps: RefundsDeps): Refunds {
  const { pool, clock, ledger, identity } = deps;
  const now = () => new Date(clock.nowMs());

  /** The refund's row, with its amount reserved on the intent, or why it cannot be had. */
  async function reserve(
    merchant: Merchant,
    intent: PaymentIntent,
    input: RefundInput,
    at: Date,
  ): Promise<PaymentResult<{ row: RefundRow }>> {
    if (at.getTime() - intent.paidAt!.getTime() > limits.refundWindowMs) {
      return failure('refund_window_closed');
    }
    const amountMinor =
      input.amountMinor ?? intent.amountReceivedMinor - intent.amountRefundedMinor;
    if (amountMinor <= 0n) return failure('refund_exceeds_payment', { param: 'amount' });
    const row: RefundRow = {
      id: newId('ref', at.getTime()),
      payment_intent_id: intent.id,
      merchant_id: merchant.id,
      amount_minor: amountMinor,
      currency: intent.currency,
      reason: input.reason ?? null,
      status: 'processing',
      failure_code: null,
      transfer_id: newId('trf', at.getTime()),
      created_at: at,
      updated_at: at,
    };
    // The reservation and the refund row commit together.
    const reserved = await withTransaction(pool, async (tx) => {
      if (!(await reserveRefund(tx, intent.id, amountMinor, at))) return false;
      await insertRefund(tx, row);
      return true;
    });
    if (!reserved) return failure('refund_exceeds_payment', { param: 'amount' });
    return { ok: true, row };
  }

  /** The refund's money goes back from the merchant to the payer's wallet. */
  async function move(merchant: Merchant, intent: PaymentIntent, row: RefundRow, at: Date) {
    const payerId = intent.payerId!;
    const payer = await identity.identity.getUser(payerId);
    const wallet = await ensureWalletAccount(
      pool,
      ledger,
      { id: payerId, createdAt: payer!.createdAt },
      intent.currency,
      at,
    );
    return ledger.transfer(
      {
        id: row.transfer_id,
        debitAccountId: merchant.accountId,
        creditAccountId: wallet,
        amountMinor: row.amount_minor,
        currency: intent.currency,
        code: 'merchant_refund',
      },
      async (tx) => {
        await markRefundSucceeded(tx, row.id, at);
        const data = {
          refund_id: row.id,
          payment_intent_id: intent.id,
          merchant_id: merchant.id,
          amount_minor: String(row.amount_minor),
          currency: intent.currency,
        };
        await appendUserEvents(
          tx,
          [
            { userId: payerId, type: 'refund.received', data },
            { userId: payerId, type: 'balance.changed', data },
          ],
          at,
        );
        await enqueueWebhookEvent(
          tx,
          {
            owner: merchant.id,
            type: 'refund.succeeded',
            data: refundEventData(row, 'succeeded', null),
          },
          at,
        );
      },
    );
  }

  async function refund(
    merchant: Merchant,
    input: RefundInput,
  ): Promise<PaymentResult<{ refund: Refund }>> {
    const intent = await selectIntent(pool, input.paymentIntentId);
    if (intent === undefined || intent.merchantId !== merchant.id) {
      return failure('payment_intent_not_found', { param: 'payment_intent' });
    }
    if (intent.status !== 'succeeded' || intent.payerId === null) {
      return failure('payment_intent_not_refundable', { param: 'payment_intent' });
    }
    const at = now();
    const reserved = await reserve(merchant, intent, input, at);
    if (!reserved.ok) return reserved;
    const { row } = reserved;
    const result = await move(merchant, intent, row, at);
    if (result.code === 'ok' || result.code === 'exists') {
      return { ok: true, refund: { ...refundOf(row), status: 'succeeded' } };
    }
    const code = result.code === 'exceeds_credits' ? 'merchant_insufficient_funds' : result.code;
    await failRefund(row, code);
    if (code === 'merchant_insufficient_funds') return failure('merchant_insufficient_funds');
    throw new Error(`unexpected ledger result for refund ${row.id}: ${result.code}`);
  }

  /** A refund whose money did not move: it fails and its reservation goes back. */
  async function failRefund(row: RefundRow, code: string): Promise<void> {
    const at = now();
    await withTransaction(pool, async (tx) => {
      if (!(await markRefundFailed(tx, row.id, code, at))) return;
      await unreserveRefund(tx, row.payment_intent_id, row.amount_minor);
      await enqueueWebhookEvent(
        tx,
        {
          owner: row.merchant_id,
          type: 'refund.failed',
          data: refundEventData(row, 'failed', code),
        },
        at,
      );
    });
  }

  return {
    refund,

    async getRefund(merchantId, refundId) {
      const row = await selectRefund(pool, refundId);
      return row?.merchant_id === merchantId ? refundOf(row) : undefined;
    },

    async listRefunds(merchantId, page) {
      const rows = await selectRefundPage(
        pool,
        merchantId,
        page.startingAfter ?? null,
        page.paymentIntentId ?? null,
        page.limit + 1,
      );
      return { data: rows.slice(0, page.limit).map(refundOf), hasMore: rows.length > page.limit };
    },

    async recoverRefunds(before) {
      const rows = await selectProcessingRefunds(pool, before, limits.walletJobBatchSizeMax);
      for (const row of rows) {
        const [moved] = await ledger.getTransfers([row.transfer_id]);
        if (moved === undefined) await failRefund(row, 'abandoned');
      }
      return rows.length;
    },
  };
}
