import type { MoneyWire } from '../../../shared/money';

/**
 * What the pay screens read from the API: a scan (`POST /v1/scans`), and what paying returns —
 * a payment intent (merchants) or a transfer (people).
 */
export interface ScannedMerchant {
  readonly id: string;
  readonly name_zh: string;
  readonly name_en: string;
  readonly city: string;
}

export interface Scanned {
  readonly kind: 'merchant' | 'payment_intent' | 'person';
  readonly merchant: ScannedMerchant | null;
  readonly person: { readonly id: string; readonly display_name: string } | null;
  readonly payment_intent: string | null;
  /** Fixed by a dynamic code; null when the payer types it. */
  readonly amount: MoneyWire | null;
  readonly currency: string;
  readonly description: string | null;
  readonly expires_at: string | null;
  readonly conversion_needed: boolean;
}

export interface PaymentIntent {
  readonly id: string;
  readonly merchant_id: string;
  readonly amount: MoneyWire;
  readonly description: string | null;
  readonly status: string;
  readonly conversion: {
    readonly from: MoneyWire;
    readonly rate: string;
    readonly fx_quote_id: string;
  } | null;
  readonly paid_at: string | null;
  readonly created_at: string;
}

export interface Transfer {
  readonly id: string;
  readonly payee_id: string;
  readonly amount: MoneyWire;
  readonly note: string | null;
  readonly status: string;
  readonly created_at: string;
  readonly completed_at: string | null;
}

export interface FxQuote {
  readonly id: string;
  readonly sell: MoneyWire;
  readonly buy: MoneyWire;
  readonly rate: string;
  readonly expires_at: string;
}

/** The merchant's name in the UI language, or the person's display name. */
export function payeeName(scanned: Scanned, language: string): string {
  if (scanned.person !== null) return scanned.person.display_name;
  if (scanned.merchant === null) return '';
  return language.startsWith('zh') ? scanned.merchant.name_zh : scanned.merchant.name_en;
}

/** Who a step-up confirmation is bound to: the merchant id, or the person's user id. */
export function payeeId(scanned: Scanned): string {
  return scanned.person?.id ?? scanned.merchant?.id ?? '';
}
