import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authOf } from '../../auth.js';
import { typed } from '../identity/shared.js';
import { errorResponses, MoneySchema, moneyJson, type WalletRouteDeps } from './shared.js';

const WalletSchema = Type.Object(
  {
    currency: Type.String(),
    available: MoneySchema,
    pending: MoneySchema,
    total: MoneySchema,
  },
  { title: 'Wallet', additionalProperties: false },
);

export function walletsRoute(app: FastifyInstance, deps: WalletRouteDeps): void {
  typed(app).get(
    '/v1/wallets',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'Balances of the signed-in user, one wallet per currency',
        description:
          'available = what can be spent now; pending = money on its way in or out (holds); total = posted balance.',
        response: {
          200: Type.Object({ data: Type.Array(WalletSchema) }, { additionalProperties: false }),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const balances = await deps.wallet.balances(authOf(request).user.id);
      return {
        data: balances.map((b) => ({
          currency: b.currency,
          available: moneyJson(b.availableMinor, b.currency),
          pending: moneyJson(b.pendingMinor, b.currency),
          total: moneyJson(b.totalMinor, b.currency),
        })),
      };
    },
  );
}
