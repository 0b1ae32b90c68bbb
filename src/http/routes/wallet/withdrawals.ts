import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { limits } from '../../../limits.js';
import { authOf } from '../../auth.js';
import { positiveMoney } from '../../money-problems.js';
import { typed } from '../identity/shared.js';
import { CardId } from './cards.js';
import {
  MoneySchema,
  errorResponses,
  walletProblem,
  STEP_UP_CODES,
  LIMIT_CODES,
  type WalletRouteDeps,
} from './shared.js';
import { MovementParams, movementJson, movementSchema } from './topups.js';

const WithdrawalSchema = movementSchema('Withdrawal');

const CreateBody = Type.Object(
  {
    card_id: CardId,
    amount: MoneySchema,
    confirmation: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: limits.stepUpTokenLengthMax,
        description:
          'From POST /v1/me/confirmations with the card id as payee; not needed under the low-value exemption.',
      }),
    ),
  },
  { additionalProperties: false },
);

export function withdrawalRoutes(app: FastifyInstance, deps: WalletRouteDeps): void {
  const api = typed(app);
  api.post(
    '/v1/withdrawals',
    {
      config: { auth: 'user', idempotency: 'required' },
      schema: {
        tags: ['wallet'],
        summary: 'Withdraw money from the wallet to a bound card',
        description:
          'The amount is held at once (it cannot be spent twice); it leaves the wallet when the bank confirms the payout, and comes back if the payout fails.',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: CreateBody,
        response: {
          201: WithdrawalSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'currency_not_enabled',
            'card_not_found',
            ...STEP_UP_CODES,
            ...LIMIT_CODES,
            'insufficient_funds',
            'wallet_frozen',
            'card_unusable',
            'card_expired',
            'amount_not_accepted',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.funding.withdraw(authOf(request).user.id, {
        cardId: request.body.card_id,
        amount: positiveMoney(request.body.amount, 'amount'),
        confirmation: request.body.confirmation,
        idempotencyKey: String(request.headers['idempotency-key']),
      });
      if (!result.ok) throw walletProblem(result);
      return reply.code(201).send(movementJson(result.withdrawal));
    },
  );

  api.get(
    '/v1/withdrawals/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'A withdrawal of the signed-in user, with its status',
        params: MovementParams,
        response: {
          200: WithdrawalSchema,
          ...errorResponses('unauthenticated', 'session_expired', 'withdrawal_not_found'),
        },
      },
    },
    async (request) => {
      const withdrawal = await deps.funding.getWithdrawal(
        authOf(request).user.id,
        request.params.id,
      );
      if (withdrawal === undefined) {
        throw walletProblem({ ok: false, code: 'withdrawal_not_found', param: 'id' });
      }
      return movementJson(withdrawal);
    },
  );
}
