import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PASSKEYS_PER_USER_MAX, type Passkey } from '../../../identity/index.js';
import { authOf } from '../../auth.js';
import {
  contextOf,
  errorResponses,
  problemOf,
  Timestamp,
  typed,
  type IdentityRouteDeps,
} from './shared.js';

/**
 * The JSON forms of WebAuthn (level 3) that browsers produce with `toJSON()` and accept with
 * `PublicKeyCredential.parse*OptionsFromJSON()`. Binary fields are base64url; sizes are bounded
 * generously (attestation statements can carry certificate chains).
 */
function base64url(maxLength: number) {
  return Type.String({ pattern: '^[A-Za-z0-9_-]+$', minLength: 1, maxLength });
}

const CREDENTIAL_ID_LENGTH_MAX = 1364;
const Transports = Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 });
const ClientExtensionResults = Type.Object(
  {},
  { additionalProperties: true, description: 'Whatever extension outputs the browser returns.' },
);
const AuthenticatorAttachment = Type.Union([
  Type.Literal('platform'),
  Type.Literal('cross-platform'),
]);

export const AuthenticationResponseSchema = Type.Object(
  {
    id: base64url(CREDENTIAL_ID_LENGTH_MAX),
    rawId: base64url(CREDENTIAL_ID_LENGTH_MAX),
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: base64url(4096),
        authenticatorData: base64url(4096),
        signature: base64url(1024),
        userHandle: Type.Optional(base64url(128)),
        attestationObject: Type.Optional(base64url(32_768)),
      },
      { additionalProperties: false },
    ),
    authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
    clientExtensionResults: ClientExtensionResults,
  },
  {
    title: 'AuthenticationResponseJSON',
    additionalProperties: false,
    description: 'What navigator.credentials.get() returned, as PublicKeyCredential.toJSON().',
  },
);

const RegistrationResponseSchema = Type.Object(
  {
    id: base64url(CREDENTIAL_ID_LENGTH_MAX),
    rawId: base64url(CREDENTIAL_ID_LENGTH_MAX),
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: base64url(4096),
        attestationObject: base64url(32_768),
        authenticatorData: Type.Optional(base64url(32_768)),
        transports: Type.Optional(Transports),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        publicKey: Type.Optional(base64url(4096)),
      },
      { additionalProperties: false },
    ),
    authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
    clientExtensionResults: ClientExtensionResults,
  },
  {
    title: 'RegistrationResponseJSON',
    additionalProperties: false,
    description: 'What navigator.credentials.create() returned, as PublicKeyCredential.toJSON().',
  },
);

const CredentialDescriptor = Type.Object(
  { id: Type.String(), type: Type.String(), transports: Type.Optional(Transports) },
  { additionalProperties: false },
);

const Extensions = Type.Object({}, { additionalProperties: true });

export const RequestOptionsSchema = Type.Object(
  {
    challenge: Type.String(),
    timeout: Type.Optional(Type.Integer()),
    rpId: Type.Optional(Type.String()),
    allowCredentials: Type.Optional(Type.Array(CredentialDescriptor)),
    userVerification: Type.Optional(Type.String()),
    hints: Type.Optional(Type.Array(Type.String())),
    extensions: Type.Optional(Extensions),
  },
  {
    title: 'PublicKeyCredentialRequestOptionsJSON',
    additionalProperties: false,
    description: 'Pass to PublicKeyCredential.parseRequestOptionsFromJSON().',
  },
);

const CreationOptionsSchema = Type.Object(
  {
    challenge: Type.String(),
    rp: Type.Object(
      { id: Type.Optional(Type.String()), name: Type.String() },
      { additionalProperties: false },
    ),
    user: Type.Object(
      { id: Type.String(), name: Type.String(), displayName: Type.String() },
      { additionalProperties: false },
    ),
    pubKeyCredParams: Type.Array(
      Type.Object({ alg: Type.Integer(), type: Type.String() }, { additionalProperties: false }),
    ),
    timeout: Type.Optional(Type.Integer()),
    excludeCredentials: Type.Optional(Type.Array(CredentialDescriptor)),
    authenticatorSelection: Type.Optional(
      Type.Object(
        {
          authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
          residentKey: Type.Optional(Type.String()),
          requireResidentKey: Type.Optional(Type.Boolean()),
          userVerification: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    hints: Type.Optional(Type.Array(Type.String())),
    attestation: Type.Optional(Type.String()),
    attestationFormats: Type.Optional(Type.Array(Type.String())),
    extensions: Type.Optional(Extensions),
  },
  {
    title: 'PublicKeyCredentialCreationOptionsJSON',
    additionalProperties: false,
    description: 'Pass to PublicKeyCredential.parseCreationOptionsFromJSON().',
  },
);

const PasskeyId = Type.String({ pattern: '^pky_[0-9A-HJKMNP-TV-Z]{26}$' });

const PasskeySchema = Type.Object(
  {
    id: PasskeyId,
    name: Type.String(),
    transports: Type.Array(Type.String()),
    created_at: Timestamp,
    last_used_at: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'Passkey', additionalProperties: false },
);

export const PasskeyChallengeId = Type.String({
  pattern: '^hbw_[A-Za-z0-9_-]{43}$',
  description: 'Returned with the options; send it back with the answer.',
});

function passkeyJson(passkey: Passkey): Static<typeof PasskeySchema> {
  return {
    id: passkey.id,
    name: passkey.name,
    transports: [...passkey.transports],
    created_at: passkey.createdAt.toISOString(),
    last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
  };
}

/** Managing the signed-in user's passkeys; signing in with one is in login.ts. */
export function passkeyRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  const api = typed(app);
  api.post(
    '/v1/me/passkeys/registration-options',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Start adding a passkey: options for navigator.credentials.create()',
        description: 'The challenge is valid for 5 minutes, once.',
        response: {
          200: CreationOptionsSchema,
          ...errorResponses('unauthenticated', 'csrf_token_invalid', 'passkey_limit_reached'),
        },
      },
    },
    async (request) => {
      const result = await deps.identity.passkeyRegistrationOptions(authOf(request).user.id);
      if (!result.ok) throw problemOf(result);
      return result.options;
    },
  );

  api.post(
    '/v1/me/passkeys',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Add the passkey the browser created from the registration options',
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            response: RegistrationResponseSchema,
          },
          { additionalProperties: false },
        ),
        response: {
          201: PasskeySchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'passkey_challenge_invalid',
            'passkey_registration_invalid',
            'passkey_already_registered',
            'passkey_limit_reached',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.identity.addPasskey(
        authOf(request).user.id,
        { name: request.body.name, response: request.body.response },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return reply.code(201).send(passkeyJson(result.passkey));
    },
  );

  api.get(
    '/v1/me/passkeys',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'The passkeys of the signed-in user, oldest first',
        response: {
          200: Type.Object(
            {
              data: Type.Array(PasskeySchema, { maxItems: PASSKEYS_PER_USER_MAX }),
              has_more: Type.Boolean(),
            },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const passkeys = await deps.identity.listPasskeys(authOf(request).user.id);
      return { data: passkeys.map(passkeyJson), has_more: false };
    },
  );

  api.delete(
    '/v1/me/passkeys/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Remove a passkey; it can no longer sign in or confirm',
        params: Type.Object({ id: PasskeyId }, { additionalProperties: false }),
        response: {
          204: Type.Null(),
          ...errorResponses('unauthenticated', 'csrf_token_invalid', 'passkey_not_found'),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.identity.removePasskey(
        authOf(request).user.id,
        request.params.id,
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return reply.code(204).send(null);
    },
  );
}
