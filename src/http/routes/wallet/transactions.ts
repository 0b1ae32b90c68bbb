import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { limits } from '../../../limits.js';
import { authOf } from '../../auth.js';
import { typed } from '../identity/shared.js';
import { errorResponses, TransferSchema, transferJson, type WalletRouteDeps } from './shared.js';

export function transactionsRoute(app: FastifyInstance, deps: WalletRouteDeps): void {
  typed(app).get(
    '/v1/transactions',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'The signed-in user’s transfers, sent and received, newest first',
        querystring: Type.Object(
          {
            limit: Type.Integer({
              minimum: 1,
              maximum: limits.pageSizeMax,
              default: limits.pageSizeDefault,
            }),
            starting_after: Type.Optional(Type.String({ pattern: '^trf_[0-9A-HJKMNP-TV-Z]{26}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { data: Type.Array(TransferSchema), has_more: Type.Boolean() },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      const page = await deps.wallet.listTransfers(userId, {
        limit: request.query.limit,
        startingAfter: request.query.starting_after,
      });
      return { data: page.data.map((t) => transferJson(t, userId)), has_more: page.hasMore };
    },
  );
}
