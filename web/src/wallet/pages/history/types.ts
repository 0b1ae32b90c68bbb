import type { MoneyWire } from '../../../shared/money';

/** The history as `GET /v1/transactions` and `GET /v1/transactions/{id}` return it. */
export const ENTRY_TYPES = [
  'p2p',
  'topup',
  'withdrawal',
  'conversion',
  'merchant_payment',
  'refund',
] as const;
export const ENTRY_STATUSES = [
  'processing',
  'pending',
  'held',
  'releasing',
  'cancelling',
  'completed',
  'cancelled',
  'failed',
] as const;
export const DIRECTIONS = ['incoming', 'outgoing'] as const;

export type EntryType = (typeof ENTRY_TYPES)[number];
export type EntryStatus = (typeof ENTRY_STATUSES)[number];
export type Direction = (typeof DIRECTIONS)[number];

export interface HistoryEntry {
  readonly id: string;
  readonly type: EntryType;
  readonly direction: Direction;
  readonly counterparty_id: string | null;
  readonly amount: MoneyWire;
  readonly status: EntryStatus;
  readonly note: string | null;
  readonly category: string;
  readonly created_at: string;
  readonly completed_at: string | null;
  /** The merchant's names, for merchant payments and refunds. */
  readonly merchant_name: { readonly zh: string; readonly en: string } | null;
}

/** The merchant of a merchant payment or refund, in the UI language; undefined for the rest. */
export function merchantNameOf(entry: HistoryEntry, language: string): string | undefined {
  const names = entry.merchant_name;
  if (names === null) return undefined;
  return language.startsWith('zh') ? names.zh : names.en;
}

export interface HistoryPage {
  readonly data: readonly HistoryEntry[];
  readonly has_more: boolean;
}

export interface TimelineStep {
  readonly status: EntryStatus | 'created';
  readonly at: string;
  readonly failure_code: string | null;
}

export interface Receipt extends HistoryEntry {
  readonly failure_code: string | null;
  readonly timeline: readonly TimelineStep[];
  readonly transfer: {
    readonly payer_id: string;
    readonly payee_id: string;
    readonly arrival: 'instant' | 'delay_2h' | 'delay_24h';
    readonly hold_reason: 'delay_2h' | 'delay_24h' | 'risk' | null;
    readonly release_at: string | null;
  } | null;
  readonly card: { readonly id: string; readonly brand: string; readonly last4: string } | null;
  readonly conversion: {
    readonly quote_id: string;
    readonly sell: MoneyWire;
    readonly buy: MoneyWire;
  } | null;
  /** A merchant payment's or refund's merchant, and the payment it paid or refunded. */
  readonly merchant: {
    readonly id: string;
    readonly name_zh: string;
    readonly name_en: string;
    readonly payment_intent_id: string;
    readonly refund_id: string | null;
  } | null;
}

/** The merchant's name in the user's language: Chinese for any zh locale, else English. */
export function merchantName(
  merchant: { readonly name_zh: string; readonly name_en: string },
  language: string,
): string {
  return language.toLowerCase().startsWith('zh') ? merchant.name_zh : merchant.name_en;
}

/**
 * The `history` key of a status label: a merchant payment that is `held` waits for the merchant
 * to capture it (an authorization), not for a delayed transfer to arrive.
 */
export function statusKey(type: EntryType, status: EntryStatus | 'created'): string {
  return type === 'merchant_payment' && status === 'held'
    ? 'status.held_merchant_payment'
    : `status.${status}`;
}

/** The amount as the user sees it: negative when money left the wallet. */
export function signedAmount(entry: Pick<HistoryEntry, 'amount' | 'direction'>): MoneyWire {
  return entry.direction === 'outgoing'
    ? { ...entry.amount, amount: `-${entry.amount.amount}` }
    : entry.amount;
}

export function dateTime(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(iso),
  );
}

export function statusBadgeClass(status: string): string {
  if (status === 'completed') return 'badge badge-ok';
  if (status === 'failed' || status === 'cancelled') return 'badge badge-error';
  return 'badge badge-warn';
}
