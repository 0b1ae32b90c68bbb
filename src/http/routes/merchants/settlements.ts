import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { limits } from '../../../limits.js';
import type { Settlement, Settlements } from '../../../merchants/index.js';
import { merchantOf } from '../../auth.js';
import { typed } from '../identity/shared.js';
import { MoneySchema, moneyJson, Timestamp } from '../wallet/shared.js';
import { API_KEY_ERRORS, errorResponses, ListQuery } from './shared.js';

const SettlementSchema = Type.Object(
  {
    id: Type.String({ pattern: '^stl_[0-9A-HJKMNP-TV-Z]{26}$' }),
    day: Type.String({
      format: 'date',
      description: 'The settled day, in the deployment’s time zone.',
    }),
    gross: MoneySchema,
    fees: MoneySchema,
    refunds: MoneySchema,
    net: Type.Object(
      { amount: Type.String(), currency: Type.String() },
      { description: 'gross − fees − refunds; paid out to the settlement card when positive.' },
    ),
    payment_count: Type.Integer(),
    refund_count: Type.Integer(),
    status: Type.Union([
      Type.Literal('empty'),
      Type.Literal('processing'),
      Type.Literal('pending'),
      Type.Literal('paid'),
      Type.Literal('failed'),
    ]),
    failure_code: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
    paid_at: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'Settlement', additionalProperties: false },
);

function settlementJson(s: Settlement): Static<typeof SettlementSchema> {
  const negative = s.netMinor < 0n;
  const net = moneyJson(negative ? -s.netMinor : s.netMinor, s.currency);
  return {
    id: s.id,
    day: s.day,
    gross: moneyJson(s.grossMinor, s.currency),
    fees: moneyJson(s.feesMinor, s.currency),
    refunds: moneyJson(s.refundsMinor, s.currency),
    net: negative ? { ...net, amount: `-${net.amount}` } : net,
    payment_count: s.paymentCount,
    refund_count: s.refundCount,
    status: s.status,
    failure_code: s.failureCode,
    created_at: s.createdAt.toISOString(),
    paid_at: s.paidAt?.toISOString() ?? null,
  };
}

/** T+1 settlements of the calling merchant, with the day's gross, fees, refunds and net. */
export function settlementRoutes(app: FastifyInstance, settlements: Settlements): void {
  typed(app).get(
    '/v1/settlements',
    {
      config: { auth: 'merchant', scope: 'settlements:read' },
      schema: {
        tags: ['merchant API'],
        summary: 'Daily settlements (T+1), newest first',
        querystring: ListQuery,
        response: {
          200: Type.Object({ data: Type.Array(SettlementSchema), has_more: Type.Boolean() }),
          ...errorResponses(...API_KEY_ERRORS),
        },
      },
    },
    async (request) => {
      const page = await settlements.list(merchantOf(request).merchant.id, {
        limit: request.query.limit ?? limits.pageSizeDefault,
        startingAfter: request.query.starting_after,
      });
      return { data: page.data.map(settlementJson), has_more: page.hasMore };
    },
  );
}
