import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { FundingMovement } from '../../../wallet/index.js';
import { authOf } from '../../auth.js';
import { positiveMoney } from '../../money-problems.js';
import { typed } from '../identity/shared.js';
import { CardId } from './cards.js';
import {
  MoneySchema,
  moneyJson,
  Timestamp,
  errorResponses,
  walletProblem,
  type WalletRouteDeps,
} from './shared.js';

const MovementId = Type.String({ pattern: '^trf_[0-9A-HJKMNP-TV-Z]{26}$' });

/** A top-up or withdrawal on the wire; `processing` is a detail of the server, shown as pending. */
export function movementSchema(title: string) {
  return Type.Object(
    {
      id: MovementId,
      card_id: CardId,
      amount: MoneySchema,
      status: Type.Union([
        Type.Literal('pending'),
        Type.Literal('succeeded'),
        Type.Literal('failed'),
      ]),
      failure_code: Type.Union([Type.String(), Type.Null()]),
      created_at: Timestamp,
      completed_at: Type.Union([Timestamp, Type.Null()]),
    },
    { title, additionalProperties: false },
  );
}

export const MovementParams = Type.Object({ id: MovementId }, { additionalProperties: false });

const TopupSchema = movementSchema('Topup');

export function movementJson(m: FundingMovement): Static<typeof TopupSchema> {
  return {
    id: m.id,
    card_id: m.cardId,
    amount: moneyJson(m.amountMinor, m.currency),
    status: m.status === 'processing' ? 'pending' : m.status,
    failure_code: m.failureCode,
    created_at: m.createdAt.toISOString(),
    completed_at: m.completedAt?.toISOString() ?? null,
  };
}

const CreateBody = Type.Object(
  { card_id: CardId, amount: MoneySchema },
  { additionalProperties: false },
);

export function topupRoutes(app: FastifyInstance, deps: WalletRouteDeps): void {
  const api = typed(app);
  api.post(
    '/v1/topups',
    {
      config: { auth: 'user', idempotency: 'required' },
      schema: {
        tags: ['wallet'],
        summary: 'Top up the wallet from a bound card',
        description:
          'The money shows as pending until the bank confirms the charge; then the top-up succeeds (the money is available) or fails (nothing is credited).',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: CreateBody,
        response: {
          201: TopupSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'currency_not_enabled',
            'card_not_found',
            'card_unusable',
            'card_expired',
            'amount_not_accepted',
            'wallet_frozen',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.funding.topUp(authOf(request).user.id, {
        cardId: request.body.card_id,
        amount: positiveMoney(request.body.amount, 'amount'),
        idempotencyKey: String(request.headers['idempotency-key']),
      });
      if (!result.ok) throw walletProblem(result);
      return reply.code(201).send(movementJson(result.topup));
    },
  );

  api.get(
    '/v1/topups/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'A top-up of the signed-in user, with its status',
        params: MovementParams,
        response: {
          200: TopupSchema,
          ...errorResponses('unauthenticated', 'session_expired', 'topup_not_found'),
        },
      },
    },
    async (request) => {
      const topup = await deps.funding.getTopup(authOf(request).user.id, request.params.id);
      if (topup === undefined) {
        throw walletProblem({ ok: false, code: 'topup_not_found', param: 'id' });
      }
      return movementJson(topup);
    },
  );
}
