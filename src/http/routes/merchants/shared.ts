import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import QRCode from 'qrcode';
import type { Webhooks } from '../../../events/index.js';
import type { Clock } from '../../../lib/clock.js';
import { identityCodes, type IdentityServices } from '../../../identity/index.js';
import {
  merchantCodes,
  type Charges,
  type Merchant,
  type Merchants,
  type PaymentIntent,
  type Payments,
  type Refund,
  type Settlements,
} from '../../../merchants/index.js';
import { formatRate, walletCodes, type Funding } from '../../../wallet/index.js';
import { codeProblems } from '../../code-problems.js';
import { MoneySchema, moneyJson, Timestamp } from '../wallet/shared.js';

/** What the merchant routes share: their services, schemas and the mapping of outcomes. */
export interface MerchantRouteDeps {
  readonly merchants: Merchants;
  readonly payments: Payments;
  readonly charges: Charges;
  readonly webhooks: Webhooks;
  readonly settlements: Settlements;
  readonly identity: IdentityServices;
  readonly funding: Funding;
  readonly clock: Clock;
  /** Where the API is reached from outside, for payment links. */
  readonly publicUrl: string;
}

const problems = codeProblems({ ...merchantCodes, ...walletCodes, ...identityCodes });
export const merchantProblem = problems.problem;

/** What every merchant API route can answer about its key. */
export const API_KEY_ERRORS = [
  'api_key_required',
  'api_key_invalid',
  'api_key_scope_missing',
] as const;
export const errorResponses = problems.errorResponses;

export const MerchantId = Type.String({ pattern: '^mch_[0-9A-HJKMNP-TV-Z]{26}$' });
export const IntentId = Type.String({ pattern: '^pi_[0-9A-HJKMNP-TV-Z]{26}$' });

export const MerchantSchema = Type.Object(
  {
    id: MerchantId,
    name_zh: Type.String(),
    name_en: Type.String(),
    mcc: Type.String(),
    city: Type.String(),
    country: Type.String(),
    currency: Type.String(),
    settlement_card_id: Type.String(),
    fee_rate: Type.String({ description: 'The merchant discount rate in percent, e.g. "0.60".' }),
    status: Type.Union([
      Type.Literal('pending_review'),
      Type.Literal('active'),
      Type.Literal('suspended'),
    ]),
    created_at: Timestamp,
    activated_at: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'Merchant', additionalProperties: false },
);

export function merchantJson(m: Merchant): Static<typeof MerchantSchema> {
  return {
    id: m.id,
    name_zh: m.nameZh,
    name_en: m.nameEn,
    mcc: m.mcc,
    city: m.city,
    country: m.country,
    currency: m.currency,
    settlement_card_id: m.settlementCardId,
    fee_rate: (m.feeRateBp / 100).toFixed(2),
    status: m.status,
    created_at: m.createdAt.toISOString(),
    activated_at: m.activatedAt?.toISOString() ?? null,
  };
}

export const IntentSchema = Type.Object(
  {
    id: IntentId,
    merchant_id: MerchantId,
    amount: MoneySchema,
    description: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.String()),
    capture_method: Type.Union([Type.Literal('automatic'), Type.Literal('manual')]),
    status: Type.Union([
      Type.Literal('requires_payment'),
      Type.Literal('processing'),
      Type.Literal('requires_capture'),
      Type.Literal('succeeded'),
      Type.Literal('canceled'),
    ]),
    amount_received: MoneySchema,
    amount_refunded: MoneySchema,
    fee: MoneySchema,
    amount_capturable: MoneySchema,
    capture_before: Type.Union([Timestamp, Type.Null()], {
      description: 'Manual capture: when the hold runs out and the payment is cancelled.',
    }),
    conversion: Type.Union(
      [
        Type.Object(
          {
            from: MoneySchema,
            rate: Type.String({
              description:
                'Units of the payment’s currency one unit of `from` bought, spread included; rounded down to 10 decimals for display (the amounts are exact).',
            }),
            fx_quote_id: Type.String(),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'Paid from the payer’s wallet in another currency, converted at this rate.' },
    ),
    payer_id: Type.Union([Type.String(), Type.Null()]),
    expires_at: Timestamp,
    created_at: Timestamp,
    paid_at: Type.Union([Timestamp, Type.Null()]),
    payment_link: Type.String({ description: 'A page where the user pays (the wallet app).' }),
    qr_payload: Type.String({ description: 'The dynamic EMVCo QR payload of this payment.' }),
  },
  { title: 'PaymentIntent', additionalProperties: false },
);

export function intentJson(
  i: PaymentIntent,
  extra: { readonly paymentLink: string; readonly qrPayload: string },
): Static<typeof IntentSchema> {
  return {
    id: i.id,
    merchant_id: i.merchantId,
    amount: moneyJson(i.amountMinor, i.currency),
    description: i.description,
    metadata: { ...i.metadata },
    capture_method: i.captureMethod,
    status: i.status,
    amount_received: moneyJson(i.amountReceivedMinor, i.currency),
    amount_refunded: moneyJson(i.amountRefundedMinor, i.currency),
    fee: moneyJson(i.feeMinor, i.currency),
    amount_capturable: moneyJson(i.status === 'requires_capture' ? i.amountMinor : 0n, i.currency),
    capture_before: i.authorizationExpiresAt?.toISOString() ?? null,
    conversion:
      i.conversion === null
        ? null
        : {
            from: moneyJson(i.conversion.from.amountMinor, i.conversion.from.currency),
            rate: formatRate(i.conversion.rate),
            fx_quote_id: i.conversion.quoteId,
          },
    payer_id: i.payerId,
    expires_at: i.expiresAt.toISOString(),
    created_at: i.createdAt.toISOString(),
    paid_at: i.paidAt?.toISOString() ?? null,
    payment_link: extra.paymentLink,
    qr_payload: extra.qrPayload,
  };
}

export const RefundSchema = Type.Object(
  {
    id: Type.String({ pattern: '^ref_[0-9A-HJKMNP-TV-Z]{26}$' }),
    payment_intent: IntentId,
    amount: MoneySchema,
    reason: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([
      Type.Literal('processing'),
      Type.Literal('succeeded'),
      Type.Literal('failed'),
    ]),
    failure_code: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
  },
  { title: 'Refund', additionalProperties: false },
);

export function refundJson(r: Refund): Static<typeof RefundSchema> {
  return {
    id: r.id,
    payment_intent: r.paymentIntentId,
    amount: moneyJson(r.amountMinor, r.currency),
    reason: r.reason,
    status: r.status,
    failure_code: r.failureCode,
    created_at: r.createdAt.toISOString(),
  };
}

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    starting_after: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const CodeFormatQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('svg'), Type.Literal('png')], {
        default: 'json',
        description: 'json: the payload text; svg or png: the QR image.',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Sends a collection code as a QR image when one was asked for, and says whether it did. Images
 * go out as they are: a string or a Buffer skips the route's JSON serializer.
 */
export async function sentAsImage(
  reply: FastifyReply,
  payload: string,
  format: 'json' | 'svg' | 'png' | undefined,
): Promise<boolean> {
  if (format === 'svg') {
    const svg = await QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: 'M' });
    reply.type('image/svg+xml').send(svg);
    return true;
  }
  if (format === 'png') {
    const png = await QRCode.toBuffer(payload, { errorCorrectionLevel: 'M', width: 512 });
    reply.type('image/png').send(png);
    return true;
  }
  return false;
}
