import { randomInt } from 'node:crypto';
import { withTransaction, type Pool } from '../db/index.js';
import { enqueueWebhookEvent } from '../events/index.js';
import type { IdentityServices } from '../identity/index.js';
import type { Ledger, TransferResultCode } from '../ledger/index.js';
import { assert } from '../lib/assert.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import { isCurrencyCode, money, type Money } from '../money/index.js';
import type { RiskPolicy } from '../risk/index.js';
import { ensureWalletAccount, walletAccountId, type Fx } from '../wallet/index.js';
import { createCapture } from './capture.js';
import { selectMerchant, type Merchant } from './merchants.js';
import { payClaimedIntent } from './pay-claimed-intent.js';
import {
  chainCode,
  fundingCurrencyOf,
  intentEventData,
  LIMITS_CURRENCY,
  newReference,
  notPayable,
  Refusal,
  spentOf,
  type ClaimedIntent,
  type Funding,
} from './payments-core.js';
import {
  cancelOpenIntent,
  cancelRefusedIntent,
  claimIntent,
  insertIntent,
  intentOf,
  recordAuthorization,
  reopenIntent,
  selectIntent,
  selectIntentByReference,
  selectIntentPage,
  selectProcessingIntents,
} from './payments-sql.js';
import type {
  ConfirmOptions,
  IntentInput,
  Page,
  PaymentIntent,
  PaymentResult,
  Refund,
} from './payments-types.js';
import { createRefunds } from './refunds.js';

export { feeOf, PAYMENT_EVENT_TYPES } from './payments-core.js';
export type {
  ConfirmOptions,
  Conversion,
  IntentInput,
  IntentStatus,
  Page,
  PaymentIntent,
  PaymentResult,
  Refund,
} from './payments-types.js';

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
 *
 * The parts: the types (payments-types.ts), the SQL (payments-sql.ts), the pure core
 * (payments-core.ts), paying a claimed intent (pay-claimed-intent.ts, shared with charges by
 * payment code), manual capture (capture.ts) and refunds (refunds.ts); this file composes them.
 */
/** A paid (or held) intent with its merchant, which the caller would otherwise read again. */
/** What a wallet can spend now: posted credits less posted and pending debits. */
function availableOf(account: {
  readonly creditsPosted: bigint;
  readonly debitsPosted: bigint;
  readonly debitsPending: bigint;
}): bigint {
  return account.creditsPosted - account.debitsPosted - account.debitsPending;
}

export interface PaidIntent {
  readonly intent: PaymentIntent;
  readonly merchant: Merchant;
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
  /** Any merchant's intent by its id (a payment link); the caller decides what the payer sees. */
  intentById(intentId: string): Promise<PaymentIntent | undefined>;
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
  ): Promise<PaymentResult<PaidIntent>>;
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
  ): Promise<PaymentResult<PaidIntent>>;
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

export function createPayments(deps: PaymentsDeps): Payments {
  const { pool, clock, ledger, identity, fx } = deps;
  const now = () => new Date(clock.nowMs());
  const holds = createCapture({ pool, clock, ledger, identity });
  const refunds = createRefunds({ pool, clock, ledger, identity });

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
      const reopened = await reopenIntent(tx, intent.id, transferId, now());
      const reservedAt = reopened?.limit_reserved_at;
      if (reservedAt !== undefined && reservedAt !== null) {
        await identity.paymentLimits.release(tx, payerId, reopened!.reserved_minor, reservedAt);
      }
    });
  }

  async function availableMinor(accountId: string): Promise<bigint> {
    const account = await ledger.getAccount(accountId);
    assert(account !== undefined, `wallet account ${accountId} is not in the ledger`);
    return availableOf(account);
  }

  /**
   * Where the money comes from (see `fundingCurrencyOf`). Reading the balance only picks the
   * source; the ledger still decides under its lock, so a source that runs dry in between is
   * refused, never overdrawn. A conversion buys exactly the intent's amount, at a quote whose
   * price is rounded in the house's favour.
   */
  async function fundingOf(
    intent: PaymentIntent,
    user: { readonly id: string; readonly createdAt: Date },
    walletId: string,
    payFromCurrency: string | undefined,
    at: Date,
  ): Promise<PaymentResult<{ funding: Funding }>> {
    const balanceDecides = intent.captureMethod !== 'manual' && payFromCurrency === undefined;
    const available = balanceDecides ? await availableMinor(walletId) : undefined;
    const from = fundingCurrencyOf(intent, payFromCurrency, available);
    if (!from.ok) return from;
    if (from.currency === intent.currency) return { ok: true, funding: { kind: 'wallet' } };
    assert(isCurrencyCode(intent.currency), `unknown currency ${intent.currency}`);
    const quoted = await fx.quote(user.id, {
      buy: money(intent.amountMinor, intent.currency),
      sellCurrency: from.currency,
    });
    if (!quoted.ok) return { ...quoted, param: 'pay_from_currency' };
    const sourceAccountId = await ensureWalletAccount(pool, ledger, user, from.currency, at);
    return { ok: true, funding: { kind: 'conversion', quote: quoted.quote, sourceAccountId } };
  }

  async function confirm(
    payerId: string,
    intentId: string,
    confirmation: string | undefined,
    options: ConfirmOptions = {},
  ): Promise<PaymentResult<PaidIntent>> {
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
    const c: ClaimedIntent = {
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
    return settle(c);
  }

  /** Pays or holds a claimed intent; a refused chain opens it again. */
  async function settle(c: ClaimedIntent): Promise<PaymentResult<PaidIntent>> {
    const code =
      c.intent.captureMethod === 'manual'
        ? await holds.hold(c)
        : chainCode(await payClaimedIntent({ ledger, identity }, c));
    if (code !== 'ok' && code !== 'exists') return refused(c, code);
    return { ok: true, intent: (await selectIntent(pool, c.intent.id))!, merchant: c.merchant };
  }

  /**
   * Claims the intent for this payer in the transaction that authorizes the payment: step-up
   * (bound to the intent's amount, currency and merchant) and the payer's limits. The claim
   * comes first: of concurrent confirmations only one gets the row.
   */
  async function claim(
    c: ClaimedIntent,
    confirmation: string | undefined,
  ): Promise<PaymentResult<object>> {
    const { intent, merchant, payerId, at } = c;
    const spent = spentOf(c);
    const quote = c.funding.kind === 'conversion' ? c.funding.quote : undefined;
    try {
      await withTransaction(pool, async (tx) => {
        if (!(await claimIntent(tx, intent.id, payerId, c.transferId, at))) {
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
        await recordAuthorization(tx, intent.id, {
          confirmation: authorized.method,
          limitReservedAt: reservedAt,
          limitReservedMinor: reservedAt === null ? null : spent.amountMinor,
          conversion:
            quote === undefined
              ? null
              : {
                  currency: quote.sell.currency,
                  amountMinor: quote.sell.amountMinor,
                  numerator: quote.rate.numerator,
                  denominator: quote.rate.denominator,
                  quoteId: quote.id,
                },
        });
      });
    } catch (error) {
      if (error instanceof Refusal) return error.outcome;
      throw error;
    }
    return { ok: true };
  }

  /** A refused chain: the intent opens again and the payer hears why. */
  async function refused(c: ClaimedIntent, code: TransferResultCode | undefined) {
    await reopen(c.intent, c.transferId, c.payerId);
    const param = c.funding.kind === 'conversion' ? 'pay_from_currency' : 'amount';
    if (code === 'exceeds_credits') return failure('insufficient_funds', { param });
    if (code === 'account_frozen') return failure('wallet_frozen');
    throw new Error(`unexpected ledger result for payment ${c.intent.id}: ${code}`);
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
    const intent = await insertIntent(pool, {
      id: newId('pi', at.getTime()),
      merchantId: merchant.id,
      amountMinor: input.amount.amountMinor,
      currency: input.amount.currency,
      description: input.description ?? null,
      metadata: input.metadata,
      reference: newReference(randomInt),
      expiresAt: new Date(at.getTime() + input.expiresInSeconds * 1000),
      at,
      reservedFor: input.reservedFor ?? null,
      captureMethod: input.captureMethod ?? 'automatic',
    });
    return { ok: true, intent };
  }

  async function cancelIntent(
    merchantId: string,
    intentId: string,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>> {
    const at = now();
    const canceled = await withTransaction(pool, async (tx) => {
      const intent = await cancelOpenIntent(tx, intentId, merchantId, at);
      if (intent === undefined) return undefined;
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
    if (intent.status === 'requires_capture') return holds.cancelHold(intent);
    return failure('payment_intent_not_cancelable');
  }

  async function payMerchant(
    payerId: string,
    input: Parameters<Payments['payMerchant']>[1],
  ): Promise<PaymentResult<PaidIntent>> {
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
    // Only this payer could pay it, so it goes away with the refusal.
    if (!paid.ok) await cancelRefusedIntent(pool, created.intent.id, now());
    return paid;
  }

  /**
   * Payments a crash left processing are settled from the ledger: the ledger commits the
   * intent's status with the money, so a processing intent whose transfer is not in the ledger
   * never moved money and opens again. Then refunds, then holds.
   */
  async function recoverUnsettled(): Promise<number> {
    const before = new Date(clock.nowMs() - limits.merchantUnsettledAfterMs);
    const intents = await selectProcessingIntents(pool, before, limits.walletJobBatchSizeMax);
    for (const row of intents) {
      const [moved] = await ledger.getTransfers([row.transfer_id!]);
      if (moved === undefined) await reopen(intentOf(row), row.transfer_id!, row.payer_id!);
    }
    const refunded = await refunds.recoverRefunds(before);
    return intents.length + refunded + (await holds.recoverHolds());
  }

  return {
    createIntent,

    async getIntent(merchantId, intentId) {
      const intent = await selectIntent(pool, intentId);
      return intent?.merchantId === merchantId ? intent : undefined;
    },

    async listIntents(merchantId, page) {
      const rows = await selectIntentPage(
        pool,
        merchantId,
        page.startingAfter ?? null,
        page.limit + 1,
      );
      return { data: rows.slice(0, page.limit).map(intentOf), hasMore: rows.length > page.limit };
    },

    cancelIntent,
    capture: holds.capture,
    payable,
    intentByReference: (reference) => selectIntentByReference(pool, reference),
    intentById: (intentId) => selectIntent(pool, intentId),

    async conversionNeeded(payerId, intent) {
      const user = await identity.identity.getUser(payerId);
      if (user === undefined) return false;
      // A scan only reads: a wallet the payer has never opened holds nothing, and is not opened.
      const wallet = await ledger.getAccount(
        walletAccountId(user.id, user.createdAt.getTime(), intent.currency),
      );
      return (wallet === undefined ? 0n : availableOf(wallet)) < intent.amountMinor;
    },

    confirm,
    payMerchant,
    refund: refunds.refund,
    getRefund: refunds.getRefund,
    listRefunds: refunds.listRefunds,
    recoverUnsettled,
  };
}
