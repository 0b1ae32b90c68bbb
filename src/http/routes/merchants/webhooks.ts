import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  webhookCodes,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookFailure,
  type Webhooks,
} from '../../../events/index.js';
import { limits } from '../../../limits.js';
import { merchantCodes } from '../../../merchants/index.js';
import { merchantOf } from '../../auth.js';
import { codeProblems } from '../../code-problems.js';
import { typed } from '../identity/shared.js';
import { Timestamp } from '../wallet/shared.js';
import { API_KEY_ERRORS, ListQuery } from './shared.js';

/**
 * Webhook endpoints of the calling merchant (API keys with the webhooks scopes): create (the
 * signing secret is shown once), list, change, delete, rotate the secret; and the delivery log
 * with manual resends. The owner of every endpoint is the merchant the key belongs to.
 */
const problems = codeProblems({ ...webhookCodes, ...merchantCodes });
const webhookProblem = (failure: WebhookFailure) => problems.problem(failure);
const errorResponses = problems.errorResponses;

const EndpointId = Type.String({ pattern: '^whe_[0-9A-HJKMNP-TV-Z]{26}$' });
const DeliveryId = Type.String({ pattern: '^whd_[0-9A-HJKMNP-TV-Z]{26}$' });

const EndpointSchema = Type.Object(
  {
    id: EndpointId,
    url: Type.String(),
    description: Type.String(),
    event_types: Type.Array(Type.String()),
    status: Type.Union([
      Type.Literal('enabled'),
      Type.Literal('disabled'),
      Type.Literal('failing'),
    ]),
    disabled_reason: Type.Union([Type.String(), Type.Null()]),
    last_success_at: Type.Union([Timestamp, Type.Null()]),
    previous_secret_expires_at: Type.Union([Timestamp, Type.Null()]),
    created_at: Timestamp,
  },
  { title: 'WebhookEndpoint', additionalProperties: false },
);

const WithSecret = Type.Composite(
  [
    EndpointSchema,
    Type.Object({
      secret: Type.String({ description: 'The signing secret; shown only in this response.' }),
    }),
  ],
  { title: 'WebhookEndpointWithSecret', additionalProperties: false },
);

const DeliverySchema = Type.Object(
  {
    id: DeliveryId,
    event_id: Type.String(),
    event_type: Type.String(),
    endpoint_id: EndpointId,
    state: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    attempt_count: Type.Integer(),
    next_attempt_at: Type.Union([Timestamp, Type.Null()]),
    last_status: Type.Union([Type.Integer(), Type.Null()]),
    last_error: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
    succeeded_at: Type.Union([Timestamp, Type.Null()]),
    attempts: Type.Array(
      Type.Object(
        {
          number: Type.Integer(),
          kind: Type.Union([Type.Literal('scheduled'), Type.Literal('resend')]),
          attempted_at: Timestamp,
          status: Type.Union([Type.Integer(), Type.Null()]),
          error: Type.Union([Type.String(), Type.Null()]),
          duration_ms: Type.Integer(),
          response_excerpt: Type.Union([Type.String(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { title: 'WebhookDelivery', additionalProperties: false },
);

const iso = (d: Date | null) => d?.toISOString() ?? null;

function endpointJson(e: WebhookEndpoint): Static<typeof EndpointSchema> {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    event_types: [...e.eventTypes],
    status: e.status,
    disabled_reason: e.disabledReason,
    last_success_at: iso(e.lastSuccessAt),
    previous_secret_expires_at: iso(e.previousSecretExpiresAt),
    created_at: e.createdAt.toISOString(),
  };
}

function deliveryJson(d: WebhookDelivery): Static<typeof DeliverySchema> {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    endpoint_id: d.endpointId,
    state: d.state,
    attempt_count: d.attemptCount,
    next_attempt_at: iso(d.nextAttemptAt),
    last_status: d.lastStatus,
    last_error: d.lastError,
    created_at: d.createdAt.toISOString(),
    succeeded_at: iso(d.succeededAt),
    attempts: d.attempts.map((a) => ({
      number: a.number,
      kind: a.kind,
      attempted_at: a.attemptedAt.toISOString(),
      status: a.status,
      error: a.error,
      duration_ms: a.durationMs,
      response_excerpt: a.responseExcerpt,
    })),
  };
}

const EventTypes = Type.Array(Type.String({ maxLength: limits.webhookEventTypeLengthMax }), {
  minItems: 1,
  maxItems: limits.webhookEventTypesPerEndpointMax,
});
const Url = Type.String({ minLength: 1, maxLength: limits.webhookUrlLengthMax });
const Description = Type.String({ maxLength: limits.webhookDescriptionLengthMax });
const ById = Type.Object({ id: EndpointId }, { additionalProperties: false });
const urlErrors = [
  'webhook_url_invalid',
  'webhook_url_not_https',
  'webhook_url_forbidden_address',
  'webhook_url_unresolvable',
  'webhook_event_types_invalid',
  'webhook_description_too_long',
] as const;

export function webhookRoutes(app: FastifyInstance, webhooks: Webhooks): void {
  const api = typed(app);
  const owner = (request: Parameters<typeof merchantOf>[0]) => merchantOf(request).merchant.id;

  api.post(
    '/v1/webhook-endpoints',
    {
      config: { auth: 'merchant', scope: 'webhooks:write', idempotency: 'optional' },
      schema: {
        tags: ['merchant API'],
        summary: 'Add a webhook endpoint (its signing secret is shown only in this response)',
        body: Type.Object(
          { url: Url, event_types: EventTypes, description: Type.Optional(Description) },
          { additionalProperties: false },
        ),
        response: {
          201: WithSecret,
          ...errorResponses(...API_KEY_ERRORS, ...urlErrors, 'webhook_endpoints_too_many'),
        },
      },
    },
    async (request, reply) => {
      const result = await webhooks.createEndpoint(owner(request), {
        url: request.body.url,
        eventTypes: request.body.event_types,
        description: request.body.description,
      });
      if (!result.ok) throw webhookProblem(result);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...endpointJson(result.endpoint), secret: result.secret });
    },
  );

  api.get(
    '/v1/webhook-endpoints',
    {
      config: { auth: 'merchant', scope: 'webhooks:read' },
      schema: {
        tags: ['merchant API'],
        summary: 'The merchant’s webhook endpoints',
        response: {
          200: Type.Object({ data: Type.Array(EndpointSchema), has_more: Type.Boolean() }),
          ...errorResponses(...API_KEY_ERRORS),
        },
      },
    },
    async (request) => ({
      data: (await webhooks.listEndpoints(owner(request))).map(endpointJson),
      has_more: false,
    }),
  );

  api.get(
    '/v1/webhook-endpoints/:id',
    {
      config: { auth: 'merchant', scope: 'webhooks:read' },
      schema: {
        tags: ['merchant API'],
        summary: 'One webhook endpoint',
        params: ById,
        response: {
          200: EndpointSchema,
          ...errorResponses(...API_KEY_ERRORS, 'webhook_endpoint_not_found'),
        },
      },
    },
    async (request) => {
      const result = await webhooks.getEndpoint(owner(request), request.params.id);
      if (!result.ok) throw webhookProblem(result);
      return endpointJson(result.endpoint);
    },
  );

  api.patch(
    '/v1/webhook-endpoints/:id',
    {
      config: { auth: 'merchant', scope: 'webhooks:write' },
      schema: {
        tags: ['merchant API'],
        summary: 'Change a webhook endpoint; enabled: true also revives a failing one',
        params: ById,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            event_types: Type.Optional(EventTypes),
            description: Type.Optional(Description),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: {
          200: EndpointSchema,
          ...errorResponses(...API_KEY_ERRORS, ...urlErrors, 'webhook_endpoint_not_found'),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const result = await webhooks.updateEndpoint(owner(request), request.params.id, {
        url: body.url,
        eventTypes: body.event_types,
        description: body.description,
        enabled: body.enabled,
      });
      if (!result.ok) throw webhookProblem(result);
      return endpointJson(result.endpoint);
    },
  );

  api.delete(
    '/v1/webhook-endpoints/:id',
    {
      config: { auth: 'merchant', scope: 'webhooks:write' },
      schema: {
        tags: ['merchant API'],
        summary: 'Delete a webhook endpoint and its delivery log',
        params: ById,
        response: {
          200: Type.Object({ id: EndpointId, deleted: Type.Literal(true) }),
          ...errorResponses(...API_KEY_ERRORS, 'webhook_endpoint_not_found'),
        },
      },
    },
    async (request) => {
      const result = await webhooks.deleteEndpoint(owner(request), request.params.id);
      if (!result.ok) throw webhookProblem(result);
      return { id: result.id, deleted: true as const };
    },
  );

  api.post(
    '/v1/webhook-endpoints/:id/rotate-secret',
    {
      config: { auth: 'merchant', scope: 'webhooks:write' },
      schema: {
        tags: ['merchant API'],
        summary: 'A new signing secret; the old one keeps signing beside it for a day',
        params: ById,
        body: Type.Optional(
          Type.Object(
            {
              expire_previous_now: Type.Optional(
                Type.Boolean({ description: 'For a leaked secret: stop signing with it now.' }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: {
          200: WithSecret,
          ...errorResponses(...API_KEY_ERRORS, 'webhook_endpoint_not_found'),
        },
      },
    },
    async (request, reply) => {
      const result = await webhooks.rotateSecret(owner(request), request.params.id, {
        expirePreviousNow: request.body?.expire_previous_now === true,
      });
      if (!result.ok) throw webhookProblem(result);
      reply.header('cache-control', 'no-store');
      return { ...endpointJson(result.endpoint), secret: result.secret };
    },
  );

  api.get(
    '/v1/webhook-deliveries',
    {
      config: { auth: 'merchant', scope: 'webhooks:read' },
      schema: {
        tags: ['merchant API'],
        summary: 'The delivery log, newest first, with each delivery’s latest attempts',
        querystring: Type.Composite(
          [ListQuery, Type.Object({ endpoint: Type.Optional(EndpointId) })],
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(DeliverySchema), has_more: Type.Boolean() }),
          ...errorResponses(...API_KEY_ERRORS, 'webhook_endpoint_not_found'),
        },
      },
    },
    async (request) => {
      const result = await webhooks.listDeliveries(owner(request), {
        endpointId: request.query.endpoint,
        limit: request.query.limit ?? limits.pageSizeDefault,
        startingAfter: request.query.starting_after,
      });
      if (!result.ok) throw webhookProblem(result);
      return { data: result.data.map(deliveryJson), has_more: result.hasMore };
    },
  );

  api.post(
    '/v1/webhook-deliveries/:id/resend',
    {
      config: { auth: 'merchant', scope: 'webhooks:write' },
      schema: {
        tags: ['merchant API'],
        summary: 'Send a delivery again now (recorded in its log)',
        params: Type.Object({ id: DeliveryId }, { additionalProperties: false }),
        response: {
          200: DeliverySchema,
          ...errorResponses(
            ...API_KEY_ERRORS,
            'webhook_delivery_not_found',
            'webhook_delivery_attempts_exhausted',
          ),
        },
      },
    },
    async (request) => {
      const result = await webhooks.resend(owner(request), request.params.id);
      if (!result.ok) throw webhookProblem(result);
      return deliveryJson(result.delivery);
    },
  );
}
