import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  Accepted,
  contextOf,
  errorResponses,
  Login,
  OneTimeCode,
  problemOf,
  typed,
  UserSchema,
  userJson,
  type IdentityRouteDeps,
} from './shared.js';

export function verifyContactRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).post(
    '/v1/auth/verify-contact',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Verify the phone or email with the code that was sent to it',
        body: Type.Object({ login: Login, code: OneTimeCode }, { additionalProperties: false }),
        response: {
          200: Type.Object({ user: UserSchema }, { additionalProperties: false }),
          ...errorResponses(
            'login_invalid',
            'verification_code_invalid',
            'contact_already_verified',
            'too_many_attempts',
          ),
        },
      },
    },
    async (request) => {
      const { login, code } = request.body;
      const result = await deps.identity.verifyContact(login, code, contextOf(request));
      if (!result.ok) throw problemOf(result);
      return { user: userJson(result.user) };
    },
  );

  typed(app).post(
    '/v1/auth/verify-contact/resend',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Send a new verification code',
        description:
          'Answers 202 whether or not the login exists, so that it cannot be used to find accounts.',
        body: Type.Object({ login: Login }, { additionalProperties: false }),
        response: { 202: Accepted, ...errorResponses('login_invalid', 'too_many_attempts') },
      },
    },
    async (request, reply) => {
      const result = await deps.identity.resendVerification(request.body.login);
      if (!result.ok) throw problemOf(result);
      return reply.code(202).send({ status: 'accepted' as const });
    },
  );
}
