import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authOf } from '../../auth.js';
import { typed } from '../identity/shared.js';
import { errorResponses, type WalletRouteDeps } from './shared.js';

const RecipientSchema = Type.Object(
  {
    id: Type.String(),
    display_name: Type.String(),
    avatar_url: Type.Union([Type.String(), Type.Null()]),
    real_name: Type.Union([Type.String(), Type.Null()], {
      description: 'Masked (*三): shown so the payer can check the person before paying.',
    }),
    verified: Type.Boolean({ description: 'Real name verified (tier 2 or 3).' }),
    paid_before: Type.Boolean(),
  },
  { title: 'Recipient', additionalProperties: false },
);

export function recipientsRoute(app: FastifyInstance, deps: WalletRouteDeps): void {
  typed(app).get(
    '/v1/recipients',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'Find who to pay by phone number, email or user id',
        querystring: Type.Object(
          { query: Type.String({ minLength: 3, maxLength: 254 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(RecipientSchema) }, { additionalProperties: false }),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const me = authOf(request).user.id;
      const user = await deps.identity.identity.findUser(request.query.query);
      // Only people who can be paid are found; an unverified account stays invisible.
      if (user === undefined || !user.contactVerified || user.id === me) return { data: [] };
      const [kyc, paid] = await Promise.all([
        deps.identity.kyc.status(user.id),
        deps.wallet.hasPaid(me, user.id),
      ]);
      return {
        data: [
          {
            id: user.id,
            display_name: user.displayName,
            avatar_url: user.avatarUrl,
            real_name: kyc.realNameMasked,
            verified: kyc.tier >= 2,
            paid_before: paid,
          },
        ],
      };
    },
  );
}
