import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authOf } from '../../auth.js';
import {
  DisplayName,
  errorResponses,
  LocaleSchema,
  typed,
  UserSchema,
  userJson,
  type IdentityRouteDeps,
} from './shared.js';

const Patch = Type.Object(
  {
    display_name: Type.Optional(DisplayName),
    locale: Type.Optional(LocaleSchema),
    avatar_url: Type.Optional(
      Type.Union([
        Type.String({
          maxLength: 2048,
          pattern: '^https://[^\\s]+$',
          description: 'An https URL.',
        }),
        Type.Null(),
      ]),
    ),
    consents: Type.Optional(
      Type.Object(
        {
          marketing: Type.Optional(Type.Boolean()),
          personalised_offers: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export function meRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).get(
    '/v1/me',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'The signed-in user',
        response: { 200: UserSchema, ...errorResponses('unauthenticated', 'session_expired') },
      },
    },
    async (request) => userJson(authOf(request).user),
  );

  typed(app).patch(
    '/v1/me',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Change the display name, language, avatar or consents',
        body: Patch,
        response: {
          200: UserSchema,
          ...errorResponses('unauthenticated', 'session_expired', 'csrf_token_invalid'),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const consents = body.consents;
      const user = await deps.identity.updateProfile(authOf(request).user.id, {
        ...(body.display_name === undefined ? {} : { displayName: body.display_name }),
        ...(body.locale === undefined ? {} : { locale: body.locale }),
        ...(body.avatar_url === undefined ? {} : { avatarUrl: body.avatar_url }),
        ...(consents === undefined
          ? {}
          : {
              consents: {
                ...(consents.marketing === undefined ? {} : { marketing: consents.marketing }),
                ...(consents.personalised_offers === undefined
                  ? {}
                  : { personalisedOffers: consents.personalised_offers }),
              },
            }),
      });
      return userJson(user);
    },
  );
}
