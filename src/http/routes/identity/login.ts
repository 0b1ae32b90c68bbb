import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MfaRequired, SignedIn } from '../../../identity/index.js';
import { clearSessionCookies, deviceTokenOf, setSessionCookies, authOf } from '../../auth.js';
import {
  AuthenticationResponseSchema,
  PasskeyChallengeId,
  RequestOptionsSchema,
} from './passkeys.js';
import {
  contextOf,
  errorResponses,
  Login,
  Password,
  problemOf,
  Timestamp,
  typed,
  UserSchema,
  userJson,
  type IdentityRouteDeps,
} from './shared.js';

export const SignedInSchema = Type.Object(
  {
    token: Type.String({ description: 'The session token, for `Authorization: Bearer`.' }),
    csrf_token: Type.String({
      description: 'Send it as X-CSRF-Token on state-changing requests authenticated by cookie.',
    }),
    session_id: Type.String(),
    expires_at: Timestamp,
    device_token: Type.Optional(
      Type.String({
        description:
          'Only for a device new to this user: keep it and send it as the Hebao-Device header (browsers get a cookie) so the next sign-in is recognised.',
      }),
    ),
    user: UserSchema,
  },
  { title: 'SignedIn', additionalProperties: false },
);

export const MfaMethodSchema = Type.Union([
  Type.Literal('totp'),
  Type.Literal('recovery_code'),
  Type.Literal('passkey'),
]);

const MfaRequiredSchema = Type.Object(
  {
    mfa_required: Type.Literal(true),
    challenge_id: Type.String({
      description: 'Send it to POST /v1/auth/mfa with one of the methods; valid 5 minutes, once.',
    }),
    expires_at: Timestamp,
    methods: Type.Array(MfaMethodSchema, {
      description: 'The second factors this account can finish signing in with.',
    }),
    passkey_options: Type.Optional(RequestOptionsSchema),
  },
  { title: 'MfaRequired', additionalProperties: false },
);

/** Sets the session cookies of a completed sign-in and returns its body. */
export function signedInReply(
  request: FastifyRequest,
  reply: FastifyReply,
  signedIn: SignedIn,
): Static<typeof SignedInSchema> {
  setSessionCookies(request, reply, {
    token: signedIn.token,
    csrfToken: signedIn.session.csrfToken,
    createdAt: signedIn.session.createdAt,
    expiresAt: signedIn.session.expiresAt,
    newDeviceToken: signedIn.newDeviceToken,
  });
  return {
    token: signedIn.token,
    csrf_token: signedIn.session.csrfToken,
    session_id: signedIn.session.id,
    expires_at: signedIn.session.expiresAt.toISOString(),
    ...(signedIn.newDeviceToken === undefined ? {} : { device_token: signedIn.newDeviceToken }),
    user: userJson(signedIn.user),
  };
}

function mfaRequiredJson(required: MfaRequired): Static<typeof MfaRequiredSchema> {
  return {
    mfa_required: true,
    challenge_id: required.challengeId,
    expires_at: required.expiresAt.toISOString(),
    methods: [...required.methods],
    ...(required.passkeyOptions === undefined ? {} : { passkey_options: required.passkeyOptions }),
  };
}

export function loginRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).post(
    '/v1/auth/login',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a phone or email and a password',
        description:
          'With MFA on, a right password answers `mfa_required` instead of a session: finish with POST /v1/auth/mfa.',
        body: Type.Object(
          {
            login: Login,
            password: Password,
            device_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Union([SignedInSchema, MfaRequiredSchema]),
          ...errorResponses('login_invalid', 'invalid_credentials', 'login_locked'),
        },
      },
    },
    async (request, reply) => {
      const { login, password, device_name } = request.body;
      const result = await deps.identity.login(
        { login, password, device: { token: deviceTokenOf(request), name: device_name } },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return result.kind === 'mfa_required'
        ? mfaRequiredJson(result)
        : signedInReply(request, reply, result);
    },
  );

  passkeySignInRoutes(app, deps);

  typed(app).post(
    '/v1/auth/logout',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'End the current session',
        response: { 204: Type.Null(), ...errorResponses('unauthenticated', 'csrf_token_invalid') },
      },
    },
    async (request, reply) => {
      await deps.identity.logout(authOf(request), contextOf(request));
      clearSessionCookies(request, reply);
      return reply.code(204).send(null);
    },
  );
}

/** Passwordless sign-in: a discoverable passkey is both factors. */
function passkeySignInRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  const api = typed(app);
  api.post(
    '/v1/auth/passkey/options',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Start a passwordless sign-in: options for navigator.credentials.get()',
        description:
          'Any passkey of this site may answer (discoverable credentials); valid 5 minutes, once.',
        response: {
          200: Type.Object(
            {
              challenge_id: PasskeyChallengeId,
              expires_at: Timestamp,
              options: RequestOptionsSchema,
            },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async () => {
      const started = await deps.identity.passkeySignInOptions();
      return {
        challenge_id: started.challengeId,
        expires_at: started.expiresAt.toISOString(),
        options: started.options,
      };
    },
  );

  api.post(
    '/v1/auth/passkey',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a passkey',
        body: Type.Object(
          {
            challenge_id: PasskeyChallengeId,
            response: AuthenticationResponseSchema,
            device_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: SignedInSchema,
          ...errorResponses('passkey_challenge_invalid', 'passkey_assertion_invalid'),
        },
      },
    },
    async (request, reply) => {
      const { challenge_id, response, device_name } = request.body;
      const result = await deps.identity.signInWithPasskey(
        {
          challengeId: challenge_id,
          response,
          device: { token: deviceTokenOf(request), name: device_name },
        },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return signedInReply(request, reply, result);
    },
  );
}
