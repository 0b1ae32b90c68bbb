import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { limits } from '../../../limits.js';
import type { Charge, PaymentCodeDevice } from '../../../merchants/index.js';
import { authOf, merchantOf } from '../../auth.js';
import { positiveMoney } from '../../money-problems.js';
import { contextOf, typed } from '../identity/shared.js';
import { DEBIT_CODES, LIMIT_CODES, MoneySchema, moneyJson, Timestamp } from '../wallet/shared.js';
import {
  errorResponses,
  IntentId,
  MerchantId,
  merchantProblem,
  type MerchantRouteDeps,
  API_KEY_ERRORS,
} from './shared.js';

const DeviceId = Type.String({ pattern: '^pcd_[0-9A-HJKMNP-TV-Z]{26}$' });
const ChargeId = Type.String({ pattern: '^chg_[0-9A-HJKMNP-TV-Z]{26}$' });

const DeviceSchema = Type.Object(
  {
    id: DeviceId,
    name: Type.String(),
    created_at: Timestamp,
    last_used_at: Type.Union([Timestamp, Type.Null()]),
    revoked_at: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'PaymentCodeDevice', additionalProperties: false },
);

const deviceJson = (d: PaymentCodeDevice): Static<typeof DeviceSchema> => ({
  id: d.id,
  name: d.name,
  created_at: d.createdAt.toISOString(),
  last_used_at: d.lastUsedAt?.toISOString() ?? null,
  revoked_at: d.revokedAt?.toISOString() ?? null,
});

const ChargeSchema = Type.Object(
  {
    id: ChargeId,
    merchant_id: MerchantId,
    payment_intent: IntentId,
    amount: MoneySchema,
    fee: MoneySchema,
    status: Type.Union(
      [
        Type.Literal('processing'),
        Type.Literal('requires_confirmation'),
        Type.Literal('succeeded'),
        Type.Literal('failed'),
        Type.Literal('canceled'),
      ],
      {
        description:
          'requires_confirmation: above the payer’s allowance for code payments, the payer confirms the payment intent in the app until expires_at; canceled: it was not confirmed in time, or the merchant cancelled the intent.',
      },
    ),
    failure_code: Type.Union([Type.String(), Type.Null()]),
    payer_id: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.String()),
    expires_at: Timestamp,
    created_at: Timestamp,
    paid_at: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'Charge', additionalProperties: false },
);

const chargeJson = (c: Charge): Static<typeof ChargeSchema> => ({
  id: c.id,
  merchant_id: c.merchantId,
  payment_intent: c.paymentIntentId,
  amount: moneyJson(c.amountMinor, c.currency),
  fee: moneyJson(c.feeMinor, c.currency),
  status: c.status,
  failure_code: c.failureCode,
  payer_id: c.payerId,
  description: c.description,
  metadata: { ...c.metadata },
  expires_at: c.expiresAt.toISOString(),
  created_at: c.createdAt.toISOString(),
  paid_at: c.paidAt?.toISOString() ?? null,
});

/** A charge as its payer sees it: not the merchant's fee or metadata. */
const PayerChargeSchema = Type.Omit(ChargeSchema, ['fee', 'metadata'], {
  title: 'PayerCharge',
  additionalProperties: false,
});

const payerChargeJson = (c: Charge): Static<typeof PayerChargeSchema> => {
  const { fee: _fee, metadata: _metadata, ...rest } = chargeJson(c);
  return rest;
};

const CreateCharge = Type.Object(
  {
    payment_code: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The 18 digits scanned from the payer’s phone.',
    }),
    amount: MoneySchema,
    description: Type.Optional(Type.String({ maxLength: 200 })),
    metadata: Type.Optional(
      Type.Record(
        Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9_.-]+$' }),
        Type.String({ maxLength: limits.paymentIntentMetadataValueLengthMax }),
        { maxProperties: limits.paymentIntentMetadataKeysMax },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * User payment codes: signed-in users provision their phones (behind the payment PIN) and manage
 * them; merchant API keys charge a scanned code and read their charges. Charges are payment
 * intents paid by code, so they take the payment intent scopes.
 */
export function chargeRoutes(app: FastifyInstance, deps: MerchantRouteDeps): void {
  deviceRoutes(app, deps);
  const api = typed(app);

  api.post(
    '/v1/charges',
    {
      config: { auth: 'merchant', scope: 'payment_intents:write', idempotency: 'required' },
      schema: {
        tags: ['merchant API'],
        summary: 'Charge the payer whose payment code was scanned',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: CreateCharge,
        response: {
          201: ChargeSchema,
          ...errorResponses(
            ...API_KEY_ERRORS,
            'merchant_not_active',
            'payment_intent_currency_invalid',
            'payment_code_malformed',
            'payment_code_unknown_prefix',
            'payment_code_invalid',
            'payment_code_used',
            'payment_intent_not_payable',
            'contact_not_verified',
            ...LIMIT_CODES,
            ...DEBIT_CODES,
          ),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await deps.charges.charge(merchantOf(request).merchant, {
        paymentCode: body.payment_code,
        amount: positiveMoney(body.amount, 'amount'),
        description: body.description,
        metadata: body.metadata ?? {},
      });
      if (!result.ok) throw merchantProblem(result);
      return reply.code(201).send(chargeJson(result.charge));
    },
  );

  api.get(
    '/v1/charges/:id',
    {
      config: { auth: 'merchant', scope: 'payment_intents:read' },
      schema: {
        tags: ['merchant API'],
        summary: 'One of the merchant’s charges',
        params: Type.Object({ id: ChargeId }, { additionalProperties: false }),
        response: {
          200: ChargeSchema,
          ...errorResponses(...API_KEY_ERRORS, 'charge_not_found'),
        },
      },
    },
    async (request) => {
      const { merchant } = merchantOf(request);
      const found = await deps.charges.getCharge(merchant.id, request.params.id);
      if (found === undefined) {
        throw merchantProblem({ ok: false, code: 'charge_not_found', param: 'id' });
      }
      return chargeJson(found);
    },
  );

  api.post(
    '/v1/charges/:id/decline',
    {
      config: { auth: 'user', idempotency: 'optional' },
      schema: {
        tags: ['payments'],
        summary: 'Decline a charge of your payment code that waits for your confirmation',
        description:
          'The charge fails with `failure_code` `declined_by_payer` and its payment intent is cancelled; the merchant gets `charge.failed`. Only a charge in `requires_confirmation` can be declined, and of a decline and a confirmation at once exactly one wins.',
        params: Type.Object({ id: ChargeId }, { additionalProperties: false }),
        response: {
          200: PayerChargeSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'charge_not_found',
            'charge_not_pending',
          ),
        },
      },
    },
    async (request) => {
      const result = await deps.charges.decline(authOf(request).user.id, request.params.id);
      if (!result.ok) throw merchantProblem(result);
      return payerChargeJson(result.charge);
    },
  );
}

function deviceRoutes(app: FastifyInstance, deps: MerchantRouteDeps): void {
  const api = typed(app);

  // No Idempotency-Key here: a stored response would keep the device secret outside its row.
  api.post(
    '/v1/payment-codes/devices',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['payments'],
        summary: 'Provision this phone to show payment codes (the secret is shown only here)',
        body: Type.Object(
          {
            pin: Type.String({ minLength: 1, maxLength: 32, description: 'The payment PIN.' }),
            name: Type.Optional(
              Type.String({ minLength: 1, maxLength: 64, default: 'Phone', examples: ['iPhone'] }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Composite(
            [
              DeviceSchema,
              Type.Object({
                token_id: Type.Integer({
                  minimum: 0,
                  description: 'Below 10^10; with the secret, makes the codes (payment-code.ts).',
                }),
                secret: Type.String({ description: 'The device secret, base64url.' }),
              }),
            ],
            { title: 'NewPaymentCodeDevice', additionalProperties: false },
          ),
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'pin_format_invalid',
            'pin_not_set',
            'pin_wrong',
            'pin_locked',
            'payment_code_devices_too_many',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.charges.provisionDevice(
        authOf(request).user.id,
        { name: request.body.name ?? 'Phone', pin: request.body.pin },
        contextOf(request),
      );
      if (!result.ok) throw merchantProblem(result);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({
        ...deviceJson(result.device),
        token_id: result.device.tokenId,
        secret: Buffer.from(result.secret).toString('base64url'),
      });
    },
  );

  api.get(
    '/v1/payment-codes/devices',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['payments'],
        summary: 'The phones provisioned for payment codes (never their secrets)',
        response: {
          200: Type.Object({ data: Type.Array(DeviceSchema), has_more: Type.Boolean() }),
          ...errorResponses('unauthenticated'),
        },
      },
    },
    async (request) => {
      const list = await deps.charges.listDevices(authOf(request).user.id);
      return { data: list.map(deviceJson), has_more: false };
    },
  );

  api.delete(
    '/v1/payment-codes/devices/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['payments'],
        summary: 'Revoke a phone’s payment codes (a lost phone): refused from now on',
        params: Type.Object({ id: DeviceId }, { additionalProperties: false }),
        response: {
          200: DeviceSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'payment_code_device_not_found',
          ),
        },
      },
    },
    async (request) => {
      const result = await deps.charges.revokeDevice(authOf(request).user.id, request.params.id);
      if (!result.ok) throw merchantProblem(result);
      return deviceJson(result.device);
    },
  );
}
