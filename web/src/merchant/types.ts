import type { MoneyWire } from '../shared/money';

/** The API's shapes that the merchant portal reads, as the routes answer them. */

export type MerchantStatus = 'pending_review' | 'active' | 'suspended';

export interface Merchant {
  readonly id: string;
  readonly name_zh: string;
  readonly name_en: string;
  readonly mcc: string;
  readonly city: string;
  readonly country: string;
  readonly currency: string;
  readonly settlement_card_id: string;
  readonly fee_rate: string;
  readonly status: MerchantStatus;
  readonly created_at: string;
  readonly activated_at: string | null;
}

export const INTENT_STATUSES = [
  'requires_payment',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
] as const;
export type IntentStatus = (typeof INTENT_STATUSES)[number];

export interface PaymentIntent {
  readonly id: string;
  readonly merchant_id: string;
  readonly amount: MoneyWire;
  readonly description: string | null;
  readonly capture_method: 'automatic' | 'manual';
  readonly status: IntentStatus;
  readonly amount_received: MoneyWire;
  readonly amount_refunded: MoneyWire;
  readonly fee: MoneyWire;
  readonly amount_capturable: MoneyWire;
  readonly capture_before: string | null;
  readonly payer_id: string | null;
  readonly expires_at: string;
  readonly created_at: string;
  readonly paid_at: string | null;
  readonly payment_link: string;
  readonly qr_payload: string;
}

export interface Refund {
  readonly id: string;
  readonly payment_intent: string;
  readonly amount: MoneyWire;
  readonly reason: string | null;
  readonly status: 'processing' | 'succeeded' | 'failed';
  readonly failure_code: string | null;
  readonly created_at: string;
}

export interface ListPage<T> {
  readonly data: T[];
  readonly has_more: boolean;
}

interface Totals {
  readonly gross: MoneyWire;
  readonly fees: MoneyWire;
  readonly refunds: MoneyWire;
  readonly net: MoneyWire;
  readonly payment_count: number;
  readonly refund_count: number;
}

export interface SalesDay extends Totals {
  readonly day: string;
}

export interface SalesSummary {
  readonly currency: string;
  readonly today: SalesDay;
  readonly month: Totals & { readonly month: string };
  readonly days: readonly SalesDay[];
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly mode: 'test' | 'live';
  readonly last4: string;
  readonly scopes: string[];
  readonly created_at: string;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
}

export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly event_types: string[];
  readonly status: 'enabled' | 'disabled' | 'failing';
  readonly disabled_reason: string | null;
  readonly last_success_at: string | null;
  readonly created_at: string;
}

export interface WebhookDelivery {
  readonly id: string;
  readonly event_type: string;
  readonly endpoint_id: string;
  readonly state: 'pending' | 'succeeded' | 'failed';
  readonly attempt_count: number;
  readonly last_status: number | null;
  readonly last_error: string | null;
  readonly created_at: string;
}

export interface Settlement {
  readonly id: string;
  readonly day: string;
  readonly gross: MoneyWire;
  readonly fees: MoneyWire;
  readonly refunds: MoneyWire;
  readonly net: MoneyWire;
  readonly status: 'empty' | 'processing' | 'pending' | 'paid' | 'failed';
  readonly failure_code: string | null;
}

export interface Card {
  readonly id: string;
  readonly brand: string;
  readonly last4: string;
}
