import { randomInt } from 'node:crypto';
import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { appendUserEvents, enqueueWebhookEvent } from '../events/index.js';
import type { IdentityFailure, IdentityServices } from '../identity/index.js';
import type {
  DomainWrite,
  Ledger,
  TransferCommand,
  TransferResult,
  TransferResultCode,
} from '../ledger/index.js';
import { assert } from '../lib/assert.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import { formatAmount, isCurrencyCode, money, type Money } from '../money/index.js';
import type { RiskPolicy } from '../risk/index.js';
import {
  ensureFxPositionAccount,
  ensureSystemAccount,
  ensureWalletAccount,
  type Fx,
  type FxQuote,
  type WalletFailure,
} from '../wallet/index.js';
import type { MerchantFailure } from './codes.js';
import { selectMerchant, type Merchant } from './merchants.js';

/**
 * Payment intents and refunds. A merchant's server creates an intent; a user confirms it (with
 * step-up or the low-value exemption, limits and the risk hook) and pays it exactly once: the
 * confirmation claims the intent in the transaction that authorizes the payment, and the
 * payment and its fee are one linked ledger chain whose domain write marks the intent paid.
 * Refunds reserve their amount on the intent first, so concurrent refunds never exceed what was
 * paid, and come from the merchant's balance, which never goes below zero.
 *
 * Manual capture: confirming an intent made with `captureMethod: 'manual'` holds the amount on
 * the payer's wallet (a pending ledger transfer to the merchant's account that the ledger voids
 * by itself after `limits.paymentAuthorizationTtlSeconds`). The merchant captures it, in full or
 * in part (posting the hold and taking the fee on what was captured, one linked chain; the rest
 * goes back to the payer), or cancels it (voiding the hold). A capture or cancellation first
 * claims the hold on the intent's row, so of concurrent ones exactly one reaches the ledger.
 * The payer's limits count the whole amount at confirmation; what is not captured is given back.
 *
 * Paying from another currency: a payment may be paid from the payer's wallet in another
 * currency (asked for with `payFromCurrency`, or CNY when the wallet in the intent's currency
 * cannot cover the amount). The whole amount is then bought at the operator's current rate (an
 * FX quote, rounded in the house's favour) in the same linked chain as the payment: payer's
 * wallet → FX position, FX position → payer's wallet in the intent's currency, that wallet →
 * merchant, merchant → fee revenue. All of it moves or none. Manual-capture intents are paid
 * from the wallet in their own currency only, so that a released hold gives back the money the
 * payer had. Refunds go back in the intent's currency; the conversion is not undone.
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
  /** Manual capture: when the hold on the payer's wallet runs out (the ledger voids it then). */
  readonly authorizationExpiresAt: Date | null;
  /** Paid from another currency: what the payer paid for it, and at which rate. */
  readonly conversion: Conversion | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly paidAt: Date | null;
}

export interface Conversion {
  /** What left the payer's wallet in the other currency. */
  readonly from: { readonly amountMinor: bigint; readonly currency: string };
  /** Units of the intent's currency one unit of `from` bought, spread included; exact. */
  readonly rate: { readonly numerator: bigint; readonly denominator: bigint };
  readonly quoteId: string;
}

export interface ConfirmOptions {
  /** Pay from the wallet in this currency (converting the whole amount when it differs). */
  readonly payFromCurrency?: string | undefined;
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
  /** `manual`: confirming holds the amount until the merchant captures it (default automatic). */
  readonly captureMethod?: 'automatic' | 'manual' | undefined;
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
  /** Cancels an open intent, or voids the hold of one waiting for capture. */
  cancelIntent(
    merchantId: string,
    intentId: string,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>>;
  /**
   * Captures a held payment, all of it or `amountMinor` (the rest goes back to the payer); the
   * fee is taken on what is captured.
   */
  capture(
    merchantId: string,
    intentId: string,
    amountMinor: bigint | undefined,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>>;
  /** An open intent as a payer sees it before paying (scans), or a failure saying why not. */
  payable(intentId: string): Promise<PaymentResult<{ intent: PaymentIntent; merchant: Merchant }>>;
  /** The intent found by the one-time reference of its dynamic QR code. */
  intentByReference(reference: string): Promise<PaymentIntent | undefined>;
  /**
   * Whether the payer's wallet in the intent's currency cannot cover it now, so that paying it
   * takes a conversion. Opens that wallet (empty) if the payer has none, as paying would.
   */
  conversionNeeded(payerId: string, intent: PaymentIntent): Promise<boolean>;
  confirm(
    payerId: string,
    intentId: string,
    confirmation: string | undefined,
    options?: ConfirmOptions,
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
  /**
   * Job: payments and refunds a crash left processing are settled from the ledger; held
   * payments whose hold ran out are cancelled, and claims on holds a crash left are given up.
   */
  recoverUnsettled(): Promise<number>;
}

export interface PaymentsDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly identity: IdentityServices;
  readonly risk: RiskPolicy;
  /** Prices conversions for payments from another currency (the wallet's FX). */
  readonly fx: Fx;
}

/** Where a payment comes from when the wallet in the intent's currency cannot cover it. */
const FUNDING_CURRENCY_DEFAULT = 'CNY';
/** Payment limits count this currency only (as P2P transfers do). */
const LIMITS_CURRENCY = 'CNY';

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
  limit_reserved_at: Date | null;
  limit_reserved_minor: bigint | null;
  authorization_expires_at: Date | null;
  resolution: 'capture' | 'cancel' | null;
  resolution_transfer_id: string | null;
  conversion_currency: string | null;
  conversion_amount_minor: bigint | null;
  /** numeric columns arrive as text. */
  conversion_rate_numerator: string | null;
  conversion_rate_denominator: string | null;
  conversion_quote_id: string | null;
  created_at: Date;
  updated_at: Date;
  paid_at: Date | null;
}

function conversionOf(r: IntentRow): Conversion | null {
  if (r.conversion_currency === null) return null;
  return {
    from: { amountMinor: r.conversion_amount_minor!, currency: r.conversion_currency },
    rate: {
      numerator: BigInt(r.conversion_rate_numerator!),
      denominator: BigInt(r.conversion_rate_denominator!),
    },
    quoteId: r.conversion_quote_id!,
  };
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
  authorizationExpiresAt: r.authorization_expires_at,
  conversion: conversionOf(r),
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
  'payment_intent.requires_capture',
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
      amount_received: amountJson(i.amountReceivedMinor, i.currency),
      fee: amountJson(i.feeMinor, i.currency),
      capture_method: i.captureMethod,
      capture_before: i.authorizationExpiresAt?.toISOString() ?? null,
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

/** Links each command to the next, so that the whole chain moves or nothing does. */
function linked(commands: readonly TransferCommand[]): TransferCommand[] {
  return commands.map((c, i) =>
    i < commands.length - 1 ? { ...c, flags: { ...c.flags, linked: true } } : c,
  );
}

/** What a chain came to: the failing command's own code, or the first one's success. */
function chainCode(results: readonly TransferResult[]): TransferResultCode | undefined {
  const failed = results.find(
    (r) => r.code !== 'ok' && r.code !== 'exists' && r.code !== 'linked_event_failed',
  );
  return failed?.code ?? results[0]?.code;
}

/** How the ledger answers a hold that can no longer be posted or voided by us: it is gone. */
function holdGone(code: TransferResultCode | undefined): boolean {
  return code === 'pending_transfer_expired' || code === 'pending_transfer_already_voided';
}

/** Why an intent that could not be claimed for capture cannot be captured. */
function notCapturable(intent: PaymentIntent | undefined): MerchantFailure {
  return intent?.status === 'canceled' && intent.cancellationReason === 'authorization_expired'
    ? failure('payment_authorization_expired')
    : failure('payment_intent_not_capturable');
}

/** Where a confirmed payment's money comes from. */
type Funding =
  | { readonly kind: 'wallet' }
  | { readonly kind: 'conversion'; readonly quote: FxQuote; readonly sourceAccountId: string };

/** A payment being confirmed: the claimed intent and everything its chain needs. */
interface Confirmation {
  readonly intent: PaymentIntent;
  readonly merchant: Merchant;
  readonly payerId: string;
  /** The payer's wallet in the intent's currency. */
  readonly walletId: string;
  readonly funding: Funding;
  /** The payment's ledger transfer (or the hold's, for manual capture). */
  readonly transferId: string;
  readonly at: Date;
}

/** What leaves the payer: the intent's amount, or what was sold to buy it. */
function spentOf(c: Confirmation): { readonly amountMinor: bigint; readonly currency: string } {
  return c.funding.kind === 'conversion'
    ? c.funding.quote.sell
    : { amountMinor: c.intent.amountMinor, currency: c.intent.currency };
}

export function createPayments(deps: PaymentsDeps): Payments {
  const { pool, clock, ledger, identity } = deps;
  const fx = deps.fx;
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
      const { rows } = await tx.query<{ limit_reserved_at: Date | null; reserved_minor: bigint }>(
        `UPDATE payment_intents p
            SET status = 'requires_payment', payer_id = NULL, transfer_id = NULL,
                confirmation = NULL, limit_reserved_at = NULL, limit_reserved_minor = NULL,
                conversion_currency = NULL, conversion_amount_minor = NULL,
                conversion_rate_numerator = NULL, conversion_rate_denominator = NULL,
                conversion_quote_id = NULL, updated_at = $3
           FROM (SELECT id, limit_reserved_at,
                        coalesce(limit_reserved_minor, amount_minor) AS reserved_minor
                   FROM payment_intents WHERE id = $1 FOR UPDATE) old
          WHERE p.id = old.id AND p.status = 'processing' AND p.transfer_id = $2
          RETURNING old.limit_reserved_at, old.reserved_minor`,
        [intent.id, transferId, now()],
      );
      const reservedAt = rows[0]?.limit_reserved_at;
      if (reservedAt !== undefined && reservedAt !== null) {
        await identity.paymentLimits.release(tx, payerId, rows[0]!.reserved_minor, reservedAt);
      }
    });
  }

  async function availableMinor(accountId: string): Promise<bigint> {
    const account = await ledger.getAccount(accountId);
    assert(account !== undefined, `wallet account ${accountId} is not in the ledger`);
    return account.creditsPosted - account.debitsPosted - account.debitsPending;
  }

  /**
   * Where the money comes from: the wallet in `payFromCurrency` when one is asked for; else the
   * wallet in the intent's currency when it covers the whole amount now, and CNY when it does
   * not. Reading the balance only picks the source; the ledger still decides under its lock, so
   * a source that runs dry in between is refused, never overdrawn. A conversion buys exactly
   * the intent's amount, at a quote whose price is rounded in the house's favour.
   */
  async function fundingOf(
    intent: PaymentIntent,
    user: { readonly id: string; readonly createdAt: Date },
    walletId: string,
    payFromCurrency: string | undefined,
    at: Date,
  ): Promise<PaymentResult<{ funding: Funding }>> {
    const wallet = { ok: true as const, funding: { kind: 'wallet' as const } };
    if (intent.captureMethod === 'manual') {
      if (payFromCurrency === undefined || payFromCurrency === intent.currency) return wallet;
      return failure('payment_intent_conversion_unsupported', { param: 'pay_from_currency' });
    }
    const from =
      payFromCurrency ??
      ((await availableMinor(walletId)) >= intent.amountMinor
        ? intent.currency
        : FUNDING_CURRENCY_DEFAULT);
    if (from === intent.currency) return wallet;
    assert(isCurrencyCode(intent.currency), `unknown currency ${intent.currency}`);
    const quoted = await fx.quote(user.id, {
      buy: money(intent.amountMinor, intent.currency),
      sellCurrency: from,
    });
    if (!quoted.ok) return { ...quoted, param: 'pay_from_currency' };
    const sourceAccountId = await ensureWalletAccount(pool, ledger, user, from, at);
    return { ok: true, funding: { kind: 'conversion', quote: quoted.quote, sourceAccountId } };
  }

  async function confirm(
    payerId: string,
    intentId: string,
    confirmation: string | undefined,
    options: ConfirmOptions = {},
  ): Promise<PaymentResult<{ intent: PaymentIntent }>> {
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
    const user = { id: payerId, createdAt: payer.user.createdAt };
    const walletId = await ensureWalletAccount(pool, ledger, user, intent.currency, at);
    const funded = await fundingOf(intent, user, walletId, options.payFromCurrency, at);
    if (!funded.ok) return funded;
    const c: Confirmation = {
      intent,
      merchant,
      payerId,
      walletId,
      funding: funded.funding,
      transferId: newId('trf', at.getTime()),
      at,
    };
    const claimed = await claim(c, confirmation);
    if (!claimed.ok) return claimed;
    return intent.captureMethod === 'manual' ? hold(c) : pay(c);
  }

  /**
   * Claims the intent for this payer in the transaction that authorizes the payment: step-up
   * (bound to the intent's amount, currency and merchant) and the payer's limits. The claim
   * comes first: of concurrent confirmations only one gets the row.
   */
  async function claim(
    c: Confirmation,
    confirmation: string | undefined,
  ): Promise<PaymentResult<object>> {
    const { intent, merchant, payerId, at } = c;
    const spent = spentOf(c);
    const quote = c.funding.kind === 'conversion' ? c.funding.quote : undefined;
    try {
      await withTransaction(pool, async (tx) => {
        const { rowCount } = await tx.query(
          `UPDATE payment_intents
              SET status = 'processing', payer_id = $2, transfer_id = $3, updated_at = $4
            WHERE id = $1 AND status = 'requires_payment' AND expires_at > $4
              AND (reserved_for IS NULL OR reserved_for = $2)`,
          [intent.id, payerId, c.transferId, at],
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
        let reservedAt: Date | null = null;
        if (spent.currency === LIMITS_CURRENCY) {
          const reserved = await identity.paymentLimits.reserve(tx, payerId, spent.amountMinor);
          if (!reserved.ok) throw new Refusal(reserved);
          reservedAt = reserved.reservedAt;
        }
        await tx.query(
          `UPDATE payment_intents
              SET confirmation = $2, limit_reserved_at = $3, limit_reserved_minor = $4,
                  conversion_currency = $5, conversion_amount_minor = $6,
                  conversion_rate_numerator = $7::numeric, conversion_rate_denominator = $8::numeric,
                  conversion_quote_id = $9
            WHERE id = $1`,
          [
            intent.id,
            authorized.method,
            reservedAt,
            reservedAt === null ? null : spent.amountMinor,
            quote?.sell.currency ?? null,
            quote?.sell.amountMinor ?? null,
            quote?.rate.numerator.toString() ?? null,
            quote?.rate.denominator.toString() ?? null,
            quote?.id ?? null,
          ],
        );
      });
    } catch (error) {
      if (error instanceof Refusal) return error.outcome;
      throw error;
    }
    return { ok: true };
  }

  async function feeLeg(merchant: Merchant, currency: string, feeMinor: bigint, at: Date) {
    return {
      id: newId('trf', at.getTime()),
      debitAccountId: merchant.accountId,
      creditAccountId: await ensureSystemAccount(ledger, 'fee_revenue', currency),
      amountMinor: feeMinor,
      currency,
      code: 'merchant_fee',
    };
  }

  /** The two legs that buy the intent's amount with the payer's other currency. */
  async function conversionLegs(c: Confirmation): Promise<TransferCommand[]> {
    if (c.funding.kind !== 'conversion') return [];
    const { quote, sourceAccountId } = c.funding;
    const metadata = { payment_intent_id: c.intent.id, quote_id: quote.id };
    return [
      {
        id: newId('trf', c.at.getTime()),
        debitAccountId: sourceAccountId,
        creditAccountId: await ensureFxPositionAccount(ledger, quote.sell.currency),
        amountMinor: quote.sell.amountMinor,
        currency: quote.sell.currency,
        code: 'fx_sell',
        metadata,
      },
      {
        id: newId('trf', c.at.getTime()),
        debitAccountId: await ensureFxPositionAccount(ledger, quote.buy.currency),
        creditAccountId: c.walletId,
        amountMinor: quote.buy.amountMinor,
        currency: quote.buy.currency,
        code: 'fx_buy',
        metadata,
      },
    ];
  }

  /** A refused chain: the intent opens again and the payer hears why. */
  async function refused(c: Confirmation, code: TransferResultCode | undefined) {
    await reopen(c.intent, c.transferId, c.payerId);
    const param = c.funding.kind === 'conversion' ? 'pay_from_currency' : 'amount';
    if (code === 'exceeds_credits') return failure('insufficient_funds', { param });
    if (code === 'account_frozen') return failure('wallet_frozen');
    throw new Error(`unexpected ledger result for payment ${c.intent.id}: ${code}`);
  }

  /** Automatic capture: [conversion legs,] payment and fee, one linked chain. */
  async function pay(c: Confirmation): Promise<PaymentResult<{ intent: PaymentIntent }>> {
    const { intent, merchant, at } = c;
    const fee = feeOf(intent.amountMinor, merchant.feeRateBp);
    const payment: TransferCommand = {
      id: c.transferId,
      debitAccountId: c.walletId,
      creditAccountId: merchant.accountId,
      amountMinor: intent.amountMinor,
      currency: intent.currency,
      code: 'merchant_payment',
    };
    const chain = linked([
      ...(await conversionLegs(c)),
      payment,
      ...(fee > 0n ? [await feeLeg(merchant, intent.currency, fee, at)] : []),
    ]);
    const write = succeeded(intent, merchant, c.payerId, {
      amountMinor: intent.amountMinor,
      feeMinor: fee,
      at,
      claimId: null,
      extra:
        c.funding.kind === 'conversion'
          ? {
              paid_from_amount_minor: String(c.funding.quote.sell.amountMinor),
              paid_from_currency: c.funding.quote.sell.currency,
            }
          : {},
    });
    const results = await ledger.transferChain(
      chain,
      chain.map((command) => (command.id === c.transferId ? write : undefined)),
    );
    const code = chainCode(results);
    if (code !== 'ok' && code !== 'exists') return refused(c, code);
    return { ok: true, intent: (await selectIntent(pool, intent.id))! };
  }

  /**
   * The domain write of a paid or captured intent: it succeeds with what was received, the
   * payer hears of it, the merchant's webhook is enqueued, and, for a partial capture, the
   * payer's limits get back what was not captured.
   */
  function succeeded(
    intent: PaymentIntent,
    merchant: Merchant,
    payerId: string,
    paid: {
      readonly amountMinor: bigint;
      readonly feeMinor: bigint;
      readonly at: Date;
      /** A capture's claim on the hold; null for a payment, whose claim is `processing`. */
      readonly claimId: string | null;
      /** More for the payer's events (JSON: no bigints). */
      readonly extra: Readonly<Record<string, string>>;
    },
  ): DomainWrite {
    return async (tx, result) => {
      const { rows } = await tx.query<{ limit_reserved_at: Date | null }>(
        `UPDATE payment_intents
            SET status = 'succeeded', fee_minor = $2, amount_received_minor = $3, paid_at = $4,
                updated_at = $4
          WHERE id = $1
            AND CASE WHEN $5::text IS NULL THEN status = 'processing'
                     ELSE status = 'requires_capture' AND resolution_transfer_id = $5 END
          RETURNING limit_reserved_at`,
        [intent.id, paid.feeMinor, paid.amountMinor, paid.at, paid.claimId],
      );
      const reservedAt = rows[0]?.limit_reserved_at ?? null;
      const uncapturedMinor = intent.amountMinor - paid.amountMinor;
      if (reservedAt !== null && uncapturedMinor > 0n) {
        await identity.paymentLimits.release(tx, payerId, uncapturedMinor, reservedAt);
      }
      const data = {
        payment_intent_id: intent.id,
        merchant_id: merchant.id,
        transfer_id: result.id,
        amount_minor: String(paid.amountMinor),
        currency: intent.currency,
        ...paid.extra,
      };
      await appendUserEvents(
        tx,
        [
          { userId: payerId, type: 'payment.succeeded', data },
          { userId: payerId, type: 'balance.changed', data },
        ],
        paid.at,
      );
      const changes = {
        status: 'succeeded' as const,
        payerId,
        feeMinor: paid.feeMinor,
        amountReceivedMinor: paid.amountMinor,
        paidAt: paid.at,
      };
      await enqueueWebhookEvent(
        tx,
        {
          owner: merchant.id,
          type: 'payment_intent.succeeded',
          data: intentEventData(intent, changes),
        },
        paid.at,
      );
    };
  }

  /** Manual capture: the amount is held on the payer's wallet for the merchant. */
  async function hold(c: Confirmation): Promise<PaymentResult<{ intent: PaymentIntent }>> {
    const { intent, merchant, at } = c;
    const ttlSeconds = limits.paymentAuthorizationTtlSeconds;
    const command: TransferCommand = {
      id: c.transferId,
      debitAccountId: c.walletId,
      creditAccountId: merchant.accountId,
      amountMinor: intent.amountMinor,
      currency: intent.currency,
      code: 'merchant_authorization',
      flags: { pending: true },
      timeoutSeconds: ttlSeconds,
    };
    const held: DomainWrite = async (tx, result) => {
      // The ledger voids the hold this long after it committed it.
      assert(result.transfer !== undefined, `hold ${result.id} committed without its transfer`);
      const expiresAt = new Date(result.transfer.createdAtMs + ttlSeconds * 1000);
      await tx.query(
        `UPDATE payment_intents
            SET status = 'requires_capture', authorization_expires_at = $2, updated_at = $3
          WHERE id = $1 AND status = 'processing'`,
        [intent.id, expiresAt, at],
      );
      const data = {
        payment_intent_id: intent.id,
        merchant_id: merchant.id,
        transfer_id: result.id,
        amount_minor: String(intent.amountMinor),
        currency: intent.currency,
      };
      await appendUserEvents(tx, [{ userId: c.payerId, type: 'balance.changed', data }], at);
      const changes = {
        status: 'requires_capture' as const,
        payerId: c.payerId,
        authorizationExpiresAt: expiresAt,
      };
      await enqueueWebhookEvent(
        tx,
        {
          owner: merchant.id,
          type: 'payment_intent.requires_capture',
          data: intentEventData(intent, changes),
        },
        at,
      );
    };
    const code = chainCode(await ledger.transferChain([command], [held]));
    if (code !== 'ok' && code !== 'exists') return refused(c, code);
    return { ok: true, intent: (await selectIntent(pool, intent.id))! };
  }

  /**
   * Claims a held intent's hold for a capture or a cancellation, with the id of the ledger
   * transfer that will post or void it: of concurrent captures and cancellations, one gets it.
   */
  async function claimHold(
    intent: PaymentIntent,
    resolution: 'capture' | 'cancel',
    transferId: string,
    captureMinor: bigint | null,
    at: Date,
  ): Promise<boolean> {
    const { rowCount } = await pool.query(
      `UPDATE payment_intents
          SET resolution = $2, resolution_transfer_id = $3, capture_amount_minor = $4,
              updated_at = $5
        WHERE id = $1 AND status = 'requires_capture' AND resolution IS NULL`,
      [intent.id, resolution, transferId, captureMinor, at],
    );
    return rowCount === 1;
  }

  /** Gives up a claim whose transfer the ledger refused or never saw: the hold is open again. */
  async function releaseHoldClaim(intentId: string, transferId: string): Promise<void> {
    await pool.query(
      `UPDATE payment_intents
          SET resolution = NULL, resolution_transfer_id = NULL, capture_amount_minor = NULL,
              updated_at = $3
        WHERE id = $1 AND status = 'requires_capture' AND resolution_transfer_id = $2`,
      [intentId, transferId, now()],
    );
  }

  /**
   * A held intent is cancelled: by the merchant (in the void's own transaction) or because its
   * hold ran out. The payer's limits get the whole amount back.
   */
  async function closeHold(
    tx: Executor,
    intent: PaymentIntent,
    reason: 'requested_by_merchant' | 'authorization_expired',
    claimId: string | null,
  ): Promise<void> {
    const at = now();
    const { rows } = await tx.query<IntentRow>(
      `UPDATE payment_intents
          SET status = 'canceled', cancellation_reason = $2, updated_at = $3,
              resolution = CASE WHEN $4::text IS NULL THEN NULL ELSE resolution END,
              resolution_transfer_id = CASE WHEN $4::text IS NULL THEN NULL
                                            ELSE resolution_transfer_id END,
              capture_amount_minor = NULL
        WHERE id = $1 AND status = 'requires_capture'
          AND ($4::text IS NULL OR resolution_transfer_id = $4)
        RETURNING *`,
      [intent.id, reason, at, claimId],
    );
    const closed = rows[0];
    if (closed === undefined) return;
    if (closed.limit_reserved_at !== null) {
      const reservedMinor = closed.limit_reserved_minor ?? closed.amount_minor;
      await identity.paymentLimits.release(
        tx,
        closed.payer_id!,
        reservedMinor,
        closed.limit_reserved_at,
      );
    }
    const data = {
      payment_intent_id: intent.id,
      merchant_id: intent.merchantId,
      amount_minor: String(intent.amountMinor),
      currency: intent.currency,
    };
    await appendUserEvents(tx, [{ userId: closed.payer_id!, type: 'balance.changed', data }], at);
    await enqueueWebhookEvent(
      tx,
      {
        owner: intent.merchantId,
        type: 'payment_intent.canceled',
        data: intentEventData(intentOf(closed)),
      },
      at,
    );
  }

  /** The hold ran out (the ledger voided it, or will): the intent is cancelled. */
  async function expireHold(intent: PaymentIntent): Promise<void> {
    await withTransaction(pool, (tx) => closeHold(tx, intent, 'authorization_expired', null));
  }

  /** What a capture or cancellation the ledger did not take comes to. */
  async function holdRefused(
    intent: PaymentIntent,
    claimId: string,
    code: TransferResultCode | undefined,
  ): Promise<MerchantFailure | WalletFailure> {
    if (holdGone(code)) {
      await expireHold(intent);
      return failure('payment_authorization_expired');
    }
    await releaseHoldClaim(intent.id, claimId);
    if (code === 'account_frozen') return failure('wallet_frozen');
    throw new Error(`unexpected ledger result for the hold of ${intent.id}: ${code}`);
  }

  async function capture(
    merchantId: string,
    intentId: string,
    amountMinor: bigint | undefined,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>> {
    const intent = await selectIntent(pool, intentId);
    if (intent === undefined || intent.merchantId !== merchantId) {
      return failure('payment_intent_not_found', { param: 'id' });
    }
    if (intent.status !== 'requires_capture') return notCapturable(intent);
    const capturedMinor = amountMinor ?? intent.amountMinor;
    if (capturedMinor > intent.amountMinor) {
      return failure('capture_exceeds_authorization', { param: 'amount' });
    }
    const merchant = await selectMerchant(pool, merchantId);
    assert(merchant !== undefined, `merchant ${merchantId} of ${intent.id} is gone`);
    const at = now();
    const postId = newId('trf', at.getTime());
    if (!(await claimHold(intent, 'capture', postId, capturedMinor, at))) {
      return notCapturable(await selectIntent(pool, intent.id));
    }
    const fee = feeOf(capturedMinor, merchant.feeRateBp);
    const post: TransferCommand = {
      id: postId,
      pendingId: intent.transferId!,
      amountMinor: capturedMinor,
      code: 'merchant_capture',
      flags: { postPending: true },
    };
    const chain = linked([
      post,
      ...(fee > 0n ? [await feeLeg(merchant, intent.currency, fee, at)] : []),
    ]);
    const write = succeeded(intent, merchant, intent.payerId!, {
      amountMinor: capturedMinor,
      feeMinor: fee,
      at,
      claimId: postId,
      extra: {},
    });
    const code = chainCode(await ledger.transferChain(chain, [write]));
    if (code === 'ok' || code === 'exists') {
      return { ok: true, intent: (await selectIntent(pool, intent.id))! };
    }
    return holdRefused(intent, postId, code);
  }

  /** The merchant cancels a held payment: the hold is voided and the money is the payer's again. */
  async function cancelHold(
    intent: PaymentIntent,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>> {
    const at = now();
    const voidId = newId('trf', at.getTime());
    if (!(await claimHold(intent, 'cancel', voidId, null, at))) {
      return failure('payment_intent_not_cancelable');
    }
    const command: TransferCommand = {
      id: voidId,
      pendingId: intent.transferId!,
      code: 'merchant_authorization_void',
      flags: { voidPending: true },
    };
    const code = chainCode(
      await ledger.transferChain(
        [command],
        [(tx) => closeHold(tx, intent, 'requested_by_merchant', voidId)],
      ),
    );
    // A hold that ran out is cancelled all the same: the merchant asked for nothing else.
    if (code === 'ok' || code === 'exists' || holdGone(code)) {
      if (holdGone(code)) await expireHold(intent);
      return { ok: true, intent: (await selectIntent(pool, intent.id))! };
    }
    return holdRefused(intent, voidId, code);
  }

  /**
   * Held intents whose hold has run out are cancelled once the ledger no longer holds the
   * money. The job first lets the ledger expire the holds that are due (the ledger's own worker
   * does the same; expiring twice is harmless), then asks the ledger about each hold by voiding
   * it: a hold that expired answers `pending_transfer_expired` and moves nothing, one a capture
   * took first answers `pending_transfer_already_posted`.
   */
  async function recoverHolds(): Promise<number> {
    const at = now();
    const { rows: due } = await pool.query<IntentRow>(
      `SELECT * FROM payment_intents
        WHERE status = 'requires_capture' AND authorization_expires_at <= $1
        ORDER BY authorization_expires_at LIMIT $2`,
      [at, limits.walletJobBatchSizeMax],
    );
    if (due.length > 0) await ledger.expireDueHolds();
    for (const row of due) {
      const intent = intentOf(row);
      const command: TransferCommand = {
        id: newId('trf', at.getTime()),
        pendingId: intent.transferId!,
        code: 'merchant_authorization_void',
        flags: { voidPending: true },
      };
      const [result] = await ledger.transferChain(
        [command],
        [(tx) => closeHold(tx, intent, 'authorization_expired', null)],
      );
      if (holdGone(result?.code)) await expireHold(intent);
    }
    // A capture or cancellation whose transfer never reached the ledger (a crash) gives way.
    const before = new Date(clock.nowMs() - limits.merchantUnsettledAfterMs);
    const { rows: stuck } = await pool.query<IntentRow>(
      `SELECT * FROM payment_intents
        WHERE status = 'requires_capture' AND resolution IS NOT NULL AND updated_at < $1
        ORDER BY updated_at LIMIT $2`,
      [before, limits.walletJobBatchSizeMax],
    );
    for (const row of stuck) {
      const [moved] = await ledger.getTransfers([row.resolution_transfer_id!]);
      if (moved === undefined) await releaseHoldClaim(row.id, row.resolution_transfer_id!);
    }
    return due.length + stuck.length;
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
       VALUES ($1, $2, $3, $4, $5, $6, $11, 'requires_payment', $7, $8, $10, $9, $9)
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
        input.captureMethod ?? 'automatic',
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
      if (intent?.merchantId !== merchantId) {
        return failure('payment_intent_not_found', { param: 'id' });
      }
      if (intent.status === 'requires_capture') return cancelHold(intent);
      return failure('payment_intent_not_cancelable');
    },

    capture,

    payable,

    async intentByReference(reference) {
      const { rows } = await pool.query<IntentRow>(
        'SELECT * FROM payment_intents WHERE reference = $1',
        [reference],
      );
      return rows[0] === undefined ? undefined : intentOf(rows[0]);
    },

    async conversionNeeded(payerId, intent) {
      const user = await identity.identity.getUser(payerId);
      if (user === undefined) return false;
      const walletId = await ensureWalletAccount(pool, ledger, user, intent.currency, now());
      return (await availableMinor(walletId)) < intent.amountMinor;
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
      return intents.length + refunds.length + (await recoverHolds());
    },
  };
}
