import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { limits } from '../../../limits.js';
import { authOf } from '../../auth.js';
import { typed } from '../identity/shared.js';
import { positiveMoney } from '../../money-problems.js';
import { ProblemError } from '../../problem.js';
import {
  HistoryEntrySchema,
  HistoryStatusSchema,
  HistoryTypeSchema,
  historyEntryJson,
} from './history.js';
import { errorResponses, type WalletRouteDeps } from './shared.js';

const TransferId = Type.String({ pattern: '^trf_[0-9A-HJKMNP-TV-Z]{26}$' });

/** An amount bound of the filter, in the minor units of the filter's currency. */
function amountFilter(
  text: string | undefined,
  currency: string | undefined,
  param: string,
): bigint | undefined {
  if (text === undefined) return undefined;
  if (currency === undefined) {
    throw new ProblemError('validation_failed', {
      param: 'currency',
      detail: `Filtering by ${param} needs the currency.`,
    });
  }
  return positiveMoney({ amount: text, currency }, param).amountMinor;
}

export function transactionsRoute(app: FastifyInstance, deps: WalletRouteDeps): void {
  typed(app).get(
    '/v1/transactions',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary:
          'The signed-in user’s history: transfers sent and received, top-ups, withdrawals, conversions, merchant payments and refunds, newest first',
        querystring: Type.Object(
          {
            limit: Type.Integer({
              minimum: 1,
              maximum: limits.pageSizeMax,
              default: limits.pageSizeDefault,
            }),
            starting_after: Type.Optional(TransferId),
            ending_before: Type.Optional(TransferId),
            type: Type.Optional(HistoryTypeSchema),
            status: Type.Optional(HistoryStatusSchema),
            direction: Type.Optional(
              Type.Union([Type.Literal('incoming'), Type.Literal('outgoing')]),
            ),
            counterparty: Type.Optional(
              Type.String({
                pattern: '^(usr|crd|mch)_[0-9A-HJKMNP-TV-Z]{26}$',
                description:
                  'A user (p2p), a card (topup, withdrawal) or a merchant (merchant_payment, refund).',
              }),
            ),
            currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
            created_gte: Type.Optional(Type.String({ format: 'date-time' })),
            created_lt: Type.Optional(Type.String({ format: 'date-time' })),
            amount_gte: Type.Optional(
              Type.String({ maxLength: 32, description: 'Decimal; needs `currency`.' }),
            ),
            amount_lte: Type.Optional(
              Type.String({ maxLength: 32, description: 'Decimal; needs `currency`.' }),
            ),
            q: Type.Optional(
              Type.String({ minLength: 1, maxLength: 100, description: 'Text in the note.' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { data: Type.Array(HistoryEntrySchema), has_more: Type.Boolean() },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const query = request.query;
      if (query.starting_after !== undefined && query.ending_before !== undefined) {
        throw new ProblemError('validation_failed', {
          param: 'ending_before',
          detail: 'Give starting_after or ending_before, not both.',
        });
      }
      const page = await deps.history.list(
        authOf(request).user.id,
        {
          limit: query.limit,
          startingAfter: query.starting_after,
          endingBefore: query.ending_before,
        },
        {
          type: query.type,
          status: query.status,
          direction: query.direction,
          counterpartyId: query.counterparty,
          currency: query.currency,
          createdGte: query.created_gte === undefined ? undefined : new Date(query.created_gte),
          createdLt: query.created_lt === undefined ? undefined : new Date(query.created_lt),
          amountMinorGte: amountFilter(query.amount_gte, query.currency, 'amount_gte'),
          amountMinorLte: amountFilter(query.amount_lte, query.currency, 'amount_lte'),
          noteContains: query.q,
        },
      );
      return { data: page.data.map(historyEntryJson), has_more: page.hasMore };
    },
  );
}
