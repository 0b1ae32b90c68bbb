import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DevInboxMessage } from '../../../events/index.js';
import {
  identityCodes,
  type IdentityCode,
  type IdentityFailure,
  type IdentityServices,
  type RequestContext,
  type User,
} from '../../../identity/index.js';
import { limits } from '../../../limits.js';
import { ProblemError, problemResponse } from '../../problem.js';
import type { TypeBoxTypeProvider } from '../../type-provider.js';

/** What the identity routes share: their services, schemas and the mapping of outcomes. */
export interface IdentityRouteDeps extends IdentityServices {
  /** Development only: delivers due messages, then reads the inbox of one recipient. */
  readonly devInbox: ((recipient: string) => Promise<DevInboxMessage[]>) | undefined;
}

export function typed(app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxTypeProvider>();
}

export function contextOf(request: FastifyRequest): RequestContext {
  const agent = request.headers['user-agent'] ?? '';
  return { ip: request.ip, userAgent: agent.slice(0, limits.userAgentLengthMax) };
}

/** Turns a service's failure into the problem the caller sees. */
export function problemOf(result: IdentityFailure): ProblemError {
  return new ProblemError(result.code, {
    spec: identityCodes[result.code],
    ...(result.param === undefined ? {} : { param: result.param }),
    ...(result.detail === undefined ? {} : { detail: result.detail }),
    ...(result.retryAfterSeconds === undefined
      ? {}
      : { retryAfterSeconds: result.retryAfterSeconds }),
  });
}

/** The error responses of a route, documented from the codes it can answer with. */
export function errorResponses(...codes: IdentityCode[]) {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const status = identityCodes[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, ReturnType<typeof problemResponse>> = {
    400: problemResponse('validation_failed, or: the request is not valid.'),
    429: problemResponse('rate_limited: too many requests.'),
  };
  for (const [status, list] of byStatus) {
    const base = status === 400 ? 'validation_failed, ' : status === 429 ? 'rate_limited, ' : '';
    responses[status] = problemResponse(`${base}${list.join(', ')}`);
  }
  return responses;
}

export const Password = Type.String({ minLength: 1, maxLength: 512 });
export const LocaleSchema = Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]);
export const Login = Type.String({
  minLength: 3,
  maxLength: 254,
  description: 'A mobile number (13812345678 or +8613812345678) or an email address.',
});
export const OneTimeCode = Type.String({ pattern: '^[0-9]{6}$', description: 'Six digits.' });
export const Timestamp = Type.String({ format: 'date-time' });
export const DisplayName = Type.String({ minLength: 1, maxLength: limits.displayNameLengthMax });

export const UserSchema = Type.Object(
  {
    id: Type.String({ pattern: '^usr_[0-9A-HJKMNP-TV-Z]{26}$' }),
    phone: Type.Union([Type.String(), Type.Null()]),
    email: Type.Union([Type.String(), Type.Null()]),
    contact_verified: Type.Boolean(),
    display_name: Type.String(),
    locale: LocaleSchema,
    avatar_url: Type.Union([Type.String(), Type.Null()]),
    consents: Type.Object(
      { marketing: Type.Boolean(), personalised_offers: Type.Boolean() },
      { additionalProperties: false },
    ),
    kyc_tier: Type.Integer({ minimum: 1, maximum: 3 }),
    created_at: Timestamp,
  },
  { title: 'User', additionalProperties: false },
);

export function userJson(user: User): Static<typeof UserSchema> {
  return {
    id: user.id,
    phone: user.phone,
    email: user.email,
    contact_verified: user.contactVerified,
    display_name: user.displayName,
    locale: user.locale,
    avatar_url: user.avatarUrl,
    consents: {
      marketing: user.consents.marketing,
      personalised_offers: user.consents.personalisedOffers,
    },
    kyc_tier: user.kycTier,
    created_at: user.createdAt.toISOString(),
  };
}

export const Accepted = Type.Object(
  { status: Type.Literal('accepted') },
  { title: 'Accepted', additionalProperties: false },
);
