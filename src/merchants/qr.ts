import { currencies, currencyByNumeric, formatAmount, isCurrencyCode } from '../money/index.js';
import { failure } from '../lib/code-spec.js';
import type { MerchantFailure } from './codes.js';
import { decodeMpm, encodeMpm, validateHebaoMpm, type MpmInput } from './emvco.js';
import type { Merchant } from './merchants.js';
import type { PaymentIntent, Payments } from './payments.js';

/**
 * Hebao's collection codes: EMVCo Merchant-Presented payloads whose merchant account template
 * (tag 26) carries Hebao's globally unique id in sub-field 00 and the merchant id in 01. A
 * merchant's static code (`01=11`) leaves the amount to the payer; a payment intent's dynamic
 * code (`01=12`) has the amount and the intent's one-time reference (62-05). A user's personal
 * collection code is a static code of the same shape whose sub-field 01 is the user id: a P2P
 * transfer to that user, with the amount typed by the payer.
 */
export const HEBAO_QR_ID = 'dev.hebao.pay';

function base(merchant: Merchant): MpmInput {
  if (!isCurrencyCode(merchant.currency)) throw new Error(`unknown currency ${merchant.currency}`);
  return {
    merchantAccounts: [{ tag: '26', globallyUniqueId: HEBAO_QR_ID, fields: { '01': merchant.id } }],
    mcc: merchant.mcc,
    currencyNumeric: currencies[merchant.currency].numeric,
    country: merchant.country,
    merchantName: merchant.nameEn,
    merchantCity: merchant.city,
    alternateLanguage: { language: 'zh', name: merchant.nameZh },
  };
}

export function staticCode(merchant: Merchant): string {
  return encodeMpm({ ...base(merchant), initiation: 'static' });
}

/** MCC 4829 (money transfer) and placeholder name and city: EMVCo needs them in ASCII. */
export function personalCode(user: { readonly id: string; readonly displayName: string }): string {
  return encodeMpm({
    merchantAccounts: [{ tag: '26', globallyUniqueId: HEBAO_QR_ID, fields: { '01': user.id } }],
    mcc: '4829',
    currencyNumeric: currencies.CNY.numeric,
    country: 'CN',
    merchantName: 'Hebao user',
    merchantCity: 'China',
    initiation: 'static',
    alternateLanguage: { language: 'zh', name: [...user.displayName].slice(0, 25).join('') },
  });
}

export function intentCode(merchant: Merchant, intent: PaymentIntent): string {
  if (!isCurrencyCode(intent.currency)) throw new Error(`unknown currency ${intent.currency}`);
  return encodeMpm({
    ...base(merchant),
    initiation: 'dynamic',
    amount: formatAmount(intent.amountMinor, intent.currency),
    additionalData: { referenceLabel: intent.reference },
  });
}

export interface Person {
  readonly id: string;
  readonly displayName: string;
}

export type Scanned =
  | { readonly ok: true; readonly kind: 'merchant'; readonly merchant: Merchant }
  | { readonly ok: true; readonly kind: 'person'; readonly person: Person }
  | {
      readonly ok: true;
      readonly kind: 'payment_intent';
      readonly merchant: Merchant;
      readonly intent: PaymentIntent;
    }
  | MerchantFailure;

export interface ScanDeps {
  readonly merchant: (id: string) => Promise<Merchant | undefined>;
  /** A verified user by id; anyone else is undefined. */
  readonly person: (id: string) => Promise<Person | undefined>;
  readonly payments: Payments;
  /** Who is looking: an intent reserved for another payer is unknown to them. */
  readonly payerId: string;
  readonly nowMs: number;
}

/**
 * What a scanned payload would pay. Damaged or malformed payloads get the codec's code; a sound
 * EMVCo code of another network, or one naming no Hebao merchant or intent (or an intent
 * reserved for another payer), is `qr_unknown`; a paid intent's code is `qr_used` and an expired
 * or cancelled one `qr_expired`.
 */
export async function scan(payload: string, deps: ScanDeps): Promise<Scanned> {
  const decoded = decodeMpm(payload);
  if (!decoded.ok) return failure(decoded.code, { detail: decoded.detail, param: 'payload' });
  const isHebao = decoded.payload.merchantAccounts.some((a) => a.globallyUniqueId === HEBAO_QR_ID);
  if (!isHebao) return failure('qr_unknown', { param: 'payload' });
  const checked = validateHebaoMpm(decoded.payload, HEBAO_QR_ID);
  if (!checked.ok) return failure(checked.code, { detail: checked.detail, param: 'payload' });
  const code = checked.payload;
  const payeeId = code.hebaoAccount.fields['01'] ?? '';
  if (payeeId.startsWith('usr_') && code.initiation === 'static') {
    const person = await deps.person(payeeId);
    if (person === undefined) return failure('qr_unknown', { param: 'payload' });
    return { ok: true, kind: 'person', person };
  }
  const merchant = payeeId.startsWith('mch_') ? await deps.merchant(payeeId) : undefined;
  if (merchant === undefined) return failure('qr_unknown', { param: 'payload' });
  if (merchant.status !== 'active') return failure('merchant_not_active');
  if (currencyByNumeric(code.currencyNumeric) === undefined) {
    return failure('qr_invalid_field', { param: 'payload', detail: 'tag 53: unknown currency' });
  }
  if (code.initiation === 'static') return { ok: true, kind: 'merchant', merchant };
  const reference = code.additionalData?.referenceLabel ?? '';
  const intent = await deps.payments.intentByReference(reference);
  if (intent === undefined || intent.merchantId !== merchant.id || !visible(intent, deps)) {
    return failure('qr_unknown', { param: 'payload' });
  }
  return openIntent(merchant, intent, deps.nowMs);
}

/**
 * What a payment link (`/pay/<intent id>`) would pay, answered as the scan of the intent's
 * dynamic code is: links are shared, so anyone signed in may look one up, except an intent
 * reserved for another payer, which is as unknown as one that does not exist.
 */
export async function scanIntent(intentId: string, deps: ScanDeps): Promise<Scanned> {
  const intent = await deps.payments.intentById(intentId);
  if (intent === undefined || !visible(intent, deps)) {
    return failure('qr_unknown', { param: 'payment_intent' });
  }
  const merchant = await deps.merchant(intent.merchantId);
  if (merchant === undefined) return failure('qr_unknown', { param: 'payment_intent' });
  if (merchant.status !== 'active') return failure('merchant_not_active');
  return openIntent(merchant, intent, deps.nowMs);
}

function visible(intent: PaymentIntent, deps: ScanDeps): boolean {
  return intent.reservedFor === null || intent.reservedFor === deps.payerId;
}

function openIntent(merchant: Merchant, intent: PaymentIntent, nowMs: number): Scanned {
  if (intent.status === 'canceled') return failure('qr_expired');
  if (intent.status !== 'requires_payment') return failure('qr_used');
  if (intent.expiresAt.getTime() <= nowMs) return failure('qr_expired');
  return { ok: true, kind: 'payment_intent', merchant, intent };
}
