import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  isTimeZone,
  type History,
  type HistoryEntry,
  type MonthlyStatement,
  type Receipt,
  type SpendingInsights,
  type TimelineStep,
} from '../../../wallet/index.js';
import { authOf } from '../../auth.js';
import { ProblemError } from '../../problem.js';
import { typed } from '../identity/shared.js';
import { errorResponses, MoneySchema, moneyJson, Timestamp, walletProblem } from './shared.js';

/**
 * What these routes use: the history alone. Any `WalletRouteDeps & { history }` (or a
 * `WalletRouteDeps` that has `history`) is one.
 */
export interface HistoryRouteDeps {
  readonly history: History;
}

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const TransferId = Type.String({ pattern: '^trf_[0-9A-HJKMNP-TV-Z]{26}$' });
const Month = Type.String({
  pattern: '^20[0-9]{2}-(0[1-9]|1[0-2])$',
  description: 'A calendar month, YYYY-MM, in the time zone.',
});
const TimeZoneParam = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'IANA time zone where the month begins; the operator’s by default.',
  }),
);

export const HistoryTypeSchema = Type.Union([
  Type.Literal('p2p'),
  Type.Literal('topup'),
  Type.Literal('withdrawal'),
  Type.Literal('conversion'),
  Type.Literal('merchant_payment'),
  Type.Literal('refund'),
]);
export const HistoryStatusSchema = Type.Union([
  Type.Literal('processing'),
  Type.Literal('pending'),
  Type.Literal('held'),
  Type.Literal('releasing'),
  Type.Literal('cancelling'),
  Type.Literal('completed'),
  Type.Literal('cancelled'),
  Type.Literal('failed'),
]);
const CategorySchema = Type.Union(
  [
    Type.Literal('transfers'),
    Type.Literal('top_ups'),
    Type.Literal('withdrawals'),
    Type.Literal('currency_exchange'),
    Type.Literal('dining'),
    Type.Literal('groceries'),
    Type.Literal('transport'),
    Type.Literal('shopping'),
    Type.Literal('bills'),
    Type.Literal('entertainment'),
    Type.Literal('merchants'),
    Type.Literal('refunds'),
  ],
  {
    description:
      'A merchant payment’s comes from the merchant’s MCC (dining … entertainment, else merchants).',
  },
);

/** One movement of the signed-in user's history: the rows of GET /v1/transactions. */
export const HistoryEntrySchema = Type.Object(
  {
    id: TransferId,
    type: HistoryTypeSchema,
    direction: Type.Union([Type.Literal('incoming'), Type.Literal('outgoing')]),
    counterparty_id: Nullable(
      Type.String({
        description:
          'The other user (p2p), the card (topup, withdrawal), the merchant (merchant_payment, refund), or null (conversion).',
      }),
    ),
    amount: MoneySchema,
    status: HistoryStatusSchema,
    note: Nullable(Type.String()),
    category: CategorySchema,
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
    merchant_name: Nullable(
      Type.Object(
        { zh: Type.String(), en: Type.String() },
        {
          additionalProperties: false,
          description: 'The merchant’s names, for a merchant_payment or a refund.',
        },
      ),
    ),
  },
  { title: 'Transaction', additionalProperties: false },
);

export function historyEntryJson(e: HistoryEntry): Static<typeof HistoryEntrySchema> {
  return {
    id: e.id,
    type: e.type,
    direction: e.direction,
    counterparty_id: e.counterpartyId,
    amount: moneyJson(e.amountMinor, e.currency),
    status: e.status,
    note: e.note,
    category: e.category,
    created_at: e.createdAt.toISOString(),
    completed_at: e.completedAt?.toISOString() ?? null,
    merchant_name:
      e.merchantName === null ? null : { zh: e.merchantName.zh, en: e.merchantName.en },
  };
}

const TimelineStepSchema = Type.Object(
  {
    status: Type.Union([
      Type.Literal('created'),
      Type.Literal('pending'),
      Type.Literal('held'),
      Type.Literal('releasing'),
      Type.Literal('cancelling'),
      Type.Literal('completed'),
      Type.Literal('cancelled'),
      Type.Literal('failed'),
    ]),
    at: Timestamp,
    failure_code: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

const ReceiptSchema = Type.Object(
  {
    ...HistoryEntrySchema.properties,
    failure_code: Nullable(Type.String()),
    timeline: Type.Array(TimelineStepSchema, { description: 'Oldest first.' }),
    transfer: Nullable(
      Type.Object(
        {
          payer_id: Type.String(),
          payee_id: Type.String(),
          arrival: Type.String(),
          hold_reason: Nullable(Type.String()),
          release_at: Nullable(Timestamp),
        },
        { additionalProperties: false },
      ),
    ),
    card: Nullable(
      Type.Object(
        { id: Type.String(), brand: Type.String(), last4: Type.String() },
        { additionalProperties: false },
      ),
    ),
    conversion: Nullable(
      Type.Object(
        { quote_id: Type.String(), sell: MoneySchema, buy: MoneySchema },
        { additionalProperties: false },
      ),
    ),
    merchant: Nullable(
      Type.Object(
        {
          id: Type.String(),
          name_zh: Type.String(),
          name_en: Type.String(),
          payment_intent_id: Type.String({ description: 'The intent paid, or refunded.' }),
          refund_id: Nullable(Type.String({ description: 'For a refund.' })),
        },
        { additionalProperties: false, description: 'For a merchant_payment or a refund.' },
      ),
    ),
  },
  { title: 'Receipt', additionalProperties: false },
);

function stepJson(s: TimelineStep): Static<typeof TimelineStepSchema> {
  return { status: s.status, at: s.at.toISOString(), failure_code: s.failureCode };
}

function receiptJson(r: Receipt): Static<typeof ReceiptSchema> {
  const t = r.transfer;
  const c = r.conversion;
  const m = r.merchant;
  return {
    ...historyEntryJson(r.entry),
    failure_code: r.failureCode,
    timeline: r.timeline.map(stepJson),
    transfer:
      t === null
        ? null
        : {
            payer_id: t.payerId,
            payee_id: t.payeeId,
            arrival: t.arrival,
            hold_reason: t.holdReason,
            release_at: t.releaseAt?.toISOString() ?? null,
          },
    card: r.card,
    conversion:
      c === null
        ? null
        : {
            quote_id: c.quoteId,
            sell: moneyJson(c.sellAmountMinor, c.sellCurrency),
            buy: moneyJson(c.buyAmountMinor, c.buyCurrency),
          },
    merchant:
      m === null
        ? null
        : {
            id: m.id,
            name_zh: m.nameZh,
            name_en: m.nameEn,
            payment_intent_id: m.paymentIntentId,
            refund_id: m.refundId,
          },
  };
}

const TypeTotalsSchema = Type.Object(
  {
    type: Type.Union([HistoryTypeSchema, Type.Literal('other')]),
    money_in: MoneySchema,
    money_out: MoneySchema,
  },
  { additionalProperties: false },
);

const StatementSchema = Type.Object(
  {
    month: Type.String(),
    time_zone: Type.String(),
    period_start: Timestamp,
    period_end: Timestamp,
    currencies: Type.Array(
      Type.Object(
        {
          currency: Type.String(),
          opening_balance: MoneySchema,
          closing_balance: MoneySchema,
          money_in: MoneySchema,
          money_out: MoneySchema,
          by_type: Type.Array(TypeTotalsSchema),
        },
        { additionalProperties: false },
      ),
      { description: 'Posted balances from the ledger: opening + money_in − money_out = closing.' },
    ),
    transactions: Type.Array(HistoryEntrySchema, { description: 'Newest first, at most 100.' }),
    has_more: Type.Boolean({
      description: 'More movements than listed: see GET /v1/transactions or the CSV export.',
    }),
  },
  { title: 'Statement', additionalProperties: false },
);

function statementJson(s: MonthlyStatement): Static<typeof StatementSchema> {
  return {
    month: s.month,
    time_zone: s.timeZone,
    period_start: s.periodStart.toISOString(),
    period_end: s.periodEnd.toISOString(),
    currencies: s.currencies.map((c) => ({
      currency: c.currency,
      opening_balance: moneyJson(c.openingMinor, c.currency),
      closing_balance: moneyJson(c.closingMinor, c.currency),
      money_in: moneyJson(c.inMinor, c.currency),
      money_out: moneyJson(c.outMinor, c.currency),
      by_type: c.byType.map((t) => ({
        type: t.type,
        money_in: moneyJson(t.inMinor, c.currency),
        money_out: moneyJson(t.outMinor, c.currency),
      })),
    })),
    transactions: s.entries.map(historyEntryJson),
    has_more: s.hasMore,
  };
}

const InsightsSchema = Type.Object(
  {
    month: Type.String(),
    time_zone: Type.String(),
    period_start: Timestamp,
    period_end: Timestamp,
    currencies: Type.Array(
      Type.Object(
        {
          currency: Type.String(),
          total: MoneySchema,
          categories: Type.Array(
            Type.Object(
              { category: CategorySchema, amount: MoneySchema, count: Type.Integer() },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { title: 'SpendingInsights', additionalProperties: false },
);

function insightsJson(s: SpendingInsights): Static<typeof InsightsSchema> {
  return {
    month: s.month,
    time_zone: s.timeZone,
    period_start: s.periodStart.toISOString(),
    period_end: s.periodEnd.toISOString(),
    currencies: s.currencies.map((c) => ({
      currency: c.currency,
      total: moneyJson(c.totalMinor, c.currency),
      categories: c.categories.map((k) => ({
        category: k.category,
        amount: moneyJson(k.amountMinor, c.currency),
        count: k.count,
      })),
    })),
  };
}

function timeZoneOf(given: string | undefined, deps: HistoryRouteDeps): string {
  if (given === undefined) return deps.history.timeZone;
  if (!isTimeZone(given)) {
    throw new ProblemError('validation_failed', {
      param: 'time_zone',
      detail: 'Not an IANA time zone such as Asia/Shanghai.',
    });
  }
  return given;
}

function monthNotBegun(): ProblemError {
  return new ProblemError('validation_failed', {
    param: 'month',
    detail: 'The month has not begun yet.',
  });
}

/** Receipts, the CSV export, monthly statements and spending insights. */
export function historyRoutes(app: FastifyInstance, deps: HistoryRouteDeps): void {
  receiptRoute(app, deps);
  exportRoute(app, deps);
  statementRoute(app, deps);
  insightsRoute(app, deps);
}

function receiptRoute(app: FastifyInstance, deps: HistoryRouteDeps): void {
  typed(app).get(
    '/v1/transactions/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'A receipt: one movement of the signed-in user, with its status timeline',
        params: Type.Object({ id: TransferId }, { additionalProperties: false }),
        response: {
          200: ReceiptSchema,
          ...errorResponses('unauthenticated', 'session_expired', 'transfer_not_found'),
        },
      },
    },
    async (request) => {
      const receipt = await deps.history.receipt(authOf(request).user.id, request.params.id);
      if (receipt === undefined) {
        throw walletProblem({ ok: false, code: 'transfer_not_found', param: 'id' });
      }
      return receiptJson(receipt);
    },
  );
}

/** A file name from the range, in characters every file system takes. */
function exportFileName(from: Date | undefined, to: Date | undefined): string {
  const day = (d: Date | undefined, otherwise: string) =>
    d === undefined ? otherwise : d.toISOString().slice(0, 10);
  return `hebao-transactions-${day(from, 'start')}-to-${day(to, 'now')}.csv`;
}

function exportRoute(app: FastifyInstance, deps: HistoryRouteDeps): void {
  typed(app).get(
    '/v1/transactions/export.csv',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'The signed-in user’s history as a CSV file, newest first, streamed',
        description:
          'Columns: id, created_at, completed_at, type, direction, status, amount (negative when money left the wallet), currency, counterparty_id, category, note. UTF-8 with a byte order mark, CRLF line ends.',
        querystring: Type.Object(
          {
            from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive.' })),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive.' })),
          },
          { additionalProperties: false },
        ),
        response: {
          // A plain JSON schema, not TypeBox: the reply is a stream of text, not a typed value.
          200: {
            description: 'The CSV file.',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request, reply) => {
      const from = request.query.from === undefined ? undefined : new Date(request.query.from);
      const to = request.query.to === undefined ? undefined : new Date(request.query.to);
      if (from !== undefined && to !== undefined && from >= to) {
        throw new ProblemError('validation_failed', {
          param: 'to',
          detail: 'to must be after from.',
        });
      }
      const rows = deps.history.exportCsv(authOf(request).user.id, { from, to });
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${exportFileName(from, to)}"`)
        .header('cache-control', 'no-store');
      // Not in object mode: the stream then buffers bytes, not batches, before the socket drains.
      return reply.send(Readable.from(rows, { objectMode: false }));
    },
  );
}

function statementRoute(app: FastifyInstance, deps: HistoryRouteDeps): void {
  typed(app).get(
    '/v1/statements/:month',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'The monthly statement: balances, money in and out by type, the movements',
        params: Type.Object({ month: Month }, { additionalProperties: false }),
        querystring: Type.Object({ time_zone: TimeZoneParam }, { additionalProperties: false }),
        response: {
          200: StatementSchema,
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const statement = await deps.history.monthlyStatement(
        authOf(request).user.id,
        request.params.month,
        timeZoneOf(request.query.time_zone, deps),
      );
      if (statement === undefined) throw monthNotBegun();
      return statementJson(statement);
    },
  );
}

function insightsRoute(app: FastifyInstance, deps: HistoryRouteDeps): void {
  typed(app).get(
    '/v1/insights/spending',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'Money spent in a month by category, per currency',
        description:
          'Outgoing movements created in the month and completed. Refunds are incoming: they are not netted against the spending of their category.',
        querystring: Type.Object(
          { month: Month, time_zone: TimeZoneParam },
          { additionalProperties: false },
        ),
        response: {
          200: InsightsSchema,
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const insights = await deps.history.spendingInsights(
        authOf(request).user.id,
        request.query.month,
        timeZoneOf(request.query.time_zone, deps),
      );
      if (insights === undefined) throw monthNotBegun();
      return insightsJson(insights);
    },
  );
}
