import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RECOVERY_CODE_COUNT } from '../../../identity/index.js';
import { authOf, deviceTokenOf } from '../../auth.js';
import { SignedInSchema, signedInReply } from './login.js';
import { AuthenticationResponseSchema } from './passkeys.js';
import {
  contextOf,
  errorResponses,
  OneTimeCode,
  problemOf,
  typed,
  type IdentityRouteDeps,
} from './shared.js';

const RecoveryCode = Type.String({
  pattern: '^[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}$',
  description: 'One of the recovery codes, as shown (k3m9x-7qh2p); case and hyphen do not matter.',
});

const RecoveryCodes = Type.Object(
  {
    recovery_codes: Type.Array(Type.String(), {
      minItems: RECOVERY_CODE_COUNT,
      maxItems: RECOVERY_CODE_COUNT,
      description: 'Shown this once: each signs in once when the authenticator app is lost.',
    }),
  },
  { title: 'RecoveryCodes', additionalProperties: false },
);

const MfaStatusSchema = Type.Object(
  {
    totp_enabled: Type.Boolean(),
    totp_pending: Type.Boolean({
      description: 'An authenticator app was set up but not yet confirmed with a code.',
    }),
    recovery_codes_left: Type.Integer({ minimum: 0 }),
    passkeys: Type.Integer({ minimum: 0 }),
  },
  { title: 'MfaStatus', additionalProperties: false },
);

const wrongCode = ['totp_code_wrong', 'totp_code_replayed'] as const;

/** Authenticator app (TOTP) set-up and recovery codes, and the second step of a sign-in. */
export function mfaRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  totpRoutes(app, deps);
  recoveryCodeRoutes(app, deps);
  signInStepRoute(app, deps);
}

function totpRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  const api = typed(app);
  api.get(
    '/v1/me/mfa',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Which second factors the signed-in user has',
        response: {
          200: MfaStatusSchema,
          ...errorResponses('unauthenticated', 'session_expired'),
        },
      },
    },
    async (request) => {
      const status = await deps.identity.mfaStatus(authOf(request).user.id);
      return {
        totp_enabled: status.totpEnabled,
        totp_pending: status.totpPending,
        recovery_codes_left: status.recoveryCodesLeft,
        passkeys: status.passkeys,
      };
    },
  );

  api.post(
    '/v1/me/mfa/totp',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Start setting up an authenticator app',
        description:
          'Returns a new secret to scan or type; it is off until confirmed with a first code. Starting again replaces an unconfirmed secret.',
        response: {
          200: Type.Object(
            {
              secret: Type.String({ description: 'Base32, for typing into the app.' }),
              otpauth_uri: Type.String(),
              qr_svg: Type.String({ description: 'The otpauth URI as an SVG QR code.' }),
            },
            { title: 'TotpEnrollment', additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'csrf_token_invalid', 'totp_already_enabled'),
        },
      },
    },
    async (request) => {
      const result = await deps.identity.enrollTotp(authOf(request).user.id);
      if (!result.ok) throw problemOf(result);
      const { secret, uri, qrSvg } = result.enrollment;
      return { secret, otpauth_uri: uri, qr_svg: qrSvg };
    },
  );

  api.post(
    '/v1/me/mfa/totp/confirm',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Turn the authenticator app on with a first code; returns the recovery codes',
        body: Type.Object({ code: OneTimeCode }, { additionalProperties: false }),
        response: {
          200: RecoveryCodes,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'totp_not_enrolled',
            'totp_already_enabled',
            'totp_code_wrong',
          ),
        },
      },
    },
    async (request) => {
      const result = await deps.identity.confirmTotp(
        authOf(request).user.id,
        request.body.code,
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return { recovery_codes: result.recoveryCodes };
    },
  );

  api.post(
    '/v1/me/mfa/totp/disable',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Turn the authenticator app off, with a fresh code or a recovery code',
        description: 'The recovery codes are deleted with it.',
        body: Type.Object(
          { totp: Type.Optional(OneTimeCode), recovery_code: Type.Optional(RecoveryCode) },
          { additionalProperties: false },
        ),
        response: {
          204: Type.Null(),
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'mfa_proof_required',
            'totp_not_enabled',
            ...wrongCode,
            'recovery_code_wrong',
            'too_many_attempts',
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.identity.disableTotp(
        authOf(request).user.id,
        { totp: request.body.totp, recoveryCode: request.body.recovery_code },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return reply.code(204).send(null);
    },
  );
}

function recoveryCodeRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).post(
    '/v1/me/mfa/recovery-codes',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Replace the recovery codes, with a fresh authenticator code',
        body: Type.Object({ totp: OneTimeCode }, { additionalProperties: false }),
        response: {
          200: RecoveryCodes,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'totp_not_enabled',
            ...wrongCode,
            'too_many_attempts',
          ),
        },
      },
    },
    async (request) => {
      const result = await deps.identity.regenerateRecoveryCodes(
        authOf(request).user.id,
        request.body.totp,
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return { recovery_codes: result.recoveryCodes };
    },
  );
}

function signInStepRoute(app: FastifyInstance, deps: IdentityRouteDeps): void {
  typed(app).post(
    '/v1/auth/mfa',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Finish a sign-in that answered mfa_required',
        description:
          'Give exactly one of `totp`, `recovery_code` and `passkey` (the answer to `passkey_options`). A few wrong tries end the challenge.',
        body: Type.Object(
          {
            challenge_id: Type.String({ pattern: '^hbl_[A-Za-z0-9_-]{43}$' }),
            totp: Type.Optional(OneTimeCode),
            recovery_code: Type.Optional(RecoveryCode),
            passkey: Type.Optional(AuthenticationResponseSchema),
          },
          { additionalProperties: false },
        ),
        response: {
          200: SignedInSchema,
          ...errorResponses(
            'mfa_proof_required',
            'mfa_challenge_invalid',
            'mfa_method_not_enabled',
            ...wrongCode,
            'recovery_code_wrong',
            'passkey_assertion_invalid',
            'login_locked',
          ),
        },
      },
    },
    async (request, reply) => {
      const { challenge_id, totp, recovery_code, passkey } = request.body;
      const result = await deps.identity.completeMfa(
        {
          challengeId: challenge_id,
          totp,
          recoveryCode: recovery_code,
          passkey,
          deviceToken: deviceTokenOf(request),
        },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return signedInReply(request, reply, result);
    },
  );
}
