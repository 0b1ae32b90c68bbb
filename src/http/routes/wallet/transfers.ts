import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { limits } from '../../../limits.js';
import { authOf } from '../../auth.js';
import { positiveMoney } from '../../money-problems.js';
import { typed } from '../identity/shared.js';
import {
  errorResponses,
  MoneySchema,
  TransferSchema,
  transferJson,
  walletProblem,
  type WalletRouteDeps,
  STEP_UP_CODES,
  LIMIT_CODES,
  DEBIT_CODES,
} from './shared.js';

const TransferId = Type.Object(
  { id: Type.String({ pattern: '^trf_[0-9A-HJKMNP-TV-Z]{26}$' }) },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    recipient: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The payee’s user id (from GET /v1/recipients).',
    }),
    amount: MoneySchema,
    note: Type.Optional(Type.String({ maxLength: limits.transferNoteLengthMax })),
    arrival: Type.Optional(
      Type.Union([Type.Literal('instant'), Type.Literal('delay_2h'), Type.Literal('delay_24h')], {
        default: 'instant',
      }),
    ),
    confirmation: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: limits.stepUpTokenLengthMax,
        description: 'From POST /v1/me/confirmations; not needed under the low-value exemption.',
      }),
    ),
    confirm_new_payee: Type.Optional(
      Type.Boolean({ description: 'Required (true) for the first payment to this person.' }),
    ),
  },
  { additionalProperties: false },
);

export function transferRoutes(app: FastifyInstance, deps: WalletRouteDeps): void {
  const api = typed(app);
  api.post(
    '/v1/transfers',
    {
      config: { auth: 'user', idempotency: 'required' },
      schema: {
        tags: ['wallet'],
        summary: 'Send money to another user',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: CreateBody,
        response: {
          201: TransferSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'currency_not_enabled',
            'cannot_pay_self',
            'recipient_not_found',
            'recipient_not_verified',
            'new_payee_confirmation_required',
            ...STEP_UP_CODES,
            ...LIMIT_CODES,
            ...DEBIT_CODES,
          ),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const payerId = authOf(request).user.id;
      const result = await deps.wallet.transfer(payerId, {
        recipientId: body.recipient,
        amount: positiveMoney(body.amount, 'amount'),
        note: body.note,
        arrival: body.arrival ?? 'instant',
        confirmation: body.confirmation,
        confirmNewPayee: body.confirm_new_payee === true,
        idempotencyKey: String(request.headers['idempotency-key']),
      });
      if (!result.ok) throw walletProblem(result);
      return reply.code(201).send(transferJson(result.transfer, payerId));
    },
  );

  api.get(
    '/v1/transfers/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'A transfer the signed-in user sent or received',
        params: TransferId,
        response: {
          200: TransferSchema,
          ...errorResponses('unauthenticated', 'session_expired', 'transfer_not_found'),
        },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      const found = await deps.wallet.getTransfer(userId, request.params.id);
      if (found === undefined) {
        throw walletProblem({ ok: false, code: 'transfer_not_found', param: 'id' });
      }
      return transferJson(found, userId);
    },
  );

  api.post(
    '/v1/transfers/:id/cancel',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'Cancel a held transfer: the money returns to the payer',
        params: TransferId,
        response: {
          200: TransferSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'transfer_not_found',
            'transfer_not_cancellable',
          ),
        },
      },
    },
    async (request) => {
      const payerId = authOf(request).user.id;
      const result = await deps.wallet.cancel(payerId, request.params.id);
      if (!result.ok) throw walletProblem(result);
      return transferJson(result.transfer, payerId);
    },
  );
}
