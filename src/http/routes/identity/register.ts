import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  contextOf,
  DisplayName,
  errorResponses,
  LocaleSchema,
  Password,
  problemOf,
  Timestamp,
  typed,
  UserSchema,
  userJson,
  type IdentityRouteDeps,
} from './shared.js';

const Body = Type.Object(
  {
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    password: Password,
    display_name: DisplayName,
    locale: LocaleSchema,
  },
  { additionalProperties: false },
);

const Created = Type.Object(
  {
    user: UserSchema,
    verification: Type.Object(
      {
        channel: Type.Union([Type.Literal('sms'), Type.Literal('email')]),
        sent_to: Type.String(),
        expires_at: Timestamp,
      },
      { additionalProperties: false },
    ),
  },
  { title: 'Registration', additionalProperties: false },
);

export function registerRoute(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).post(
    '/v1/auth/register',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Create a user and send a verification code to the phone or email',
        body: Body,
        response: {
          201: Created,
          ...errorResponses(
            'contact_required',
            'phone_invalid',
            'email_invalid',
            'password_too_short',
            'password_too_long',
            'password_too_common',
            'password_contains_personal_info',
            'contact_already_registered',
          ),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await deps.identity.register(
        {
          phone: body.phone,
          email: body.email,
          password: body.password,
          displayName: body.display_name,
          locale: body.locale,
        },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return reply.code(201).send({
        user: userJson(result.user),
        verification: {
          channel: result.sent.channel,
          sent_to: result.sent.to,
          expires_at: result.sent.expiresAt.toISOString(),
        },
      });
    },
  );
}
