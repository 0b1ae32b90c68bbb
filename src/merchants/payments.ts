import { randomInt } from 'node:crypto';
import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { appendUserEvents, enqueueWebhookEvent } from '../events/index.js';
import type { IdentityFailure, IdentityServices } from '../identity/index.js';
import type { Ledger, TransferResult } from '../ledger/index.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import { formatAmount, isCurrencyCode, type Money } from '../money/index.js';
import type { RiskPolicy } from '../risk/index.js';
import { ensureSystemAccount, ensureWalletAccount, type WalletFailure } from '../wallet/index.js';
import type { MerchantFailure } from './codes.js';
import { selectMerchant, type Merchant } from './merchants.js';

/**
 * Payment intents and refunds. A merchant's server creates an intent; a user confirms it (with
 * step-up or the low-value exemption, limits and the risk hook) and pays it exactly once: the
 * confirmation claims the intent in the transaction that authorizes the payment, and the
 * payment and its fee are one linked ledger chain whose domain write marks the intent paid.
 * Refunds reserve their amount on the intent first, so concurrent refunds never exceed what was
 * paid, and come from the merchant's balance, which never goes below zero.
 */
export type IntentStatus =
  'requires_payment' | 'processing' | 'requires_capture' | 'succeeded' | 'canceled';

export interface PaymentIntent {
  readonly id: string;
  readonly merchantId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly captureMethod: 'automatic' | 'manual';
  readonly status: IntentStatus;
  readonly reference: string;
  readonly expiresAt: Date;
  readonly payerId: string | null;
  readonly transferId: string | null;
  readonly feeMinor: bigint;
  readonly amountReceivedMinor: bigint;
  readonly amountRefundedMinor: bigint;
  readonly cancellationReason: string | null;
  readonly reservedFor: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly paidAt: Date | null;
}

export interface Refund {
  readonly id: string;
  readonly paymentIntentId: string;
  readonly merchantId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly reason: string | null;
  readonly status: 'processing' | 'succeeded' | 'failed';
  readonly failureCode: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface IntentInput {
  readonly amount: Money;
  readonly description: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly expiresInSeconds: number;
  /** Only this user may pay it (a static-code payment, a charge waiting for confirmation). */
  readonly reservedFor?: string | undefined;
}

export type PaymentResult<T> =
  ({ readonly ok: true } & T) | MerchantFailure | WalletFailure | IdentityFailure;

export interface Page<T> {
  readonly data: T[];
  readonly hasMore: boolean;
}

export interface Payments {
  createIntent(
    merchant: Merchant,
    input: IntentInput,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>>;
  /** The merchant's own intent; another merchant's is undefined. */
  getIntent(merchantId: string, intentId: string): Promise<PaymentIntent | undefined>;
  listIntents(
    merchantId: string,
    page: { readonly limit: number; readonly startingAfter: string | undefined },
  ): Promise<Page<PaymentIntent>>;
  cancelIntent(
    merchantId: string,
    intentId: string,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>>;
  /** An open intent as a payer sees it before paying (scans), or a failure saying why not. */
  payable(intentId: string): Promise<PaymentResult<{ intent: PaymentIntent; merchant: Merchant }>>;
  /** The intent found by the one-time reference of its dynamic QR code. */
  intentByReference(reference: string): Promise<PaymentIntent | undefined>;
  confirm(
    payerId: string,
    intentId: string,
    confirmation: string | undefined,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>>;
  /**
   * Pays a merchant's static code: the payer typed the amount. The payment is an intent of the
   * merchant made for this payer and confirmed at once, so it has the same receipt, refunds
   * and exactly-once rules as any other; the payer's Idempotency-Key makes a retry find it.
   */
  payMerchant(
    payerId: string,
    input: {
      readonly merchantId: string;
      readonly amount: Money;
      readonly note: string | undefined;
      readonly confirmation: string | undefined;
    },
  ): Promise<PaymentResult<{ intent: PaymentIntent }>>;
  refund(
    merchant: Merchant,
    input: {
      readonly paymentIntentId: string;
      readonly amountMinor: bigint | undefined;
      readonly reason: string | undefined;
    },
  ): Promise<PaymentResult<{ refund: Refund }>>;
  getRefund(merchantId: string, refundId: string): Promise<Refund | undefined>;
  listRefunds(
    merchantId: string,
    page: {
      readonly limit: number;
      readonly startingAfter: string | undefined;
      readonly paymentIntentId: string | undefined;
    },
  ): Promise<Page<Refund>>;
  /** Job: payments and refunds a crash left processing are settled from the ledger. */
  recoverUnsettled(): Promise<number>;
}

export interface PaymentsDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly identity: IdentityServices;
  readonly risk: RiskPolicy;
}

interface IntentRow {
  id: string;
  merchant_id: string;
  amount_minor: bigint;
  currency: string;
  description: string | null;
  metadata: Record<string, string>;
  capture_method: 'automatic' | 'manual';
  status: IntentStatus;
  reference: string;
  expires_at: Date;
  payer_id: string | null;
  transfer_id: string | null;
  fee_minor: bigint;
  amount_received_minor: bigint;
  amount_refunded_minor: bigint;
  cancellation_reason: string | null;
  reserved_for: string | null;
  created_at: Date;
  updated_at: Date;
  paid_at: Date | null;
}

const intentOf = (r: IntentRow): PaymentIntent => ({
  id: r.id,
  merchantId: r.merchant_id,
  amountMinor: r.amount_minor,
  currency: r.currency,
  description: r.description,
  metadata: r.metadata,
  captureMethod: r.capture_method,
  status: r.status,
  reference: r.reference,
  expiresAt: r.expires_at,
  payerId: r.payer_id,
  transferId: r.transfer_id,
  feeMinor: r.fee_minor,
  amountReceivedMinor: r.amount_received_minor,
  amountRefundedMinor: r.amount_refunded_minor,
  cancellationReason: r.cancellation_reason,
  reservedFor: r.reserved_for,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  paidAt: r.paid_at,
});

interface RefundRow {
  id: string;
  payment_intent_id: string;
  merchant_id: string;
  amount_minor: bigint;
  currency: string;
  reason: string | null;
  status: Refund['status'];
  failure_code: string | null;
  transfer_id: string;
  created_at: Date;
  updated_at: Date;
}

const refundOf = (r: RefundRow): Refund => ({
  id: r.id,
  paymentIntentId: r.payment_intent_id,
  merchantId: r.merchant_id,
  amountMinor: r.amount_minor,
  currency: r.currency,
  reason: r.reason,
  status: r.status,
  failureCode: r.failure_code,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The merchant discount: basis points of the amount, rounded half up to the minor unit. */
export function feeOf(amountMinor: bigint, feeRateBp: number): bigint {
  return (amountMinor * BigInt(feeRateBp) + 5_000n) / 10_000n;
}

/** The webhook events merchants can subscribe to: payments, refunds and settlements. */
export const PAYMENT_EVENT_TYPES = [
  'payment_intent.succeeded',
  'payment_intent.canceled',
  'refund.succeeded',
  'refund.failed',
  'settlement.paid',
  'settlement.failed',
] as const;

function amountJson(amountMinor: bigint, currency: string) {
  if (!isCurrencyCode(currency)) throw new Error(`unknown currency ${currency}`);
  return { amount: formatAmount(amountMinor, currency), currency };
}

/** What a webhook says about an intent: enough to fulfil an order without another call. */
function intentEventData(intent: PaymentIntent, changes: Partial<PaymentIntent> = {}) {
  const i = { ...intent, ...changes };
  return {
    payment_intent: {
      id: i.id,
      status: i.status,
      amount: amountJson(i.amountMinor, i.currency),
      fee: amountJson(i.feeMinor, i.currency),
      metadata: i.metadata,
      paid_at: i.paidAt?.toISOString() ?? null,
    },
  };
}

function refundEventData(r: RefundRow, status: Refund['status'], failureCode: string | null) {
  return {
    refund: {
      id: r.id,
      payment_intent: r.payment_intent_id,
      status,
      amount: amountJson(r.amount_minor, r.currency),
      failure_code: failureCode,
    },
  };
}

const REFERENCE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A one-time QR reference: 20 characters of 32 symbols (100 bits), unguessable. */
function newReference(): string {
  let reference = '';
  for (let i = 0; i < 20; i++) reference += REFERENCE_ALPHABET[randomInt(32)];
  return reference;
}

async function selectIntent(db: Executor, id: string): Promise<PaymentIntent | undefined> {
  const { rows } = await db.query<IntentRow>({
    name: 'payments_intent',
    text: 'SELECT * FROM payment_intents WHERE id = $1',
    values: [id],
  });
  return rows[0] === undefined ? undefined : intentOf(rows[0]);
}

/** Why an intent that could not be claimed is not payable. */
function notPayable(intent: PaymentIntent, nowMs: number): MerchantFailure {
  if (intent.status === 'requires_payment' && intent.expiresAt.getTime() <= nowMs) {
    return failure('payment_intent_expired');
  }
  return failure('payment_intent_not_payable');
}

class Refusal extends Error {
  constructor(readonly outcome: MerchantFailure | WalletFailure | IdentityFailure) {
    super(outcome.code);
  }
}

export function createPayments(deps: PaymentsDeps): Payments {
  const { pool, clock, ledger, identity } = deps;
  const now = () => new Date(clock.nowMs());

  async function payable(intentId: string) {
    const intent = await selectIntent(pool, intentId);
    if (intent === undefined) return failure('payment_intent_not_found', { param: 'id' });
    const merchant = await selectMerchant(pool, intent.merchantId);
    if (merchant?.status !== 'active') return failure('merchant_not_active');
    if (intent.status !== 'requires_payment' || intent.expiresAt.getTime() <= clock.nowMs()) {
      return notPayable(intent, clock.nowMs());
    }
    return { ok: true as const, intent, merchant };
  }

  /** The claimed intent back to open: the money did not move, the limits count it no more. */
  async function reopen(intent: PaymentIntent, transferId: string, payerId: string) {
    await withTransaction(pool, async (tx) => {
      const { rows } = await tx.query<{ limit_reserved_at: Date | null }>(
        `UPDATE payment_intents p
            SET status = 'requires_payment', payer_id = NULL, transfer_id = NULL,
                confirmation = NULL, limit_reserved_at = NULL, updated_at = $3
           FROM (SELECT id, limit_reserved_at FROM payment_intents WHERE id = $1 FOR UPDATE) old
          WHERE p.id = old.id AND p.status = 'processing' AND p.transfer_id = $2
          RETURNING old.limit_reserved_at`,
        [intent.id, transferId, now()],
      );
      const reservedAt = rows[0]?.limit_reserved_at;
      if (reservedAt !== undefined && reservedAt !== null) {
        await identity.paymentLimits.release(tx, payerId, intent.amountMinor, reservedAt);
      }
    });
  }

  async function confirm(payerId: string, intentId: string, confirmation: string | undefined) {
    const found = await payable(intentId);
    if (!found.ok) return found;
    const { intent, merchant } = found;
    // An intent made for one payer is nobody else's to see.
    if (intent.reservedFor !== null && intent.reservedFor !== payerId) {
      return failure('payment_intent_not_found', { param: 'id' });
    }
    const payer = await identity.identity.requireVerified(payerId);
    if (!payer.ok) return payer;
    const decision = deps.risk.decide({
      kind: 'payment',
      payerId,
      payeeId: merchant.id,
      amountMinor: intent.amountMinor,
      currency: intent.currency,
      firstTimePayee: false,
    });
    if (decision.action !== 'allow') {
      return failure('payment_blocked', { detail: decision.reason });
    }
    const at = now();
    const transferId = newId('trf', at.getTime());
    try {
      await withTransaction(pool, async (tx) => {
        // The claim comes first: of concurrent confirmations only one gets the row.
        const { rowCount } = await tx.query(
          `UPDATE payment_intents
              SET status = 'processing', payer_id = $2, transfer_id = $3, updated_at = $4
            WHERE id = $1 AND status = 'requires_payment' AND expires_at > $4
              AND (reserved_for IS NULL OR reserved_for = $2)`,
          [intent.id, payerId, transferId, at],
        );
        if (rowCount !== 1) {
          const latest = await selectIntent(tx, intent.id);
          throw new Refusal(notPayable(latest ?? intent, at.getTime()));
        }
        const authorized = await identity.stepUp.authorize(
          tx,
          payerId,
          { amountMinor: intent.amountMinor, currency: intent.currency, payee: merchant.id },
          confirmation,
        );
        if (!authorized.ok) throw new Refusal(authorized);
        // Payment limits count CNY (as P2P does); other currencies once conversion exists.
        let reservedAt: Date | null = null;
        if (intent.currency === 'CNY') {
          const reserved = await identity.paymentLimits.reserve(tx, payerId, intent.amountMinor);
          if (!reserved.ok) throw new Refusal(reserved);
          reservedAt = reserved.reservedAt;
        }
        await tx.query(
          'UPDATE payment_intents SET confirmation = $2, limit_reserved_at = $3 WHERE id = $1',
          [intent.id, authorized.method, reservedAt],
        );
      });
    } catch (error) {
      if (error instanceof Refusal) return error.outcome;
      throw error;
    }
    const fee = feeOf(intent.amountMinor, merchant.feeRateBp);
    const wallet = await ensureWalletAccount(
      pool,
      ledger,
      { id: payerId, createdAt: payer.user.createdAt },
      intent.currency,
      at,
    );
    const payment = {
      id: transferId,
      debitAccountId: wallet,
      creditAccountId: merchant.accountId,
      amountMinor: intent.amountMinor,
      currency: intent.currency,
      code: 'merchant_payment',
    };
    const chain =
      fee > 0n
        ? [
            { ...payment, flags: { linked: true } },
            {
              id: newId('trf', at.getTime()),
              debitAccountId: merchant.accountId,
              creditAccountId: await ensureSystemAccount(ledger, 'fee_revenue', intent.currency),
              amountMinor: fee,
              currency: intent.currency,
              code: 'merchant_fee',
            },
          ]
        : [payment];
    const paid = async (tx: Executor, result: TransferResult) => {
      await tx.query(
        `UPDATE payment_intents
            SET status = 'succeeded', fee_minor = $2, amount_received_minor = amount_minor,
                paid_at = $3, updated_at = $3
          WHERE id = $1 AND status = 'processing'`,
        [intent.id, fee, at],
      );
      const data = {
        payment_intent_id: intent.id,
        merchant_id: merchant.id,
        transfer_id: result.id,
        amount_minor: String(intent.amountMinor),
        currency: intent.currency,
      };
      await appendUserEvents(
        tx,
        [
          { userId: payerId, type: 'payment.succeeded', data },
          { userId: payerId, type: 'balance.changed', data },
        ],
        at,
      );
      await enqueueWebhookEvent(
        tx,
        {
          owner: merchant.id,
          type: 'payment_intent.succeeded',
          data: intentEventData(intent, {
            status: 'succeeded',
            payerId,
            feeMinor: fee,
            amountReceivedMinor: intent.amountMinor,
            paidAt: at,
          }),
        },
        at,
      );
    };
    const results = await ledger.transferChain(chain, [paid]);
    const code =
      results[0]!.code === 'ok'
        ? 'ok'
        : results.find((r) => r.code !== 'linked_event_failed')?.code;
    if (code !== 'ok' && code !== 'exists') {
      await reopen(intent, transferId, payerId);
      if (code === 'exceeds_credits') return failure('insufficient_funds', { param: 'amount' });
      if (code === 'account_frozen') return failure('wallet_frozen');
      throw new Error(`unexpected ledger result for payment ${intent.id}: ${code}`);
    }
    return { ok: true as const, intent: (await selectIntent(pool, intent.id))! };
  }

  async function createIntent(
    merchant: Merchant,
    input: IntentInput,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>> {
    if (merchant.status !== 'active') return failure('merchant_not_active');
    if (input.amount.currency !== merchant.currency) {
      return failure('payment_intent_currency_invalid', { param: 'amount.currency' });
    }
    const at = now();
    const { rows } = await pool.query<IntentRow>(
      `INSERT INTO payment_intents (id, merchant_id, amount_minor, currency, description,
         metadata, capture_method, status, reference, expires_at, reserved_for, created_at,
         updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'automatic', 'requires_payment', $7, $8, $10, $9, $9)
       RETURNING *`,
      [
        newId('pi', at.getTime()),
        merchant.id,
        input.amount.amountMinor,
        input.amount.currency,
        input.description ?? null,
        JSON.stringify(input.metadata),
        newReference(),
        new Date(at.getTime() + input.expiresInSeconds * 1000),
        at,
        input.reservedFor ?? null,
      ],
    );
    return { ok: true, intent: intentOf(rows[0]!) };
  }

  async function refund(
    merchant: Merchant,
    input: {
      readonly paymentIntentId: string;
      readonly amountMinor: bigint | undefined;
      readonly reason: string | undefined;
    },
  ): Promise<PaymentResult<{ refund: Refund }>> {
    const intent = await selectIntent(pool, input.paymentIntentId);
    if (intent === undefined || intent.merchantId !== merchant.id) {
      return failure('payment_intent_not_found', { param: 'payment_intent' });
    }
    if (intent.status !== 'succeeded' || intent.payerId === null) {
      return failure('payment_intent_not_refundable', { param: 'payment_intent' });
    }
    const at = now();
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
    const reserved = await withTransaction(pool, async (tx) => {
      // The reservation and the refund row commit together; the amount check is in the UPDATE,
      // so concurrent refunds are counted one after another on the intent's row.
      const { rowCount } = await tx.query(
        `UPDATE payment_intents SET amount_refunded_minor = amount_refunded_minor + $2, updated_at = $3
          WHERE id = $1 AND status = 'succeeded'
            AND amount_refunded_minor + $2 <= amount_received_minor`,
        [intent.id, amountMinor, at],
      );
      if (rowCount !== 1) return false;
      await tx.query(
        `INSERT INTO refunds (id, payment_intent_id, merchant_id, amount_minor, currency, reason,
           status, transfer_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'processing', $7, $8, $8)`,
        [
          row.id,
          row.payment_intent_id,
          row.merchant_id,
          amountMinor,
          row.currency,
          row.reason,
          row.transfer_id,
          at,
        ],
      );
      return true;
    });
    if (!reserved) return failure('refund_exceeds_payment', { param: 'amount' });
    const payer = await identity.identity.getUser(intent.payerId);
    const wallet = await ensureWalletAccount(
      pool,
      ledger,
      { id: intent.payerId, createdAt: payer!.createdAt },
      intent.currency,
      at,
    );
    const result = await ledger.transfer(
      {
        id: row.transfer_id,
        debitAccountId: merchant.accountId,
        creditAccountId: wallet,
        amountMinor,
        currency: intent.currency,
        code: 'merchant_refund',
      },
      async (tx) => {
        await tx.query(
          `UPDATE refunds SET status = 'succeeded', updated_at = $2 WHERE id = $1 AND status = 'processing'`,
          [row.id, at],
        );
        const data = {
          refund_id: row.id,
          payment_intent_id: intent.id,
          merchant_id: merchant.id,
          amount_minor: String(amountMinor),
          currency: intent.currency,
        };
        await appendUserEvents(
          tx,
          [
            { userId: intent.payerId!, type: 'refund.received', data },
            { userId: intent.payerId!, type: 'balance.changed', data },
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
      const { rowCount } = await tx.query(
        `UPDATE refunds SET status = 'failed', failure_code = $2, updated_at = $3
          WHERE id = $1 AND status = 'processing'`,
        [row.id, code, at],
      );
      if (rowCount !== 1) return;
      await tx.query(
        `UPDATE payment_intents SET amount_refunded_minor = amount_refunded_minor - $2
          WHERE id = $1`,
        [row.payment_intent_id, row.amount_minor],
      );
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
    createIntent,

    async getIntent(merchantId, intentId) {
      const intent = await selectIntent(pool, intentId);
      return intent?.merchantId === merchantId ? intent : undefined;
    },

    async listIntents(merchantId, page) {
      const { rows } = await pool.query<IntentRow>(
        `SELECT * FROM payment_intents
          WHERE merchant_id = $1 AND ($2::text IS NULL OR id < $2)
          ORDER BY id DESC LIMIT $3`,
        [merchantId, page.startingAfter ?? null, page.limit + 1],
      );
      return { data: rows.slice(0, page.limit).map(intentOf), hasMore: rows.length > page.limit };
    },

    async cancelIntent(merchantId, intentId) {
      const at = now();
      const canceled = await withTransaction(pool, async (tx) => {
        const { rows } = await tx.query<IntentRow>(
          `UPDATE payment_intents
              SET status = 'canceled', cancellation_reason = 'requested_by_merchant', updated_at = $3
            WHERE id = $1 AND merchant_id = $2 AND status = 'requires_payment'
            RETURNING *`,
          [intentId, merchantId, at],
        );
        if (rows[0] === undefined) return undefined;
        const intent = intentOf(rows[0]);
        await enqueueWebhookEvent(
          tx,
          { owner: merchantId, type: 'payment_intent.canceled', data: intentEventData(intent) },
          at,
        );
        return intent;
      });
      if (canceled !== undefined) return { ok: true, intent: canceled };
      const intent = await selectIntent(pool, intentId);
      return intent?.merchantId === merchantId
        ? failure('payment_intent_not_cancelable')
        : failure('payment_intent_not_found', { param: 'id' });
    },

    payable,

    async intentByReference(reference) {
      const { rows } = await pool.query<IntentRow>(
        'SELECT * FROM payment_intents WHERE reference = $1',
        [reference],
      );
      return rows[0] === undefined ? undefined : intentOf(rows[0]);
    },

    confirm,

    async payMerchant(payerId, input) {
      const merchant = await selectMerchant(pool, input.merchantId);
      if (merchant === undefined) return failure('merchant_not_found', { param: 'merchant' });
      const created = await createIntent(merchant, {
        amount: input.amount,
        description: input.note,
        metadata: { source: 'static_code' },
        expiresInSeconds: limits.paymentIntentTtlDefaultSeconds,
        reservedFor: payerId,
      });
      if (!created.ok) return created;
      const paid = await confirm(payerId, created.intent.id, input.confirmation);
      if (!paid.ok) {
        // Only this payer could pay it, so it goes away with the refusal.
        await pool.query(
          `UPDATE payment_intents SET status = 'canceled', cancellation_reason = 'payment_refused',
                  updated_at = $2
            WHERE id = $1 AND status = 'requires_payment'`,
          [created.intent.id, now()],
        );
      }
      return paid;
    },

    refund,

    async getRefund(merchantId, refundId) {
      const { rows } = await pool.query<RefundRow>('SELECT * FROM refunds WHERE id = $1', [
        refundId,
      ]);
      return rows[0]?.merchant_id === merchantId ? refundOf(rows[0]) : undefined;
    },

    async listRefunds(merchantId, page) {
      const { rows } = await pool.query<RefundRow>(
        `SELECT * FROM refunds
          WHERE merchant_id = $1 AND ($2::text IS NULL OR id < $2)
            AND ($3::text IS NULL OR payment_intent_id = $3)
          ORDER BY id DESC LIMIT $4`,
        [merchantId, page.startingAfter ?? null, page.paymentIntentId ?? null, page.limit + 1],
      );
      return { data: rows.slice(0, page.limit).map(refundOf), hasMore: rows.length > page.limit };
    },

    async recoverUnsettled() {
      const before = new Date(clock.nowMs() - limits.merchantUnsettledAfterMs);
      const { rows: intents } = await pool.query<IntentRow>(
        `SELECT * FROM payment_intents WHERE status = 'processing' AND updated_at < $1
          ORDER BY updated_at LIMIT $2`,
        [before, limits.walletJobBatchSizeMax],
      );
      for (const row of intents) {
        // The ledger commits the intent's status with the money, so a processing intent whose
        // transfer is not in the ledger never moved money: it opens again.
        const [moved] = await ledger.getTransfers([row.transfer_id!]);
        if (moved === undefined) await reopen(intentOf(row), row.transfer_id!, row.payer_id!);
      }
      const { rows: refunds } = await pool.query<RefundRow>(
        `SELECT * FROM refunds WHERE status = 'processing' AND updated_at < $1
          ORDER BY updated_at LIMIT $2`,
        [before, limits.walletJobBatchSizeMax],
      );
      for (const row of refunds) {
        const [moved] = await ledger.getTransfers([row.transfer_id]);
        if (moved === undefined) {
          await failRefund(row, 'abandoned');
        }
      }
      return intents.length + refunds.length;
    },
  };
}
