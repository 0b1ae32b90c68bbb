import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  intentCode,
  personalCode,
  scan,
  scanIntent,
  type PaymentIntent,
  type Merchant,
  type ScanDeps,
} from '../../../merchants/index.js';
import { limits } from '../../../limits.js';
import { isCurrencyCode, parseAmount } from '../../../money/index.js';
import { authOf, merchantOf } from '../../auth.js';
import { positiveMoney } from '../../money-problems.js';
import { ProblemError } from '../../problem.js';
import { typed } from '../identity/shared.js';
import {
  DEBIT_CODES,
  LIMIT_CODES,
  MoneySchema,
  moneyJson,
  STEP_UP_CODES,
} from '../wallet/shared.js';
import {
  errorResponses,
  IntentId,
  intentJson,
  IntentSchema,
  ListQuery,
  MerchantId,
  merchantProblem,
  refundJson,
  RefundSchema,
  CodeFormatQuery,
  sentAsImage,
  type MerchantRouteDeps,
  API_KEY_ERRORS,
} from './shared.js';

const ById = Type.Object({ id: IntentId }, { additionalProperties: false });

const CreateIntent = Type.Object(
  {
    amount: MoneySchema,
    description: Type.Optional(Type.String({ maxLength: 200 })),
    metadata: Type.Optional(
      Type.Record(
        Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9_.-]+$' }),
        Type.String({ maxLength: limits.paymentIntentMetadataValueLengthMax }),
        { maxProperties: limits.paymentIntentMetadataKeysMax },
      ),
    ),
    expires_in: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: limits.paymentIntentTtlMaxSeconds,
        default: limits.paymentIntentTtlDefaultSeconds,
        description: 'Seconds until the payment (and its QR code) expires; 5 minutes by default.',
      }),
    ),
    capture_method: Type.Optional(
      Type.Union([Type.Literal('automatic'), Type.Literal('manual')], {
        default: 'automatic',
        description: `manual: paying holds the amount on the payer’s wallet (for ${
          limits.paymentAuthorizationTtlSeconds / 86_400
        } days at most) until you capture or cancel it.`,
      }),
    ),
  },
  { additionalProperties: false },
);

const CaptureBody = Type.Object(
  {
    amount: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 32,
        description:
          'In the payment’s currency, at most the amount held; the whole hold when left out. The rest goes back to the payer.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Exactly one of the two: the schema's property counts say so, so Ajv refuses both or neither. */
const ScanBody = Type.Object(
  {
    payload: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1024, description: 'A scanned QR payload.' }),
    ),
    payment_intent: Type.Optional(IntentId),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description:
      'Exactly one of `payload` (a scanned QR payload) and `payment_intent` (the intent of a payment link, `/pay/{id}`).',
  },
);

/** A positive amount in `currency`, or a validation problem naming `param`. */
function positiveAmount(text: string, currency: string, param: string): bigint {
  if (!isCurrencyCode(currency)) throw new Error(`unknown currency ${currency}`);
  const parsed = parseAmount(text, currency);
  if (!parsed.ok || parsed.amountMinor <= 0n) {
    throw new ProblemError('validation_failed', {
      param,
      detail: `The amount must be a positive decimal in ${currency}.`,
    });
  }
  return parsed.amountMinor;
}

/**
 * Payment intents (merchant API keys create, read and cancel them; signed-in users pay them),
 * refunds (merchant API keys), and scans (users: what a QR payload would pay).
 */
export function paymentRoutes(app: FastifyInstance, deps: MerchantRouteDeps): void {
  const api = typed(app);
  const json = (intent: PaymentIntent, merchant: Merchant) =>
    intentJson(intent, {
      paymentLink: `${deps.publicUrl}/pay/${intent.id}`,
      qrPayload: intentCode(merchant, intent),
    });

  api.post(
    '/v1/payment-intents',
    {
      config: { auth: 'merchant', scope: 'payment_intents:write', idempotency: 'optional' },
      schema: {
        tags: ['merchant API'],
        summary: 'Ask to be paid: a payment link and a dynamic QR code',
        body: CreateIntent,
        response: {
          201: IntentSchema,
          ...errorResponses(
            ...API_KEY_ERRORS,
            'merchant_not_active',
            'payment_intent_currency_invalid',
          ),
        },
      },
    },
    async (request, reply) => {
      const { merchant } = merchantOf(request);
      const body = request.body;
      const result = await deps.payments.createIntent(merchant, {
        amount: positiveMoney(body.amount, 'amount'),
        description: body.description,
        metadata: body.metadata ?? {},
        expiresInSeconds: body.expires_in ?? limits.paymentIntentTtlDefaultSeconds,
        captureMethod: body.capture_method ?? 'automatic',
      });
      if (!result.ok) throw merchantProblem(result);
      return reply.code(201).send(json(result.intent, merchant));
    },
  );

  api.get(
    '/v1/payment-intents',
    {
      config: { auth: 'merchant', scope: 'payment_intents:read' },
      schema: {
        tags: ['merchant API'],
        summary: 'The merchant’s payment intents, newest first',
        querystring: ListQuery,
        response: {
          200: Type.Object({ data: Type.Array(IntentSchema), has_more: Type.Boolean() }),
          ...errorResponses(...API_KEY_ERRORS),
        },
      },
    },
    async (request) => {
      const { merchant } = merchantOf(request);
      const page = await deps.payments.listIntents(merchant.id, {
        limit: request.query.limit ?? limits.pageSizeDefault,
        startingAfter: request.query.starting_after,
      });
      return { data: page.data.map((i) => json(i, merchant)), has_more: page.hasMore };
    },
  );

  api.get(
    '/v1/payment-intents/:id',
    {
      config: { auth: 'merchant', scope: 'payment_intents:read' },
      schema: {
        tags: ['merchant API'],
        summary: 'One of the merchant’s payment intents',
        params: ById,
        response: {
          200: IntentSchema,
          ...errorResponses(...API_KEY_ERRORS, 'payment_intent_not_found'),
        },
      },
    },
    async (request) => {
      const { merchant } = merchantOf(request);
      const intent = await deps.payments.getIntent(merchant.id, request.params.id);
      if (intent === undefined) {
        throw merchantProblem({ ok: false, code: 'payment_intent_not_found', param: 'id' });
      }
      return json(intent, merchant);
    },
  );

  api.post(
    '/v1/payment-intents/:id/cancel',
    {
      config: { auth: 'merchant', scope: 'payment_intents:write' },
      schema: {
        tags: ['merchant API'],
        summary: 'Cancel an unpaid payment intent, or release the hold of one awaiting capture',
        params: ById,
        response: {
          200: IntentSchema,
          ...errorResponses(
            ...API_KEY_ERRORS,
            'payment_intent_not_found',
            'payment_intent_not_cancelable',
          ),
        },
      },
    },
    async (request) => {
      const { merchant } = merchantOf(request);
      const result = await deps.payments.cancelIntent(merchant.id, request.params.id);
      if (!result.ok) throw merchantProblem(result);
      return json(result.intent, merchant);
    },
  );

  api.post(
    '/v1/payment-intents/:id/capture',
    {
      config: { auth: 'merchant', scope: 'payment_intents:write', idempotency: 'required' },
      schema: {
        tags: ['merchant API'],
        summary: 'Capture a held payment (manual capture), in full or in part',
        description:
          'Takes `amount` (all of `amount_capturable` by default) from the hold on the payer’s wallet; the rest goes back to the payer. The fee is on the captured amount.',
        params: ById,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: CaptureBody,
        response: {
          200: IntentSchema,
          ...errorResponses(
            ...API_KEY_ERRORS,
            'payment_intent_not_found',
            'payment_intent_not_capturable',
            'capture_exceeds_authorization',
            'payment_authorization_expired',
            'wallet_frozen',
          ),
        },
      },
    },
    async (request) => {
      const { merchant } = merchantOf(request);
      const text = request.body.amount;
      const result = await deps.payments.capture(
        merchant.id,
        request.params.id,
        text === undefined ? undefined : positiveAmount(text, merchant.currency, 'amount'),
      );
      if (!result.ok) throw merchantProblem(result);
      return json(result.intent, merchant);
    },
  );

  api.post(
    '/v1/payment-intents/:id/confirm',
    {
      config: { auth: 'user', idempotency: 'required' },
      schema: {
        tags: ['payments'],
        summary: 'Pay a payment intent from the wallet',
        params: ById,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: Type.Object(
          {
            confirmation: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: limits.stepUpTokenLengthMax,
                description: 'From POST /v1/me/confirmations (payee: the merchant id).',
              }),
            ),
            pay_from_currency: Type.Optional(
              Type.String({
                pattern: '^[A-Z]{3}$',
                description:
                  'Pay from your wallet in this currency: the whole amount is converted at the current rate in the same transaction. By default the wallet in the payment’s currency, or CNY when that one cannot cover it.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: IntentSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'payment_intent_not_found',
            'merchant_not_active',
            'payment_intent_expired',
            'payment_intent_not_payable',
            ...STEP_UP_CODES,
            ...LIMIT_CODES,
            ...DEBIT_CODES,
            'payment_intent_conversion_unsupported',
            'currency_not_enabled',
            'fx_rate_unavailable',
            'fx_amount_too_large',
          ),
        },
      },
    },
    async (request) => {
      const result = await deps.payments.confirm(
        authOf(request).user.id,
        request.params.id,
        request.body.confirmation,
        { payFromCurrency: request.body.pay_from_currency },
      );
      if (!result.ok) throw merchantProblem(result);
      return json(result.intent, result.merchant);
    },
  );

  api.get(
    '/v1/me/collection-code',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['payments'],
        summary: 'My personal collection code: others scan it and pay me the amount they type',
        querystring: CodeFormatQuery,
        response: {
          200: Type.Object(
            { payload: Type.String() },
            { description: 'JSON; with format=svg or png the image itself.' },
          ),
          ...errorResponses('unauthenticated', 'contact_not_verified'),
        },
      },
    },
    async (request, reply) => {
      const verified = await deps.identity.identity.requireVerified(authOf(request).user.id);
      if (!verified.ok) throw merchantProblem(verified);
      const payload = personalCode(verified.user);
      if (await sentAsImage(reply, payload, request.query.format)) return reply;
      return { payload };
    },
  );

  api.post(
    '/v1/merchant-payments',
    {
      config: { auth: 'user', idempotency: 'required' },
      schema: {
        tags: ['payments'],
        summary: 'Pay a merchant’s static code: the payer types the amount',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: Type.Object(
          {
            merchant: MerchantId,
            amount: MoneySchema,
            note: Type.Optional(Type.String({ maxLength: 200 })),
            confirmation: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: limits.stepUpTokenLengthMax,
                description: 'From POST /v1/me/confirmations (payee: the merchant id).',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: IntentSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'merchant_not_found',
            'merchant_not_active',
            'payment_intent_currency_invalid',
            ...STEP_UP_CODES,
            ...LIMIT_CODES,
            ...DEBIT_CODES,
          ),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await deps.payments.payMerchant(authOf(request).user.id, {
        merchantId: body.merchant,
        amount: positiveMoney(body.amount, 'amount'),
        note: body.note,
        confirmation: body.confirmation,
      });
      if (!result.ok) throw merchantProblem(result);
      return reply.code(201).send(json(result.intent, result.merchant));
    },
  );

  api.post(
    '/v1/scans',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['payments'],
        summary: 'What a scanned QR payload, or a payment link’s intent, would pay',
        description:
          'Send exactly one of `payload` (a scanned code) and `payment_intent` (the id of a payment link, `/pay/{id}`). A payment link is answered as the scan of its dynamic code, with the same problems; an intent reserved for another payer is `qr_unknown`.',
        body: ScanBody,
        response: {
          200: Type.Object(
            {
              kind: Type.Union([
                Type.Literal('merchant'),
                Type.Literal('payment_intent'),
                Type.Literal('person'),
              ]),
              merchant: Type.Union([
                Type.Object(
                  {
                    id: MerchantId,
                    name_zh: Type.String(),
                    name_en: Type.String(),
                    city: Type.String(),
                  },
                  { additionalProperties: false },
                ),
                Type.Null(),
              ]),
              person: Type.Union(
                [
                  Type.Object(
                    { id: Type.String(), display_name: Type.String() },
                    { additionalProperties: false },
                  ),
                  Type.Null(),
                ],
                { description: 'A user’s personal code: pay them with POST /v1/transfers.' },
              ),
              payment_intent: Type.Union([IntentId, Type.Null()]),
              amount: Type.Union([MoneySchema, Type.Null()], {
                description: 'Fixed by a dynamic code; null when the payer types it.',
              }),
              currency: Type.String(),
              description: Type.Union([Type.String(), Type.Null()]),
              expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
              conversion_needed: Type.Boolean({
                description:
                  'Your wallet in this currency cannot cover the fixed amount now: paying converts it from another wallet (see `pay_from_currency`).',
              }),
            },
            { title: 'Scan', additionalProperties: false },
          ),
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'qr_malformed',
            'qr_crc_mismatch',
            'qr_missing_field',
            'qr_invalid_field',
            'qr_unknown',
            'qr_expired',
            'qr_used',
            'merchant_not_active',
          ),
        },
      },
    },
    async (request) => {
      const scanDeps: ScanDeps = {
        merchant: (id) => deps.merchants.get(id),
        person: async (id) => {
          const user = await deps.identity.identity.getUser(id);
          return user?.contactVerified === true
            ? { id: user.id, displayName: user.displayName }
            : undefined;
        },
        payments: deps.payments,
        payerId: authOf(request).user.id,
        nowMs: deps.clock.nowMs(),
      };
      const { payload, payment_intent: intentId } = request.body;
      const scanned =
        payload === undefined
          ? await scanIntent(intentId ?? '', scanDeps)
          : await scan(payload, scanDeps);
      if (!scanned.ok) throw merchantProblem(scanned);
      if (scanned.kind === 'person') {
        return {
          kind: 'person' as const,
          merchant: null,
          person: { id: scanned.person.id, display_name: scanned.person.displayName },
          payment_intent: null,
          amount: null,
          currency: 'CNY',
          description: null,
          expires_at: null,
          conversion_needed: false,
        };
      }
      const m = scanned.merchant;
      const merchant = { id: m.id, name_zh: m.nameZh, name_en: m.nameEn, city: m.city };
      if (scanned.kind === 'merchant') {
        return {
          kind: 'merchant' as const,
          merchant,
          person: null,
          payment_intent: null,
          amount: null,
          currency: m.currency,
          description: null,
          expires_at: null,
          conversion_needed: false,
        };
      }
      const i = scanned.intent;
      return {
        kind: 'payment_intent' as const,
        merchant,
        person: null,
        payment_intent: i.id,
        amount: moneyJson(i.amountMinor, i.currency),
        currency: i.currency,
        description: i.description,
        expires_at: i.expiresAt.toISOString(),
        conversion_needed: await deps.payments.conversionNeeded(authOf(request).user.id, i),
      };
    },
  );

  api.post(
    '/v1/refunds',
    {
      config: { auth: 'merchant', scope: 'refunds:write', idempotency: 'required' },
      schema: {
        tags: ['merchant API'],
        summary: 'Refund a payment in full or in part (several times, never more than was paid)',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: Type.Object(
          {
            payment_intent: IntentId,
            amount: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 32,
                description: 'In the payment’s currency; the whole remainder when left out.',
              }),
            ),
            reason: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: RefundSchema,
          ...errorResponses(
            ...API_KEY_ERRORS,
            'payment_intent_not_found',
            'payment_intent_not_refundable',
            'refund_exceeds_payment',
            'refund_window_closed',
            'merchant_insufficient_funds',
          ),
        },
      },
    },
    async (request, reply) => {
      const { merchant } = merchantOf(request);
      const text = request.body.amount;
      const amountMinor =
        text === undefined ? undefined : positiveAmount(text, merchant.currency, 'amount');
      const result = await deps.payments.refund(merchant, {
        paymentIntentId: request.body.payment_intent,
        amountMinor,
        reason: request.body.reason,
      });
      if (!result.ok) throw merchantProblem(result);
      return reply.code(201).send(refundJson(result.refund));
    },
  );

  api.get(
    '/v1/refunds',
    {
      config: { auth: 'merchant', scope: 'refunds:read' },
      schema: {
        tags: ['merchant API'],
        summary: 'The merchant’s refunds, newest first',
        querystring: Type.Composite(
          [ListQuery, Type.Object({ payment_intent: Type.Optional(IntentId) })],
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(RefundSchema), has_more: Type.Boolean() }),
          ...errorResponses(...API_KEY_ERRORS),
        },
      },
    },
    async (request) => {
      const { merchant } = merchantOf(request);
      const page = await deps.payments.listRefunds(merchant.id, {
        limit: request.query.limit ?? limits.pageSizeDefault,
        startingAfter: request.query.starting_after,
        paymentIntentId: request.query.payment_intent,
      });
      return { data: page.data.map(refundJson), has_more: page.hasMore };
    },
  );

  api.get(
    '/v1/refunds/:id',
    {
      config: { auth: 'merchant', scope: 'refunds:read' },
      schema: {
        tags: ['merchant API'],
        summary: 'One of the merchant’s refunds',
        params: Type.Object(
          { id: Type.String({ pattern: '^ref_[0-9A-HJKMNP-TV-Z]{26}$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: RefundSchema,
          ...errorResponses(...API_KEY_ERRORS, 'refund_not_found'),
        },
      },
    },
    async (request) => {
      const { merchant } = merchantOf(request);
      const refund = await deps.payments.getRefund(merchant.id, request.params.id);
      if (refund === undefined) {
        throw merchantProblem({ ok: false, code: 'refund_not_found', param: 'id' });
      }
      return refundJson(refund);
    },
  );
}
