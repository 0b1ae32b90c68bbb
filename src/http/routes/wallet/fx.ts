import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  formatRate,
  FX_QUOTE_TTL_MS,
  FX_SPREAD_BPS_MAX,
  type FxConversion,
  type FxQuote,
  type FxQuoteRequest,
  type FxRate,
} from '../../../wallet/index.js';
import { identityCodes } from '../../../identity/index.js';
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
} from './shared.js';

export type FxRouteDeps = WalletRouteDeps;

const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$', examples: ['CNY'] });
const MidRate = Type.String({
  pattern: '^(0|[1-9][0-9]{0,8})(\\.[0-9]{1,12})?$',
  examples: ['7.2345'],
  description: 'How many units of `quote` one unit of `base` is worth: an exact decimal.',
});
const RateText = Type.String({
  description:
    'Units of the bought currency one unit of the sold currency gets, spread included; rounded down to 10 decimals for display (the amounts are exact).',
});
const SpreadBps = Type.Integer({
  minimum: 0,
  maximum: FX_SPREAD_BPS_MAX,
  description: 'What the house keeps of each conversion, in basis points (30 = 0.30%).',
});

const RateSchema = Type.Object(
  {
    base: Type.String(),
    quote: Type.String(),
    mid: Type.String(),
    spread_bps: Type.Integer(),
    base_to_quote: Type.String({ description: 'What 1 base gets in quote, spread included.' }),
    quote_to_base: Type.String({ description: 'What 1 quote gets in base, spread included.' }),
    set_at: Timestamp,
  },
  { title: 'FxRate', additionalProperties: false },
);

const QuoteSchema = Type.Object(
  {
    id: Type.String({ pattern: '^fxq_[0-9A-HJKMNP-TV-Z]{26}$' }),
    sell: MoneySchema,
    buy: MoneySchema,
    fixed: Type.Union([Type.Literal('sell'), Type.Literal('buy')], {
      description:
        'Which amount the user asked for; the other is computed and rounded in the house’s favour.',
    }),
    rate: RateText,
    spread_bps: Type.Integer(),
    created_at: Timestamp,
    expires_at: Timestamp,
  },
  { title: 'FxQuote', additionalProperties: false },
);

const ConversionSchema = Type.Object(
  {
    id: Type.String({ pattern: '^trf_[0-9A-HJKMNP-TV-Z]{26}$' }),
    quote_id: Type.String(),
    sell: MoneySchema,
    buy: MoneySchema,
    rate: RateText,
    status: Type.Literal('completed'),
    created_at: Timestamp,
  },
  { title: 'FxConversion', additionalProperties: false },
);

const QuoteBody = Type.Object(
  {
    sell: Type.Optional(MoneySchema),
    buy_currency: Type.Optional(CurrencyCode),
    buy: Type.Optional(MoneySchema),
    sell_currency: Type.Optional(CurrencyCode),
  },
  {
    additionalProperties: false,
    description:
      'Either `sell` and `buy_currency` (how much to sell), or `buy` and `sell_currency` (how much to receive).',
  },
);

function rateJson(r: FxRate): Static<typeof RateSchema> {
  return {
    base: r.base,
    quote: r.quote,
    mid: r.mid,
    spread_bps: r.spreadBps,
    base_to_quote: formatRate(r.baseToQuote),
    quote_to_base: formatRate(r.quoteToBase),
    set_at: r.setAt.toISOString(),
  };
}

function quoteJson(q: FxQuote): Static<typeof QuoteSchema> {
  return {
    id: q.id,
    sell: moneyJson(q.sell.amountMinor, q.sell.currency),
    buy: moneyJson(q.buy.amountMinor, q.buy.currency),
    fixed: q.fixed,
    rate: formatRate(q.rate),
    spread_bps: q.spreadBps,
    created_at: q.createdAt.toISOString(),
    expires_at: q.expiresAt.toISOString(),
  };
}

function conversionJson(c: FxConversion): Static<typeof ConversionSchema> {
  return {
    id: c.id,
    quote_id: c.quoteId,
    sell: moneyJson(c.sell.amountMinor, c.sell.currency),
    buy: moneyJson(c.buy.amountMinor, c.buy.currency),
    rate: formatRate(c.rate),
    status: c.status,
    created_at: c.createdAt.toISOString(),
  };
}

/** Rates, quotes and conversions for users; setting rates for operators. */
export function fxRoutes(app: FastifyInstance, deps: FxRouteDeps): void {
  userFxRoutes(app, deps);
  adminFxRoutes(app, deps);
}

function userFxRoutes(app: FastifyInstance, deps: FxRouteDeps): void {
  const api = typed(app);
  api.get(
    '/v1/fx/rates',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'Current exchange rates between the enabled currencies',
        response: {
          200: Type.Object({ data: Type.Array(RateSchema) }, { additionalProperties: false }),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async () => ({ data: (await deps.fx.currentRates()).map(rateJson) }),
  );

  api.post(
    '/v1/fx/quotes',
    {
      config: { auth: 'user', idempotency: 'optional' },
      schema: {
        tags: ['wallet'],
        summary: `Get a price for a conversion, locked for ${FX_QUOTE_TTL_MS / 1000} seconds`,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: QuoteBody,
        response: {
          201: QuoteSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'currency_not_enabled',
            'fx_same_currency',
            'fx_rate_unavailable',
            'fx_amount_too_small',
            'fx_amount_too_large',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.fx.quote(authOf(request).user.id, quoteRequest(request.body));
      if (!result.ok) throw walletProblem(result);
      return reply.code(201).send(quoteJson(result.quote));
    },
  );

  api.post(
    '/v1/conversions',
    {
      config: { auth: 'user', idempotency: 'required' },
      schema: {
        tags: ['wallet'],
        summary: 'Convert between the user’s own wallets at a quoted price',
        description:
          'Both legs (the sold currency out, the bought currency in) commit together or not at all. No payment PIN and no payment limit: the money stays the user’s.',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: Type.Object(
          { quote_id: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
        response: {
          201: ConversionSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'fx_quote_not_found',
            'fx_quote_expired',
            'fx_quote_used',
            'currency_not_enabled',
            'insufficient_funds',
            'wallet_frozen',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.fx.convert(
        authOf(request).user.id,
        request.body.quote_id,
        String(request.headers['idempotency-key']),
      );
      if (!result.ok) throw walletProblem(result);
      return reply.code(201).send(conversionJson(result.conversion));
    },
  );
}

/** The body names one of two requests; any other combination of fields is refused. */
function quoteRequest(body: Static<typeof QuoteBody>): FxQuoteRequest {
  const { sell, buy_currency, buy, sell_currency } = body;
  if (sell !== undefined && buy_currency !== undefined && buy === undefined) {
    if (sell_currency === undefined) {
      return { sell: positiveMoney(sell, 'sell'), buyCurrency: buy_currency };
    }
  } else if (buy !== undefined && sell_currency !== undefined && sell === undefined) {
    if (buy_currency === undefined) {
      return { buy: positiveMoney(buy, 'buy'), sellCurrency: sell_currency };
    }
  }
  throw new ProblemError('validation_failed', {
    param: sell === undefined ? 'buy' : 'sell',
    detail: 'Send either sell and buy_currency, or buy and sell_currency.',
  });
}

/**
 * Only an admin operator whose session passed a second factor sets rates: a rate is a price
 * every user pays, so it gets the back office's strictest role.
 */
async function requireRateSetter(request: FastifyRequest, deps: FxRouteDeps): Promise<string> {
  const auth = authOf(request);
  const role = await deps.identity.operatorRole(auth.user.id);
  if (role !== 'admin') {
    throw new ProblemError('operator_required', {
      spec: identityCodes.operator_required,
      ...(role === null ? {} : { detail: 'Setting exchange rates needs the admin role.' }),
    });
  }
  if (auth.session.method === 'password') {
    throw new ProblemError('operator_mfa_required', { spec: identityCodes.operator_mfa_required });
  }
  return auth.user.id;
}

function adminFxRoutes(app: FastifyInstance, deps: FxRouteDeps): void {
  typed(app).put(
    '/v1/admin/fx-rates',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['admin'],
        summary: 'Set the current rate and spread of a currency pair (admin operators)',
        description: 'The previous rate stays in the history; quotes already given keep theirs.',
        body: Type.Object(
          { base: CurrencyCode, quote: CurrencyCode, mid: MidRate, spread_bps: SpreadBps },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              base: Type.String(),
              quote: Type.String(),
              mid: Type.String(),
              spread_bps: Type.Integer(),
              set_by: Type.Union([Type.String(), Type.Null()]),
              set_at: Timestamp,
            },
            { title: 'FxRateSet', additionalProperties: false },
          ),
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'operator_required',
            'operator_mfa_required',
            'currency_not_enabled',
            'fx_same_currency',
            'fx_rate_out_of_range',
            'fx_spread_out_of_range',
          ),
        },
      },
    },
    async (request) => {
      const operatorId = await requireRateSetter(request, deps);
      const body = request.body;
      const result = await deps.fx.setRate(operatorId, {
        base: body.base,
        quote: body.quote,
        mid: body.mid,
        spreadBps: body.spread_bps,
      });
      if (!result.ok) throw walletProblem(result);
      const r = result.rate;
      return {
        base: r.base,
        quote: r.quote,
        mid: r.mid,
        spread_bps: r.spreadBps,
        set_by: r.setBy,
        set_at: r.setAt.toISOString(),
      };
    },
  );
}
