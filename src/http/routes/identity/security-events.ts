import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { limits } from '../../../limits.js';
import { authOf } from '../../auth.js';
import { errorResponses, Timestamp, typed, type IdentityRouteDeps } from './shared.js';

const EventSchema = Type.Object(
  {
    id: Type.String(),
    action: Type.String({ description: 'e.g. login.succeeded, login.failed, password.changed' }),
    occurred_at: Timestamp,
    ip: Type.Union([Type.String(), Type.Null()]),
    detail: Type.Record(
      Type.String(),
      Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
    ),
  },
  { title: 'SecurityEvent', additionalProperties: false },
);

export function securityEventsRoute(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).get(
    '/v1/me/security-events',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary:
          'Security events of the signed-in user (sign-ins, password and MFA changes), newest first',
        querystring: Type.Object(
          {
            limit: Type.Integer({
              minimum: 1,
              maximum: limits.pageSizeMax,
              default: limits.pageSizeDefault,
            }),
            starting_after: Type.Optional(Type.String({ pattern: '^aud_[0-9A-HJKMNP-TV-Z]{26}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { data: Type.Array(EventSchema), has_more: Type.Boolean() },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const { limit, starting_after } = request.query;
      const page = await deps.identity.securityEvents(authOf(request).user.id, {
        limit,
        ...(starting_after === undefined ? {} : { startingAfter: starting_after }),
      });
      return {
        data: page.data.map((e) => ({
          id: e.id,
          action: e.action,
          occurred_at: e.occurredAt.toISOString(),
          ip: e.ip,
          detail: e.detail,
        })),
        has_more: page.hasMore,
      };
    },
  );
}
