import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authOf } from '../../auth.js';
import {
  contextOf,
  errorResponses,
  problemOf,
  Timestamp,
  typed,
  type IdentityRouteDeps,
} from './shared.js';

const SessionSchema = Type.Object(
  {
    id: Type.String(),
    current: Type.Boolean(),
    device: Type.Object(
      { id: Type.String(), name: Type.String() },
      { additionalProperties: false },
    ),
    method: Type.String({ description: 'How the session signed in, e.g. password+totp.' }),
    ip: Type.String(),
    user_agent: Type.String(),
    created_at: Timestamp,
    last_seen_at: Timestamp,
    expires_at: Timestamp,
  },
  { title: 'Session', additionalProperties: false },
);

const DeviceSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    last_ip: Type.String(),
    created_at: Timestamp,
    last_seen_at: Timestamp,
  },
  { title: 'Device', additionalProperties: false },
);

const SessionId = Type.Object(
  { id: Type.String({ pattern: '^ses_[0-9A-HJKMNP-TV-Z]{26}$' }) },
  { additionalProperties: false },
);

export function sessionRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  const api = typed(app);
  api.get(
    '/v1/me/sessions',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'The live sessions of the signed-in user, newest first',
        response: {
          200: Type.Object(
            { data: Type.Array(SessionSchema), has_more: Type.Boolean() },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const sessions = await deps.identity.listSessions(auth.user.id);
      return {
        data: sessions.map((s) => ({
          id: s.id,
          current: s.id === auth.session.id,
          device: { id: s.deviceId, name: s.deviceName },
          method: s.method,
          ip: s.ip,
          user_agent: s.userAgent,
          created_at: s.createdAt.toISOString(),
          last_seen_at: s.lastSeenAt.toISOString(),
          expires_at: s.expiresAt.toISOString(),
        })),
        has_more: false,
      };
    },
  );

  api.delete(
    '/v1/me/sessions/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Sign a session out; it is refused from its very next request',
        params: SessionId,
        response: {
          204: Type.Null(),
          ...errorResponses('unauthenticated', 'csrf_token_invalid', 'session_not_found'),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.identity.revokeSession(
        authOf(request),
        request.params.id,
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/v1/me/sessions/sign-out-others',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Sign out every session except this one',
        response: {
          200: Type.Object(
            { sessions_signed_out: Type.Integer({ minimum: 0 }) },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'csrf_token_invalid'),
        },
      },
    },
    async (request) => {
      const result = await deps.identity.revokeOtherSessions(authOf(request), contextOf(request));
      return { sessions_signed_out: result.revoked };
    },
  );

  api.get(
    '/v1/me/devices',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'The devices that have signed in to this account, most recent first',
        response: {
          200: Type.Object(
            { data: Type.Array(DeviceSchema), has_more: Type.Boolean() },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const devices = await deps.identity.listDevices(authOf(request).user.id);
      return {
        data: devices.map((d) => ({
          id: d.id,
          name: d.name,
          last_ip: d.lastIp,
          created_at: d.createdAt.toISOString(),
          last_seen_at: d.lastSeenAt.toISOString(),
        })),
        has_more: false,
      };
    },
  );
}
