import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Card } from '../../../wallet/index.js';
import { authOf } from '../../auth.js';
import { typed } from '../identity/shared.js';
import { errorResponses, Timestamp, walletProblem, type WalletRouteDeps } from './shared.js';

export const CardId = Type.String({ pattern: '^crd_[0-9A-HJKMNP-TV-Z]{26}$' });

const CardSchema = Type.Object(
  {
    id: CardId,
    brand: Type.Union([
      Type.Literal('visa'),
      Type.Literal('mastercard'),
      Type.Literal('unionpay'),
      Type.Literal('amex'),
      Type.Literal('jcb'),
    ]),
    last4: Type.String({ pattern: '^[0-9]{4}$' }),
    exp_month: Type.Integer({ minimum: 1, maximum: 12 }),
    exp_year: Type.Integer(),
    created_at: Timestamp,
  },
  { title: 'Card', additionalProperties: false },
);

function cardJson(card: Card): Static<typeof CardSchema> {
  return {
    id: card.id,
    brand: card.brand,
    last4: card.last4,
    exp_month: card.expMonth,
    exp_year: card.expYear,
    created_at: card.createdAt.toISOString(),
  };
}

/**
 * The card details go to the gateway and nowhere else: they are not stored, and the route takes
 * no Idempotency-Key, because the key's request fingerprint would be an unkeyed hash of the card
 * number. Binding a card twice gives two cards; either can be removed.
 */
const BindBody = Type.Object(
  {
    number: Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'The card number; spaces or hyphens between digit groups are allowed.',
    }),
    exp_month: Type.Integer({ minimum: 1, maximum: 12 }),
    exp_year: Type.Integer({ minimum: 2000, maximum: 9999, description: 'Four digits.' }),
    cvc: Type.String({ minLength: 1, maxLength: 8 }),
    holder_name: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

export function cardRoutes(app: FastifyInstance, deps: WalletRouteDeps): void {
  const api = typed(app);
  api.post(
    '/v1/cards',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'Bind a bank card (tokenized by the payment gateway)',
        body: BindBody,
        response: {
          201: CardSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'card_number_invalid',
            'card_details_invalid',
            'card_declined',
            'card_expired',
            'card_limit_reached',
            'gateway_unavailable',
          ),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await deps.funding.bindCard(authOf(request).user.id, {
        number: body.number,
        expMonth: body.exp_month,
        expYear: body.exp_year,
        cvc: body.cvc,
        holderName: body.holder_name,
      });
      if (!result.ok) throw walletProblem(result);
      return reply.code(201).send(cardJson(result.card));
    },
  );

  api.get(
    '/v1/cards',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'The signed-in user’s bound cards, newest first',
        response: {
          200: Type.Object(
            { data: Type.Array(CardSchema), has_more: Type.Boolean() },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const cards = await deps.funding.listCards(authOf(request).user.id);
      // Every card fits on one page: a user has at most CARDS_PER_USER_MAX.
      return { data: cards.map(cardJson), has_more: false };
    },
  );

  api.delete(
    '/v1/cards/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['wallet'],
        summary: 'Remove a bound card',
        params: Type.Object({ id: CardId }, { additionalProperties: false }),
        response: {
          200: Type.Object(
            { id: CardId, deleted: Type.Literal(true) },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'csrf_token_invalid', 'card_not_found'),
        },
      },
    },
    async (request) => {
      const result = await deps.funding.removeCard(authOf(request).user.id, request.params.id);
      if (!result.ok) throw walletProblem(result);
      return { id: result.card.id, deleted: true as const };
    },
  );
}
