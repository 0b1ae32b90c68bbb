import { Type, type Static, type TObject } from '@sinclair/typebox';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyRequest,
  FastifySchema,
  RouteHandlerMethod,
  RouteShorthandOptions,
} from 'fastify';
import { limits } from '../../../limits.js';
import {
  API_KEY_SCOPES,
  intentCode,
  MERCHANT_EVENT_TYPES,
  type ApiKey,
  type Merchant,
  type Sales,
  type SalesDay,
  type SalesTotals,
} from '../../../merchants/index.js';
import { merchantOf, requireSession } from '../../auth.js';
import { ProblemError } from '../../problem.js';
import { typed } from '../identity/shared.js';
import { MoneySchema, moneyJson } from '../wallet/shared.js';
import {
  errorResponses,
  intentJson,
  IntentSchema,
  ListQuery,
  MerchantId,
  merchantProblem,
  type MerchantRouteDeps,
} from './shared.js';

/**
 * The merchant portal's way into the merchant API. Merchant routes take only API keys; the
 * portal is used by the merchant's owner, signed in with a user session. So every merchant API
 * route (`auth: 'merchant'`) is registered a second time under `PORTAL_PREFIX`, without its
 * `/v1`: `POST /v1/refunds` is also `POST /v1/portal/merchants/{merchant_id}/refunds`. There the
 * caller must be a session (cookie with the CSRF token on unsafe methods, or a bearer session
 * token; never an API key) of the user who owns that merchant, and then acts as the merchant
 * with every scope. Anyone else's merchant answers 404 like an unknown one.
 *
 * The copies are left out of the OpenAPI document (they are the merchant API routes, documented
 * once); the routes only the portal has (sales summary, filtered payments, event types) are
 * tagged `portal`.
 */
export const PORTAL_PREFIX = '/v1/portal/merchants/:merchant_id';

export interface PortalDeps extends MerchantRouteDeps {
  readonly sales: Sales;
}

const ByMerchant = Type.Object({ merchant_id: MerchantId }, { additionalProperties: false });
const MERCHANT_ID_PATTERN = /^mch_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The portal: `registerMerchantApi` adds the merchant API routes, of which it keeps the copies. */
export function portalPlugin(
  deps: PortalDeps,
  registerMerchantApi: (app: FastifyInstance) => void,
): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (request) => {
      request.merchant = await ownerPrincipal(request, deps);
    });
    registerMerchantApi(merchantRoutesOnly(app));
    portalRoutes(app, deps);
  };
}

/** The signed-in owner acting as the merchant of the path, with a key of every scope. */
async function ownerPrincipal(request: FastifyRequest, deps: PortalDeps) {
  const { user } = requireSession(request);
  const merchantId = (request.params as { merchant_id?: string }).merchant_id ?? '';
  const merchant = MERCHANT_ID_PATTERN.test(merchantId)
    ? await deps.merchants.getOwned(user.id, merchantId)
    : undefined;
  if (merchant === undefined) {
    throw merchantProblem({ ok: false, code: 'merchant_not_found', param: 'merchant_id' });
  }
  return { key: ownerKey(user.id, merchant), merchant };
}

/**
 * Not a stored key: its id names the user (`portal:<user id>`), so that nothing can mistake it
 * for one. No route reads the mode; keys of either mode reach the same merchant.
 */
function ownerKey(userId: string, merchant: Merchant): ApiKey {
  return {
    id: `portal:${userId}`,
    merchantId: merchant.id,
    mode: 'live',
    last4: '',
    name: 'portal',
    scopes: API_KEY_SCOPES,
    createdAt: merchant.createdAt,
    lastUsedAt: null,
    revokedAt: null,
  };
}

type Shorthand = (
  url: string,
  options: RouteShorthandOptions,
  handler: RouteHandlerMethod,
) => FastifyInstance;
const SHORTHANDS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/**
 * A view of `app` on which route modules register as usual, but only their merchant API routes
 * are kept, each without its `/v1`, with `merchant_id` added to its path parameters and hidden
 * from the OpenAPI document.
 */
function merchantRoutesOnly(app: FastifyInstance): FastifyInstance {
  const view: FastifyInstance = new Proxy(app, {
    get(target, property) {
      if (property === 'withTypeProvider') return () => view;
      if (typeof property === 'string' && SHORTHANDS.has(property)) {
        const add = (Reflect.get(target, property, target) as Shorthand).bind(target);
        return (url: string, options: RouteShorthandOptions, handler: RouteHandlerMethod) => {
          if (options.config?.auth === 'merchant') {
            add(portalPath(url), { ...options, schema: portalSchema(options.schema) }, handler);
          }
          return view;
        };
      }
      return Reflect.get(target, property, target);
    },
  });
  return view;
}

function portalPath(url: string): string {
  if (!url.startsWith('/v1/')) throw new Error(`merchant route ${url} is not under /v1/`);
  return url.slice('/v1'.length);
}

function portalSchema(schema: FastifySchema | undefined): FastifySchema {
  const params = schema?.params as TObject | undefined;
  return {
    ...schema,
    hide: true,
    params:
      params === undefined
        ? ByMerchant
        : Type.Composite([params, ByMerchant], { additionalProperties: false }),
  };
}

const PORTAL_ERRORS = [
  'unauthenticated',
  'session_expired',
  'csrf_token_invalid',
  'merchant_not_found',
] as const;

const SignedMoney = Type.Object(
  { amount: Type.String({ description: 'May be negative.' }), currency: Type.String() },
  { additionalProperties: false },
);

const totalsProperties = {
  gross: MoneySchema,
  fees: MoneySchema,
  refunds: MoneySchema,
  net: SignedMoney,
  payment_count: Type.Integer(),
  refund_count: Type.Integer(),
};

const DaySchema = Type.Object(
  { day: Type.String({ format: 'date' }), ...totalsProperties },
  { title: 'SalesDay', additionalProperties: false },
);

const SummarySchema = Type.Object(
  {
    currency: Type.String(),
    today: DaySchema,
    month: Type.Object(
      { month: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$' }), ...totalsProperties },
      { additionalProperties: false },
    ),
    days: Type.Array(DaySchema, { description: 'Every day of this month so far, oldest first.' }),
  },
  { title: 'SalesSummary', additionalProperties: false },
);

function totalsJson(t: SalesTotals, currency: string) {
  const net = moneyJson(t.netMinor < 0n ? -t.netMinor : t.netMinor, currency);
  return {
    gross: moneyJson(t.grossMinor, currency),
    fees: moneyJson(t.feesMinor, currency),
    refunds: moneyJson(t.refundsMinor, currency),
    net: t.netMinor < 0n ? { ...net, amount: `-${net.amount}` } : net,
    payment_count: t.paymentCount,
    refund_count: t.refundCount,
  };
}

const dayJson = (d: SalesDay, currency: string): Static<typeof DaySchema> => ({
  day: d.day,
  ...totalsJson(d, currency),
});

const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });

const PaymentsQuery = Type.Composite(
  [
    ListQuery,
    Type.Object({
      status: Type.Optional(IntentSchema.properties.status),
      from: Type.Optional(Day),
      to: Type.Optional(Day),
    }),
  ],
  { additionalProperties: false },
);

/** A real calendar day, or a validation problem naming `param`. */
function calendarDay(text: string | undefined, param: string): string | undefined {
  if (text === undefined) return undefined;
  const date = new Date(`${text}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text) {
    throw new ProblemError('validation_failed', { param, detail: 'Not a calendar day.' });
  }
  return text;
}

/** What only the portal has: the sales summary, filtered payments and the event types. */
function portalRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const api = typed(app);

  api.get(
    '/sales-summary',
    {
      config: { auth: 'merchant', scope: 'payment_intents:read' },
      schema: {
        tags: ['portal'],
        summary: 'Takings of today and of this month, with a total per day (merchant portal)',
        description:
          'Counted like settlements, in the deployment’s time zone: gross and fees of the payments paid that day, refunds that succeeded that day, net = gross − fees − refunds.',
        params: ByMerchant,
        response: { 200: SummarySchema, ...errorResponses(...PORTAL_ERRORS) },
      },
    },
    async (request) => {
      const { merchant } = merchantOf(request);
      const summary = await deps.sales.summary(merchant.id);
      const currency = merchant.currency;
      return {
        currency,
        today: dayJson(summary.today, currency),
        month: { month: summary.month, ...totalsJson(summary.monthTotals, currency) },
        days: summary.days.map((d) => dayJson(d, currency)),
      };
    },
  );

  api.get(
    '/payments',
    {
      config: { auth: 'merchant', scope: 'payment_intents:read' },
      schema: {
        tags: ['portal'],
        summary: 'Payment intents by status and creation day, newest first (merchant portal)',
        params: ByMerchant,
        querystring: PaymentsQuery,
        response: {
          200: Type.Object({ data: Type.Array(IntentSchema), has_more: Type.Boolean() }),
          ...errorResponses(...PORTAL_ERRORS),
        },
      },
    },
    async (request) => {
      const { merchant } = merchantOf(request);
      const query = request.query;
      const page = await deps.sales.listPayments(merchant.id, {
        status: query.status,
        fromDay: calendarDay(query.from, 'from'),
        toDay: calendarDay(query.to, 'to'),
        limit: query.limit ?? limits.pageSizeDefault,
        startingAfter: query.starting_after,
      });
      return {
        data: page.data.map((intent) =>
          intentJson(intent, {
            paymentLink: `${deps.publicUrl}/pay/${intent.id}`,
            qrPayload: intentCode(merchant, intent),
          }),
        ),
        has_more: page.hasMore,
      };
    },
  );

  api.get(
    '/webhook-event-types',
    {
      config: { auth: 'merchant', scope: 'webhooks:read' },
      schema: {
        tags: ['portal'],
        summary: 'The event types a webhook endpoint can subscribe to (merchant portal)',
        params: ByMerchant,
        response: {
          200: Type.Object({ data: Type.Array(Type.String()) }),
          ...errorResponses(...PORTAL_ERRORS),
        },
      },
    },
    async () => ({ data: [...MERCHANT_EVENT_TYPES] }),
  );
}
