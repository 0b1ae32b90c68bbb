import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { formatAmount } from '../../../money/index.js';
import { authOf } from '../../auth.js';
import { errorResponses, typed, type IdentityRouteDeps } from './shared.js';

const Amount = Type.String({ description: 'CNY, in yuan: "1000.00".' });
const capFields = { cap: Amount, used: Amount, remaining: Amount };
const Cap = Type.Object(capFields, { additionalProperties: false });
const Period = Type.Object(
  { kind: Type.Union([Type.Literal('lifetime'), Type.Literal('year')]), ...capFields },
  { additionalProperties: false },
);

export function paymentLimitsRoute(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).get(
    '/v1/me/limits',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'The payment limits of the user’s tier and what is left of them',
        response: {
          200: Type.Object(
            {
              tier: Type.Integer({ minimum: 1, maximum: 3 }),
              currency: Type.Literal('CNY'),
              per_transaction: Amount,
              daily: Cap,
              period: Period,
            },
            { title: 'PaymentLimits', additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const left = await deps.paymentLimits.remaining(authOf(request).user.id);
      const cny = (minor: bigint) => formatAmount(minor, 'CNY');
      const cap = (c: { capMinor: bigint; usedMinor: bigint; remainingMinor: bigint }) => ({
        cap: cny(c.capMinor),
        used: cny(c.usedMinor),
        remaining: cny(c.remainingMinor),
      });
      return {
        tier: left.tier,
        currency: 'CNY' as const,
        per_transaction: cny(left.perTransactionMinor),
        daily: cap(left.daily),
        period: { kind: left.period.kind, ...cap(left.period) },
      };
    },
  );
}
