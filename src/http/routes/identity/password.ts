import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authOf } from '../../auth.js';
import {
  Accepted,
  contextOf,
  errorResponses,
  Login,
  OneTimeCode,
  Password,
  problemOf,
  typed,
  type IdentityRouteDeps,
} from './shared.js';

const weakPassword = [
  'password_too_short',
  'password_too_long',
  'password_too_common',
  'password_contains_personal_info',
] as const;

export function passwordRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).post(
    '/v1/me/password',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Change the password (signs out every other session)',
        body: Type.Object(
          { current_password: Password, new_password: Password },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { sessions_signed_out: Type.Integer({ minimum: 0 }) },
            { additionalProperties: false },
          ),
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'current_password_wrong',
            ...weakPassword,
          ),
        },
      },
    },
    async (request) => {
      const result = await deps.identity.changePassword(
        authOf(request),
        {
          currentPassword: request.body.current_password,
          newPassword: request.body.new_password,
        },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return { sessions_signed_out: result.revokedSessions };
    },
  );

  typed(app).post(
    '/v1/auth/password-reset',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Send a password reset code to the phone or email',
        description:
          'Answers 202 whether or not the login exists, so that it cannot be used to find accounts.',
        body: Type.Object({ login: Login }, { additionalProperties: false }),
        response: { 202: Accepted, ...errorResponses('login_invalid', 'too_many_attempts') },
      },
    },
    async (request, reply) => {
      const result = await deps.identity.requestPasswordReset(request.body.login);
      if (!result.ok) throw problemOf(result);
      return reply.code(202).send({ status: 'accepted' as const });
    },
  );

  typed(app).post(
    '/v1/auth/password-reset/confirm',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Set a new password with the reset code (signs out every session)',
        body: Type.Object(
          { login: Login, code: OneTimeCode, new_password: Password },
          { additionalProperties: false },
        ),
        response: {
          204: Type.Null(),
          ...errorResponses(
            'login_invalid',
            'verification_code_invalid',
            'too_many_attempts',
            ...weakPassword,
          ),
        },
      },
    },
    async (request, reply) => {
      const { login, code, new_password } = request.body;
      const result = await deps.identity.confirmPasswordReset(
        { login, code, newPassword: new_password },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return reply.code(204).send(null);
    },
  );
}
