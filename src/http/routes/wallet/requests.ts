import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { limits } from '../../../limits.js';
import type { MoneyRequest, MoneyRequestInput, MoneyRequests } from '../../../wallet/index.js';
import { authOf } from '../../auth.js';
import { positiveMoney } from '../../money-problems.js';
import { ProblemError } from '../../problem.js';
import { typed } from '../identity/shared.js';
import {
  errorResponses,
  MoneySchema,
  moneyJson,
  Timestamp,
  walletProblem,
  type WalletRouteDeps,
  STEP_UP_CODES,
  LIMIT_CODES,
  DEBIT_CODES,
} from './shared.js';

export type RequestRouteDeps = WalletRouteDeps & { readonly requests: MoneyRequests };

/**
 * How many people a request body may name. The service allows 20 and answers `too_many_payers`
 * above that; this bound only keeps the body small.
 */
const PAYERS_IN_BODY_MAX = 100;

const RequestId = Type.String({ pattern: '^mrq_[0-9A-HJKMNP-TV-Z]{26}$' });
const RequestParams = Type.Object({ id: RequestId }, { additionalProperties: false });
const UserId = Type.String({ minLength: 1, maxLength: 64, description: 'A user id (usr_…).' });
const Note = Type.String({ maxLength: limits.transferNoteLengthMax });

const ShareSchema = Type.Object(
  {
    payer_id: Type.String(),
    amount: MoneySchema,
    status: Type.Union([Type.Literal('pending'), Type.Literal('paid'), Type.Literal('declined')]),
    transfer_id: Type.Union([Type.String(), Type.Null()], {
      description: 'The P2P transfer that paid the share.',
    }),
    paid_at: Type.Union([Timestamp, Type.Null()]),
    declined_at: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'MoneyRequestShare', additionalProperties: false },
);

const MoneyRequestSchema = Type.Object(
  {
    id: RequestId,
    requester_id: Type.String(),
    role: Type.Union([Type.Literal('requester'), Type.Literal('payer')], {
      description: 'How the signed-in user takes part.',
    }),
    amount: MoneySchema,
    note: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([
      Type.Literal('open'),
      Type.Literal('completed'),
      Type.Literal('cancelled'),
    ]),
    progress: Type.Object(
      {
        shares: Type.Integer(),
        paid: Type.Integer(),
        declined: Type.Integer(),
        pending: Type.Integer(),
        paid_amount: MoneySchema,
      },
      { additionalProperties: false },
    ),
    shares: Type.Array(ShareSchema, {
      description: 'Every share for the requester; only their own for a payer.',
    }),
    created_at: Timestamp,
    closed_at: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'MoneyRequest', additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    note: Type.Optional(Note),
    shares: Type.Optional(
      Type.Array(
        Type.Object({ payer: UserId, amount: MoneySchema }, { additionalProperties: false }),
        { minItems: 1, maxItems: PAYERS_IN_BODY_MAX },
      ),
    ),
    total: Type.Optional(MoneySchema),
    payers: Type.Optional(Type.Array(UserId, { minItems: 1, maxItems: PAYERS_IN_BODY_MAX })),
  },
  {
    additionalProperties: false,
    description:
      'Either `shares` (the amount of each payer, all in one currency), or `total` and `payers` (the total split evenly; the first payers get the minor units left over).',
  },
);

function requestJson(r: MoneyRequest): Static<typeof MoneyRequestSchema> {
  return {
    id: r.id,
    requester_id: r.requesterId,
    role: r.role,
    amount: moneyJson(r.totalMinor, r.currency),
    note: r.note,
    status: r.status,
    progress: {
      shares: r.progress.shareCount,
      paid: r.progress.paidCount,
      declined: r.progress.declinedCount,
      pending: r.progress.pendingCount,
      paid_amount: moneyJson(r.progress.paidMinor, r.currency),
    },
    shares: r.shares.map((s) => ({
      payer_id: s.payerId,
      amount: moneyJson(s.amountMinor, r.currency),
      status: s.status,
      transfer_id: s.transferId,
      paid_at: s.paidAt?.toISOString() ?? null,
      declined_at: s.declinedAt?.toISOString() ?? null,
    })),
    created_at: r.createdAt.toISOString(),
    closed_at: r.closedAt?.toISOString() ?? null,
  };
}

/** The body names one of two forms; any other combination of fields is refused. */
function createInput(body: Static<typeof CreateBody>): MoneyRequestInput {
  const { note, shares, total, payers } = body;
  if (shares !== undefined && total === undefined && payers === undefined) {
    const parsed = shares.map((s, i) => ({
      payerId: s.payer,
      amount: positiveMoney(s.amount, `shares[${i}].amount`),
    }));
    const currency = parsed[0]?.amount.currency;
    const mixed = parsed.findIndex((p) => p.amount.currency !== currency);
    if (currency === undefined || mixed >= 0) {
      throw new ProblemError('validation_failed', {
        param: `shares[${mixed}].amount.currency`,
        detail: 'Every share of a request is in the same currency.',
      });
    }
    return {
      note,
      currency,
      shares: parsed.map((p) => ({ payerId: p.payerId, amountMinor: p.amount.amountMinor })),
    };
  }
  if (shares === undefined && total !== undefined && payers !== undefined) {
    return { note, total: positiveMoney(total, 'total'), payerIds: payers };
  }
  throw new ProblemError('validation_failed', {
    param: shares === undefined ? (total === undefined ? 'total' : 'payers') : 'shares',
    detail: 'Send either shares, or total and payers.',
  });
}

export function requestRoutes(app: FastifyInstance, deps: RequestRouteDeps): void {
  createRoute(app, deps);
  readRoutes(app, deps);
  payRoute(app, deps);
  answerRoutes(app, deps);
}

function createRoute(app: FastifyInstance, deps: RequestRouteDeps): void {
  typed(app).post(
    '/v1/requests',
    {
      config: { auth: 'user', idempotency: 'optional' },
      schema: {
        tags: ['wallet'],
        summary: 'Ask one or several people for money, or split a bill among them',
        description:
          'At most 20 payers, each a verified user other than the requester, each once. Every payer is notified (event `request.received`); nothing moves until a payer pays.',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: CreateBody,
        response: {
          201: MoneyRequestSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'currency_not_enabled',
            'too_many_payers',
            'duplicate_payer',
            'cannot_pay_self',
            'split_amount_too_small',
            'recipient_not_found',
            'recipient_not_verified',
          ),
        },
      },
    },
    async (request, reply) => {
      const userId = authOf(request).user.id;
      const result = await deps.requests.create(userId, createInput(request.body));
      if (!result.ok) throw walletProblem(result);
      return reply.code(201).send(requestJson(result.request));
    },
  );
}

function readRoutes(app: FastifyInstance, deps: RequestRouteDeps): void {
  const api = typed(app);
  api.get(
    '/v1/requests',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'Money requests the signed-in user sent or was asked to pay, newest first',
        querystring: Type.Object(
          {
            role: Type.Union([Type.Literal('sent'), Type.Literal('received')]),
            limit: Type.Integer({
              minimum: 1,
              maximum: limits.pageSizeMax,
              default: limits.pageSizeDefault,
            }),
            starting_after: Type.Optional(RequestId),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { data: Type.Array(MoneyRequestSchema), has_more: Type.Boolean() },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const { role, limit, starting_after } = request.query;
      const page = await deps.requests.list(authOf(request).user.id, {
        role,
        limit,
        startingAfter: starting_after,
      });
      return { data: page.data.map(requestJson), has_more: page.hasMore };
    },
  );

  api.get(
    '/v1/requests/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'A money request the signed-in user sent or was asked to pay, with its progress',
        params: RequestParams,
        response: {
          200: MoneyRequestSchema,
          ...errorResponses('unauthenticated', 'session_expired', 'money_request_not_found'),
        },
      },
    },
    async (request) => {
      const found = await deps.requests.get(authOf(request).user.id, request.params.id);
      if (found === undefined) {
        throw walletProblem({ ok: false, code: 'money_request_not_found', param: 'id' });
      }
      return requestJson(found);
    },
  );
}

function payRoute(app: FastifyInstance, deps: RequestRouteDeps): void {
  typed(app).post(
    '/v1/requests/:id/pay',
    {
      config: { auth: 'user', idempotency: 'required' },
      schema: {
        tags: ['wallet'],
        summary: 'Pay your share of a money request',
        description:
          'A P2P transfer of the share’s amount to the requester, with the same step-up, limits and risk checks; no first-payee confirmation is needed. A refused payment leaves the share pending. Concurrent payments of one share make one transfer.',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        params: RequestParams,
        body: Type.Object(
          {
            confirmation: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: limits.stepUpTokenLengthMax,
                description:
                  'From POST /v1/me/confirmations for the share’s amount and the requester; not needed under the low-value exemption.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: MoneyRequestSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'money_request_not_found',
            'money_request_closed',
            'share_already_settled',
            'share_payment_in_progress',
            'recipient_not_verified',
            ...STEP_UP_CODES,
            ...LIMIT_CODES,
            ...DEBIT_CODES,
          ),
        },
      },
    },
    async (request) => {
      const result = await deps.requests.pay(authOf(request).user.id, request.params.id, {
        confirmation: request.body.confirmation,
        idempotencyKey: String(request.headers['idempotency-key']),
      });
      if (!result.ok) throw walletProblem(result);
      return requestJson(result.request);
    },
  );
}

function answerRoutes(app: FastifyInstance, deps: RequestRouteDeps): void {
  const api = typed(app);
  api.post(
    '/v1/requests/:id/decline',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'Decline your share of a money request',
        params: RequestParams,
        response: {
          200: MoneyRequestSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'money_request_not_found',
            'money_request_closed',
            'share_already_settled',
          ),
        },
      },
    },
    async (request) => {
      const result = await deps.requests.decline(authOf(request).user.id, request.params.id);
      if (!result.ok) throw walletProblem(result);
      return requestJson(result.request);
    },
  );

  api.post(
    '/v1/requests/:id/cancel',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'Cancel a money request you sent; shares still pending can no longer be paid',
        params: RequestParams,
        response: {
          200: MoneyRequestSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'money_request_not_found',
            'money_request_closed',
          ),
        },
      },
    },
    async (request) => {
      const result = await deps.requests.cancel(authOf(request).user.id, request.params.id);
      if (!result.ok) throw walletProblem(result);
      return requestJson(result.request);
    },
  );
}
