import type { IdentityFailure } from '../identity/index.js';
import type { TransferCommand, TransferResult, TransferResultCode } from '../ledger/index.js';
import { failure } from '../lib/code-spec.js';
import { formatAmount, isCurrencyCode } from '../money/index.js';
import type { FxQuote, WalletFailure } from '../wallet/index.js';
import type { MerchantFailure } from './codes.js';
import type { Merchant } from './merchants.js';
import type { RefundRow } from './payments-sql.js';
import type { PaymentIntent, Refund } from './payments-types.js';

/**
 * The pure core of payments: fees, the data of webhook events, and the decisions over plain
 * data (why an intent is not payable, where a payment's money comes from, what a ledger chain
 * came to). No clock, no randomness, no database: the service passes them in.
 */

/** Where a payment comes from when the wallet in the intent's currency cannot cover it. */
export const FUNDING_CURRENCY_DEFAULT = 'CNY';
/** Payment limits count this currency only (as P2P transfers do). */
export const LIMITS_CURRENCY = 'CNY';

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

export function amountJson(amountMinor: bigint, currency: string) {
  if (!isCurrencyCode(currency)) throw new Error(`unknown currency ${currency}`);
  return { amount: formatAmount(amountMinor, currency), currency };
}

/** What a webhook says about an intent: enough to fulfil an order without another call. */
export function intentEventData(intent: PaymentIntent, changes: Partial<PaymentIntent> = {}) {
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

export function refundEventData(
  r: RefundRow,
  status: Refund['status'],
  failureCode: string | null,
) {
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

/**
 * A one-time QR reference: 20 characters of 32 symbols (100 bits), unguessable when
 * `randomBelow` is a cryptographic source of integers in [0, n).
 */
export function newReference(randomBelow: (n: number) => number): string {
  let reference = '';
  for (let i = 0; i < 20; i++) reference += REFERENCE_ALPHABET[randomBelow(32)];
  return reference;
}

/** Why an intent that could not be claimed is not payable. */
export function notPayable(intent: PaymentIntent, nowMs: number): MerchantFailure {
  if (intent.status === 'requires_payment' && intent.expiresAt.getTime() <= nowMs) {
    return failure('payment_intent_expired');
  }
  return failure('payment_intent_not_payable');
}

/** A business outcome that ends a transaction early, rolling it back. */
export class Refusal extends Error {
  constructor(readonly outcome: MerchantFailure | WalletFailure | IdentityFailure) {
    super(outcome.code);
  }
}

/** Links each command to the next, so that the whole chain moves or nothing does. */
export function linked(commands: readonly TransferCommand[]): TransferCommand[] {
  return commands.map((c, i) =>
    i < commands.length - 1 ? { ...c, flags: { ...c.flags, linked: true } } : c,
  );
}

/** What a chain came to: the failing command's own code, or the first one's success. */
export function chainCode(results: readonly TransferResult[]): TransferResultCode | undefined {
  const failed = results.find(
    (r) => r.code !== 'ok' && r.code !== 'exists' && r.code !== 'linked_event_failed',
  );
  return failed?.code ?? results[0]?.code;
}

/** How the ledger answers a hold that can no longer be posted or voided by us: it is gone. */
export function holdGone(code: TransferResultCode | undefined): boolean {
  return code === 'pending_transfer_expired' || code === 'pending_transfer_already_voided';
}

/** Why an intent that could not be claimed for capture cannot be captured. */
export function notCapturable(intent: PaymentIntent | undefined): MerchantFailure {
  return intent?.status === 'canceled' && intent.cancellationReason === 'authorization_expired'
    ? failure('payment_authorization_expired')
    : failure('payment_intent_not_capturable');
}

/** Where a confirmed payment's money comes from. */
export type Funding =
  | { readonly kind: 'wallet' }
  | { readonly kind: 'conversion'; readonly quote: FxQuote; readonly sourceAccountId: string };

/** A claimed intent being paid (or held): everything its ledger chain needs. */
export interface ClaimedIntent {
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
export function spentOf(c: ClaimedIntent): {
  readonly amountMinor: bigint;
  readonly currency: string;
} {
  return c.funding.kind === 'conversion'
    ? c.funding.quote.sell
    : { amountMinor: c.intent.amountMinor, currency: c.intent.currency };
}

/**
 * Which wallet pays, by currency: the one asked for; else the wallet in the intent's currency
 * when it covers the whole amount now (`availableMinor`), and the default funding currency
 * when it does not. Manual-capture intents are paid in their own currency only.
 */
export function fundingCurrencyOf(
  intent: PaymentIntent,
  payFromCurrency: string | undefined,
  availableMinor: bigint | undefined,
): { readonly ok: true; readonly currency: string } | MerchantFailure {
  if (intent.captureMethod === 'manual') {
    if (payFromCurrency === undefined || payFromCurrency === intent.currency) {
      return { ok: true, currency: intent.currency };
    }
    return failure('payment_intent_conversion_unsupported', { param: 'pay_from_currency' });
  }
  if (payFromCurrency !== undefined) return { ok: true, currency: payFromCurrency };
  return {
    ok: true,
    currency:
      availableMinor !== undefined && availableMinor >= intent.amountMinor
        ? intent.currency
        : FUNDING_CURRENCY_DEFAULT,
  };
}

/** What a paid intent's payer events say beyond the payment: what a conversion cost. */
export function fundingEventData(funding: Funding): Readonly<Record<string, string>> {
  return funding.kind === 'conversion'
    ? {
        paid_from_amount_minor: String(funding.quote.sell.amountMinor),
        paid_from_currency: funding.quote.sell.currency,
      }
    : {};
}
