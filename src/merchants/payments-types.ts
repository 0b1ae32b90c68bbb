import type { IdentityFailure } from '../identity/index.js';
import type { Money } from '../money/index.js';
import type { WalletFailure } from '../wallet/index.js';
import type { MerchantFailure } from './codes.js';

/** The data of payment intents and refunds, as the payments service and its parts share them. */
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
