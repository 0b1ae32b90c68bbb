import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authOf } from '../../auth.js';
import {
  contextOf,
  errorResponses,
  Password,
  problemOf,
  Timestamp,
  typed,
  type IdentityRouteDeps,
} from './shared.js';

const PinStatusSchema = Type.Object(
  {
    set: Type.Boolean(),
    locked_until: Type.Union([Timestamp, Type.Null()]),
    tries_left: Type.Integer({ minimum: 0 }),
  },
  { title: 'PaymentPinStatus', additionalProperties: false },
);

export function paymentPinRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).put(
    '/v1/me/payment-pin',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Set or change the 6-digit payment PIN (needs the current password)',
        body: Type.Object(
          { pin: Type.String({ minLength: 1, maxLength: 32 }), current_password: Password },
          { additionalProperties: false },
        ),
        response: {
          204: Type.Null(),
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'pin_format_invalid',
            'pin_too_simple',
            'current_password_wrong',
            'too_many_attempts',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.pins.setPin(
        authOf(request).user.id,
        { pin: request.body.pin, currentPassword: request.body.current_password },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return reply.code(204).send(null);
    },
  );

  typed(app).get(
    '/v1/me/payment-pin',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Whether a payment PIN is set, and whether it is locked',
        response: { 200: PinStatusSchema, ...errorResponses('unauthenticated', 'session_expired') },
      },
    },
    async (request) => {
      const status = await deps.pins.status(authOf(request).user.id);
      return {
        set: status.set,
        locked_until: status.lockedUntil?.toISOString() ?? null,
        tries_left: status.triesLeft,
      };
    },
  );
}
