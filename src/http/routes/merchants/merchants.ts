import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { API_KEY_SCOPES, staticCode, type ApiKey } from '../../../merchants/index.js';
import { isCurrencyCode } from '../../../money/index.js';
import { authOf } from '../../auth.js';
import { requireOperator } from '../identity/kyc.js';
import { typed } from '../identity/shared.js';
import { Timestamp } from '../wallet/shared.js';
import {
  errorResponses,
  merchantJson,
  MerchantId,
  merchantProblem,
  MerchantSchema,
  CodeFormatQuery,
  sentAsImage,
  type MerchantRouteDeps,
} from './shared.js';

const CreateBody = Type.Object(
  {
    name_zh: Type.String({ minLength: 1, maxLength: 25, description: 'The name in Chinese.' }),
    name_en: Type.String({
      pattern: '^[\\x20-\\x7e]{1,25}$',
      description: 'The name in Latin letters (EMVCo tag 59): printable ASCII, at most 25.',
    }),
    mcc: Type.String({ pattern: '^[0-9]{4}$', description: 'ISO 18245 merchant category code.' }),
    city: Type.String({ pattern: '^[\\x20-\\x7e]{1,15}$', description: 'EMVCo tag 60.' }),
    country: Type.String({ pattern: '^[A-Z]{2}$', default: 'CN' }),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', default: 'CNY' })),
    settlement_card_id: Type.String({ pattern: '^crd_[0-9A-HJKMNP-TV-Z]{26}$' }),
  },
  { additionalProperties: false },
);

const Scope = Type.Union(API_KEY_SCOPES.map((s) => Type.Literal(s)));

const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    mode: Type.Union([Type.Literal('test'), Type.Literal('live')]),
    last4: Type.String(),
    scopes: Type.Array(Scope),
    created_at: Timestamp,
    last_used_at: Type.Union([Timestamp, Type.Null()]),
    revoked_at: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'ApiKey', additionalProperties: false },
);

const keyJson = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  mode: k.mode,
  last4: k.last4,
  scopes: [...k.scopes],
  created_at: k.createdAt.toISOString(),
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  revoked_at: k.revokedAt?.toISOString() ?? null,
});

const ByMerchant = Type.Object({ id: MerchantId }, { additionalProperties: false });

/** A user's merchants: onboarding, API keys and the static collection code; operator review. */
export function merchantRoutes(app: FastifyInstance, deps: MerchantRouteDeps): void {
  const api = typed(app);

  api.post(
    '/v1/merchants',
    {
      config: { auth: 'user', idempotency: 'optional' },
      schema: {
        tags: ['merchants'],
        summary: 'Open a merchant (reviewed by an operator before it can be paid)',
        body: CreateBody,
        response: {
          201: MerchantSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'currency_not_enabled',
            'settlement_card_not_found',
            'merchants_too_many',
          ),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const currency = body.currency ?? 'CNY';
      if (!isCurrencyCode(currency)) {
        throw merchantProblem({ ok: false, code: 'currency_not_enabled', param: 'currency' });
      }
      const result = await deps.merchants.create(authOf(request).user.id, {
        nameZh: body.name_zh,
        nameEn: body.name_en,
        mcc: body.mcc,
        city: body.city,
        country: body.country,
        currency,
        settlementCardId: body.settlement_card_id,
        feeRateBp: 60,
      });
      if (!result.ok) throw merchantProblem(result);
      return reply.code(201).send(merchantJson(result.merchant));
    },
  );

  api.get(
    '/v1/merchants',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['merchants'],
        summary: 'The merchants the signed-in user runs',
        response: {
          200: Type.Object({ data: Type.Array(MerchantSchema), has_more: Type.Boolean() }),
          ...errorResponses('unauthenticated'),
        },
      },
    },
    async (request) => {
      const list = await deps.merchants.listOwned(authOf(request).user.id);
      return { data: list.map(merchantJson), has_more: false };
    },
  );

  api.get(
    '/v1/merchants/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['merchants'],
        summary: 'One of the signed-in user’s merchants',
        params: ByMerchant,
        response: {
          200: MerchantSchema,
          ...errorResponses('unauthenticated', 'merchant_not_found'),
        },
      },
    },
    async (request) => {
      const merchant = await deps.merchants.getOwned(authOf(request).user.id, request.params.id);
      if (merchant === undefined) {
        throw merchantProblem({ ok: false, code: 'merchant_not_found', param: 'id' });
      }
      return merchantJson(merchant);
    },
  );

  api.get(
    '/v1/merchants/:id/qr',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['merchants'],
        summary: 'The merchant’s static collection code (the payer types the amount)',
        params: ByMerchant,
        querystring: CodeFormatQuery,
        response: {
          200: Type.Object(
            { payload: Type.String(), merchant_id: MerchantId },
            { description: 'JSON; with format=svg or png the image itself.' },
          ),
          ...errorResponses('unauthenticated', 'merchant_not_found'),
        },
      },
    },
    async (request, reply) => {
      const merchant = await deps.merchants.getOwned(authOf(request).user.id, request.params.id);
      if (merchant === undefined) {
        throw merchantProblem({ ok: false, code: 'merchant_not_found', param: 'id' });
      }
      const payload = staticCode(merchant);
      if (await sentAsImage(reply, payload, request.query.format)) return reply;
      return { payload, merchant_id: merchant.id };
    },
  );

  api.post(
    '/v1/merchants/:id/api-keys',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['merchants'],
        summary: 'Create an API key for the merchant’s server (the secret is shown only here)',
        params: ByMerchant,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64 }),
            scopes: Type.Optional(Type.Array(Scope, { minItems: 1, maxItems: 16 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Composite([ApiKeySchema, Type.Object({ secret: Type.String() })], {
            title: 'NewApiKey',
            additionalProperties: false,
          }),
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'merchant_not_found',
            'api_keys_too_many',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.merchants.createApiKey(authOf(request).user.id, request.params.id, {
        name: request.body.name,
        scopes: request.body.scopes ?? API_KEY_SCOPES,
      });
      if (!result.ok) throw merchantProblem(result);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...keyJson(result.key), secret: result.secret });
    },
  );

  api.get(
    '/v1/merchants/:id/api-keys',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['merchants'],
        summary: 'The merchant’s API keys (never their secrets)',
        params: ByMerchant,
        response: {
          200: Type.Object({ data: Type.Array(ApiKeySchema), has_more: Type.Boolean() }),
          ...errorResponses('unauthenticated', 'merchant_not_found'),
        },
      },
    },
    async (request) => {
      const result = await deps.merchants.listApiKeys(authOf(request).user.id, request.params.id);
      if (!result.ok) throw merchantProblem(result);
      return { data: result.keys.map(keyJson), has_more: false };
    },
  );

  api.delete(
    '/v1/merchants/:id/api-keys/:key_id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['merchants'],
        summary: 'Revoke an API key: refused from the next request on',
        params: Type.Object(
          { id: MerchantId, key_id: Type.String({ pattern: '^key_[0-9A-HJKMNP-TV-Z]{26}$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: ApiKeySchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'merchant_not_found',
            'api_key_not_found',
          ),
        },
      },
    },
    async (request) => {
      const result = await deps.merchants.revokeApiKey(
        authOf(request).user.id,
        request.params.id,
        request.params.key_id,
      );
      if (!result.ok) throw merchantProblem(result);
      return keyJson(result.key);
    },
  );

  for (const [action, status] of [
    ['approve', 'active'],
    ['suspend', 'suspended'],
  ] as const) {
    api.post(
      `/v1/admin/merchants/:id/${action}`,
      {
        config: { auth: 'user' },
        schema: {
          tags: ['admin'],
          summary:
            action === 'approve'
              ? 'Approve a merchant (operators)'
              : 'Suspend a merchant (operators)',
          params: ByMerchant,
          response: {
            200: MerchantSchema,
            ...errorResponses(
              'unauthenticated',
              'csrf_token_invalid',
              'operator_required',
              'operator_mfa_required',
              'merchant_not_found',
              'merchant_status_unchanged',
            ),
          },
        },
      },
      async (request) => {
        const operatorId = await requireOperator(request, deps.identity);
        const result = await deps.merchants.setStatus(request.params.id, status, {
          id: operatorId,
          ip: request.ip,
        });
        if (!result.ok) throw merchantProblem(result);
        return merchantJson(result.merchant);
      },
    );
  }
}
