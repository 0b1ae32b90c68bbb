import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { identityCodes, type KycStatus } from '../../../identity/index.js';
import { limits } from '../../../limits.js';
import { authOf } from '../../auth.js';
import { ProblemError } from '../../problem.js';
import {
  contextOf,
  errorResponses,
  problemOf,
  Timestamp,
  typed,
  type IdentityRouteDeps,
} from './shared.js';

const DocumentType = Type.Union(
  [
    Type.Literal('prc_id'),
    Type.Literal('hk_macao_permit'),
    Type.Literal('taiwan_permit'),
    Type.Literal('passport'),
  ],
  { description: 'Which types are accepted is configured (HEBAO_KYC_DOCUMENT_TYPES).' },
);

const KycStatusSchema = Type.Object(
  {
    tier: Type.Integer({ minimum: 1, maximum: 3 }),
    real_name: Type.Union([Type.String(), Type.Null()], { description: 'Masked: *三.' }),
    document_type: Type.Union([DocumentType, Type.Null()]),
    document_number: Type.Union([Type.String(), Type.Null()], {
      description: 'Masked: 1****************X.',
    }),
    verified_at: Type.Union([Timestamp, Type.Null()]),
    tier3: Type.Object(
      {
        status: Type.Union([
          Type.Literal('none'),
          Type.Literal('pending'),
          Type.Literal('approved'),
          Type.Literal('rejected'),
        ]),
        request_id: Type.Optional(Type.String()),
        requested_at: Type.Optional(Timestamp),
        reviewed_at: Type.Optional(Timestamp),
        reason: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
  },
  { title: 'KycStatus', additionalProperties: false },
);

function statusJson(status: KycStatus): Static<typeof KycStatusSchema> {
  const t = status.tier3;
  return {
    tier: status.tier,
    real_name: status.realNameMasked,
    document_type: status.documentType,
    document_number: status.documentNumberMasked,
    verified_at: status.verifiedAt?.toISOString() ?? null,
    tier3: {
      status: t.status,
      ...(t.requestId === undefined ? {} : { request_id: t.requestId }),
      ...(t.requestedAt === undefined ? {} : { requested_at: t.requestedAt.toISOString() }),
      ...(t.reviewedAt === undefined ? {} : { reviewed_at: t.reviewedAt.toISOString() }),
      ...(t.reason === undefined ? {} : { reason: t.reason }),
    },
  };
}

export function kycRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  const api = typed(app);
  api.post(
    '/v1/me/kyc',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Verify the real name with a national ID (moves the user to tier 2)',
        body: Type.Object(
          {
            real_name: Type.String({ minLength: 1, maxLength: 128 }),
            document_type: Type.Optional(DocumentType),
            document_number: Type.String({ minLength: 1, maxLength: 32 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: KycStatusSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'contact_not_verified',
            'kyc_document_type_not_allowed',
            'kyc_id_number_invalid',
            'kyc_name_invalid',
            'kyc_underage',
            'kyc_document_in_use',
            'kyc_already_verified',
          ),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const result = await deps.kyc.submit(
        authOf(request).user.id,
        {
          realName: body.real_name,
          documentType: body.document_type ?? 'prc_id',
          documentNumber: body.document_number,
        },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return statusJson(result.status);
    },
  );

  api.get(
    '/v1/me/kyc',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'The real-name tier and its (masked) details',
        response: { 200: KycStatusSchema, ...errorResponses('unauthenticated', 'session_expired') },
      },
    },
    async (request) => statusJson(await deps.kyc.status(authOf(request).user.id)),
  );

  api.post(
    '/v1/me/kyc/tier-3',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['me'],
        summary: 'Ask an operator to review the user for tier 3',
        response: {
          202: KycStatusSchema,
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'kyc_tier2_required',
            'kyc_review_pending',
            'kyc_already_verified',
          ),
        },
      },
    },
    async (request, reply) => {
      const userId = authOf(request).user.id;
      const result = await deps.kyc.requestTier3(userId, contextOf(request));
      if (!result.ok) throw problemOf(result);
      return reply.code(202).send(statusJson(await deps.kyc.status(userId)));
    },
  );

  adminKycRoutes(app, deps);
}

/**
 * The minimal operator side of tier 3: the queue and the decision. An operator is a user with an
 * operator role whose session passed a second factor (API.md: operators need MFA).
 */
export async function requireOperator(
  request: FastifyRequest,
  deps: Pick<IdentityRouteDeps, 'operatorRole'>,
): Promise<string> {
  const auth = authOf(request);
  const role = await deps.operatorRole(auth.user.id);
  if (role === null) {
    throw new ProblemError('operator_required', { spec: identityCodes.operator_required });
  }
  if (auth.session.method === 'password') {
    throw new ProblemError('operator_mfa_required', { spec: identityCodes.operator_mfa_required });
  }
  return auth.user.id;
}

const ReviewSchema = Type.Object(
  {
    id: Type.String(),
    user_id: Type.String(),
    requested_at: Timestamp,
    real_name: Type.String(),
    document_type: DocumentType,
    document_number: Type.String(),
    verified_at: Timestamp,
  },
  { title: 'KycReview', additionalProperties: false },
);

function adminKycRoutes(app: FastifyInstance, deps: IdentityRouteDeps): void {
  const api = typed(app);
  api.get(
    '/v1/admin/kyc-reviews',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['admin'],
        summary: 'Open tier-3 review requests, oldest first (operators)',
        querystring: Type.Object(
          {
            limit: Type.Integer({
              minimum: 1,
              maximum: limits.pageSizeMax,
              default: limits.pageSizeDefault,
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { data: Type.Array(ReviewSchema), has_more: Type.Boolean() },
            { additionalProperties: false },
          ),
          ...errorResponses('unauthenticated', 'operator_required', 'operator_mfa_required'),
        },
      },
    },
    async (request) => {
      await requireOperator(request, deps);
      const page = await deps.kyc.listPendingReviews(request.query.limit);
      return {
        data: page.data.map((r) => ({
          id: r.requestId,
          user_id: r.userId,
          requested_at: r.requestedAt.toISOString(),
          real_name: r.realNameMasked,
          document_type: r.documentType,
          document_number: r.documentNumberMasked,
          verified_at: r.verifiedAt.toISOString(),
        })),
        has_more: page.hasMore,
      };
    },
  );

  api.post(
    '/v1/admin/kyc-reviews/:id/decision',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['admin'],
        summary: 'Approve (tier 3) or reject a review request (operators)',
        params: Type.Object(
          { id: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
        body: Type.Object(
          {
            decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
            reason: Type.Optional(
              Type.String({
                maxLength: 4 * limits.kycReviewReasonLengthMax,
                description: 'Required to reject (the user sees it); optional to approve.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              user_id: Type.String(),
              status: Type.Union([Type.Literal('approved'), Type.Literal('rejected')]),
              tier: Type.Integer({ minimum: 2, maximum: 3 }),
            },
            { additionalProperties: false },
          ),
          ...errorResponses(
            'unauthenticated',
            'csrf_token_invalid',
            'operator_required',
            'operator_mfa_required',
            'kyc_review_not_found',
            'kyc_review_decided',
            'kyc_review_own_request',
            'kyc_review_reason_required',
            'kyc_review_reason_too_long',
          ),
        },
      },
    },
    async (request) => {
      const operatorId = await requireOperator(request, deps);
      const result = await deps.kyc.reviewTier3(
        operatorId,
        request.params.id,
        { decision: request.body.decision, reason: request.body.reason ?? '' },
        contextOf(request),
      );
      if (!result.ok) throw problemOf(result);
      return { user_id: result.userId, status: result.status, tier: result.tier };
    },
  );
}
