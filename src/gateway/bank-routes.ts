import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { BankProblemError } from './bank-codes.js';
import { cardToWire, movementToWire, statementToWire } from './codec.js';
import type { MovementKind } from './port.js';
import type { BankContext, BankTypeProvider } from './sandbox-bank.js';
import { sleep } from './sleep.js';
import { buildStatement, statementCsv } from './statement.js';
import {
  BANK_PATH_PREFIX,
  CardRequestSchema,
  CardSchema,
  MovementParamsSchema,
  MovementRequestSchema,
  MovementSchema,
  StatementParamsSchema,
  StatementQuerySchema,
  StatementSchema,
} from './wire.js';

/** The bank's API as a card gateway: cards, charges, payouts and daily statements. */
export function bankRoutes(ctx: BankContext): FastifyPluginAsync {
  return async (app) => {
    cardRoute(app, ctx);
    movementRoutes(app, ctx, 'charge');
    movementRoutes(app, ctx, 'payout');
    statementRoute(app, ctx);
  };
}

function typed(app: FastifyInstance) {
  return app.withTypeProvider<BankTypeProvider>();
}

function cardRoute(app: FastifyInstance, ctx: BankContext): void {
  typed(app).post(
    `${BANK_PATH_PREFIX}/cards`,
    { schema: { body: CardRequestSchema, response: { 201: CardSchema } } },
    async (request, reply) => {
      const body = request.body;
      const outcome = ctx.state.tokenize({
        number: body.number,
        expMonth: body.exp_month,
        expYear: body.exp_year,
        cvc: body.cvc,
        holderName: body.holder_name,
      });
      if (!outcome.ok) throw new BankProblemError(outcome.code, outcome.detail, outcome.param);
      return reply.code(201).send(cardToWire(outcome.card));
    },
  );
}

/**
 * `POST` creates a movement, or answers with the one already created for the same reference
 * (201 the first time, 200 after). `GET` reads one by id.
 */
function movementRoutes(app: FastifyInstance, ctx: BankContext, kind: MovementKind): void {
  const path = `${BANK_PATH_PREFIX}/${kind}s`;
  typed(app).post(
    path,
    {
      schema: {
        body: MovementRequestSchema,
        response: { 200: MovementSchema, 201: MovementSchema },
      },
    },
    async (request, reply) => {
      const outcome = ctx.state.createMovement(kind, {
        reference: request.body.reference,
        cardToken: request.body.card_token,
        amount: request.body.amount,
      });
      if (!outcome.ok) throw new BankProblemError(outcome.code, outcome.detail, outcome.param);
      const { movement, created } = outcome;
      if (created) ctx.started(movement);
      // A timeout card's first answer is held back; the movement itself goes ahead.
      if (created && movement.holdAnswer) await sleep(ctx.holdAnswerMs, ctx.closing);
      return reply.code(created ? 201 : 200).send(movementToWire(movement));
    },
  );
  typed(app).get(
    `${path}/:id`,
    { schema: { params: MovementParamsSchema, response: { 200: MovementSchema } } },
    async (request) => {
      const movement = ctx.state.movement(kind, request.params.id);
      if (movement === undefined)
        throw new BankProblemError('not_found', `No ${kind} has this id.`);
      return movementToWire(movement);
    },
  );
}

function statementRoute(app: FastifyInstance, ctx: BankContext): void {
  typed(app).get(
    `${BANK_PATH_PREFIX}/statements/:date`,
    {
      schema: {
        params: StatementParamsSchema,
        querystring: StatementQuerySchema,
        // Two media types, so the serializer leaves the CSV text alone.
        response: {
          200: {
            content: {
              'application/json': { schema: StatementSchema },
              'text/csv': { schema: Type.String() },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const { date } = request.params;
      const statement = buildStatement(ctx.state.movements(), date, ctx.clock.nowMs());
      if (statement === undefined) {
        throw new BankProblemError('date_invalid', 'A date is YYYY-MM-DD (a UTC day).', 'date');
      }
      if (request.query.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="statement-${date}.csv"`)
          .send(statementCsv(statement));
      }
      return statementToWire(statement);
    },
  );
}
