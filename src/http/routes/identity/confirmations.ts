import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { limits } from '../../../limits.js';
import { authOf } from '../../auth.js';
import { positiveMoney } from '../../money-problems.js';
import {
  AuthenticationResponseSchema,
  PasskeyChallengeId,
  RequestOptionsSchema,
} from './passkeys.js';
import {
  contextOf,
  errorResponses,
  problemOf,
  Timestamp,
  typed,
  type IdentityRouteDeps,
} from './shared.js';

export const MoneySchema = Type.Object(
  {
    amount: Type.String({ minLength: 1, maxLength: 32, examples: ['12.50'] }),
    currency: Type.String({ minLength: 3, maxLength: 3, examples: ['CNY'] }),
  },
  { title: 'Money', additionalProperties: false },
);

const Payee = Type.String({
  minLength: 1,
  maxLength: limits.ownerLengthMax,
  description: 'Who is paid: a user id (usr_…), a merchant id (mch_…), a card id for withdrawals.',
});

const Created = Type.Object(
  {
    confirmation: Type.String({
      description: 'Send it with the payment; it works once, for this amount and payee only.',
    }),
    method: Type.Union([Type.Literal('pin'), Type.Literal('passkey')]),
    expires_at: Timestamp,
  },
  { title: 'Confirmation', additionalProperties: false },
);

/**
 * Step-up: the user confirms one payment with the payment PIN, and gets a single-use
 * confirmation bound to the amount, currency and payee (API.md, "Authentication").
 */
export function confirmationRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).post(
    '/v1/me/confirmations',
    {
      config: { auth: 'user', idempotency: 'optional' },
      schema: {
        tags: ['me'],
        summary: 'Confirm one payment with the payment PIN',
        body: Type.Object(
          { amount: MoneySchema, payee: Payee, pin: Type.String({ minLength: 1, maxLength: 32 }) },
          { additionalProperties: false },
        ),
        response: {
          201: Created,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'pin_format_invalid',
            'pin_not_set',
            'pin_wrong',
            'pin_locked',
          ),
        },
      },
    },
    async (request, reply) => {
      const money = positiveMoney(request.body.amount, 'amount');
      const result = await deps.stepUp.confirmWithPin(
        authOf(request).user.id,
        { amountMinor: money.amountMinor, currency: money.currency, payee: request.body.payee },
        request.body.pin,
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return reply.code(201).send({
        confirmation: result.token,
        method: 'pin' as const,
        expires_at: result.expiresAt.toISOString(),
      });
    },
  );

  passkeyConfirmationRoutes(app, deps);
}

function passkeyConfirmationRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).post(
    '/v1/me/confirmations/passkey-options',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Passkey options for confirming one payment',
        body: Type.Object({ amount: MoneySchema, payee: Payee }, { additionalProperties: false }),
        response: {
          200: Type.Object(
            {
              challenge_id: PasskeyChallengeId,
              expires_at: Timestamp,
              options: RequestOptionsSchema,
            },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'csrf_token_invalid', 'passkey_not_registered'),
        },
      },
    },
    async (request) => {
      const money = positiveMoney(request.body.amount, 'amount');
      const result = await deps.passkeyConfirmationOptions(authOf(request).user.id, {
        amountMinor: money.amountMinor,
        currency: money.currency,
        payee: request.body.payee,
      });
      if (!result.ok) throw problemOf(result);
      return {
        challenge_id: result.challengeId,
        expires_at: result.expiresAt.toISOString(),
        options: result.options,
      };
    },
  );

  typed(app).post(
    '/v1/me/confirmations/passkey',
    {
      config: { auth: 'user', idempotency: 'optional' },
      schema: {
        tags: ['me'],
        summary: 'Confirm one payment with a passkey',
        body: Type.Object(
          {
            amount: MoneySchema,
            payee: Payee,
            challenge_id: PasskeyChallengeId,
            response: AuthenticationResponseSchema,
          },
          { additionalProperties: false },
        ),
        response: {
          201: Created,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'passkey_challenge_invalid',
            'passkey_assertion_invalid',
            'confirmation_invalid',
          ),
        },
      },
    },
    async (request, reply) => {
      const money = positiveMoney(request.body.amount, 'amount');
      const result = await deps.confirmWithPasskey(
        authOf(request).user.id,
        { amountMinor: money.amountMinor, currency: money.currency, payee: request.body.payee },
        { challengeId: request.body.challenge_id, response: request.body.response },
      );
      if (!result.ok) throw problemOf(result);
      return reply.code(201).send({
        confirmation: result.token,
        method: 'passkey' as const,
        expires_at: result.expiresAt.toISOString(),
      });
    },
  );
}
