import { Type, type Static } from '@sinclair/typebox';
import type { CodeSpec, Language } from '../lib/code-spec.js';

/**
 * The problem+json model (RFC 9457) that every error response of the API uses, and the codes that
 * the HTTP layer itself produces. Domain modules keep their own code tables with the same shape
 * (`ProblemSpec`) and throw `ProblemError` with their spec, so there is one way to fail over HTTP.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const PROBLEM_TYPE_BASE = 'https://hebao.dev/errors/';

export type { Language } from '../lib/code-spec.js';

export type ProblemSpec = CodeSpec;

export type HttpProblemCode =
  | 'malformed_json'
  | 'malformed_request'
  | 'validation_failed'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'idempotency_key_required'
  | 'idempotency_key_reused'
  | 'idempotency_key_in_progress'
  | 'internal_error'
  | 'service_unavailable';

// `satisfies` makes the compiler reject a code that is declared above but missing here.
export const httpProblemCodes = {
  malformed_json: {
    status: 400,
    retryable: false,
    title: { en: 'Malformed JSON', 'zh-CN': 'JSON 格式错误' },
  },
  malformed_request: {
    status: 400,
    retryable: false,
    title: { en: 'Malformed request', 'zh-CN': '请求格式错误' },
  },
  validation_failed: {
    status: 400,
    retryable: false,
    title: { en: 'Validation failed', 'zh-CN': '参数校验失败' },
  },
  route_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'Route not found', 'zh-CN': '路由不存在' },
  },
  method_not_allowed: {
    status: 405,
    retryable: false,
    title: { en: 'Method not allowed', 'zh-CN': '不支持该请求方法' },
  },
  body_too_large: {
    status: 413,
    retryable: false,
    title: { en: 'Request body too large', 'zh-CN': '请求体过大' },
  },
  unsupported_media_type: {
    status: 415,
    retryable: false,
    title: { en: 'Unsupported media type', 'zh-CN': '不支持的媒体类型' },
  },
  idempotency_key_required: {
    status: 400,
    retryable: false,
    title: { en: 'Idempotency-Key header required', 'zh-CN': '缺少 Idempotency-Key 请求头' },
  },
  idempotency_key_reused: {
    status: 422,
    retryable: false,
    title: {
      en: 'Idempotency-Key already used for another request',
      'zh-CN': '该 Idempotency-Key 已用于其他请求',
    },
  },
  idempotency_key_in_progress: {
    status: 409,
    retryable: true,
    title: {
      en: 'A request with this Idempotency-Key is still running',
      'zh-CN': '使用该 Idempotency-Key 的请求仍在处理中',
    },
  },
  rate_limited: {
    status: 429,
    retryable: true,
    title: { en: 'Too many requests', 'zh-CN': '请求过于频繁' },
  },
  internal_error: {
    status: 500,
    retryable: true,
    title: { en: 'Internal error', 'zh-CN': '服务器内部错误' },
  },
  service_unavailable: {
    status: 503,
    retryable: true,
    title: { en: 'Service unavailable', 'zh-CN': '服务暂不可用' },
  },
} as const satisfies Record<HttpProblemCode, ProblemSpec>;

/** The table of HTTP-layer codes, for documentation and the test that keeps docs in step. */
export function problemCodeCatalogue(): Readonly<Record<HttpProblemCode, ProblemSpec>> {
  return httpProblemCodes;
}

export function isHttpProblemCode(code: string): code is HttpProblemCode {
  return Object.hasOwn(httpProblemCodes, code);
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ format: 'uri', description: 'A URL naming the code.' }),
    title: Type.String({ description: 'A short summary of the code, in the caller’s language.' }),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ description: 'Stable, documented machine-readable code.' }),
    detail: Type.Optional(Type.String()),
    param: Type.Optional(Type.String({ description: 'The request field that caused the error.' })),
    request_id: Type.String({ pattern: '^req_[0-9A-HJKMNP-TV-Z]{26}$' }),
  },
  { title: 'Problem', additionalProperties: false },
);

export type Problem = Static<typeof ProblemSchema>;

/**
 * A route's error response, documented under the media type that is actually sent. Fastify picks
 * the serializer by media type, so the body is still checked against `ProblemSchema`.
 */
export function problemResponse(description: string) {
  return {
    description,
    content: { 'application/problem+json': { schema: ProblemSchema } },
  } as const;
}

export interface ProblemOptions {
  readonly detail?: string;
  readonly param?: string;
  readonly cause?: unknown;
  /** Sent as `Retry-After` when waiting can help (rate limits, lockouts). */
  readonly retryAfterSeconds?: number;
}

/**
 * Thrown by handlers for failures that the caller should see as a problem response. Codes of the
 * HTTP layer need only the code; domain codes pass their own table entry as `spec`.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly code: string;
  readonly status: number;
  readonly spec: ProblemSpec;
  readonly detail: string | undefined;
  readonly param: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: HttpProblemCode, options?: ProblemOptions);
  constructor(code: string, options: ProblemOptions & { readonly spec: ProblemSpec });
  constructor(code: string, options: ProblemOptions & { readonly spec?: ProblemSpec } = {}) {
    const spec = options.spec ?? specOf(code);
    super(options.detail ?? spec.title.en, { cause: options.cause });
    this.code = code;
    this.status = spec.status;
    this.spec = spec;
    this.detail = options.detail;
    this.param = options.param;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

function specOf(code: string): ProblemSpec {
  // The overloads only let HTTP codes through without a spec; this guards against casts.
  if (!isHttpProblemCode(code)) throw new TypeError(`ProblemError needs a spec for code ${code}`);
  return httpProblemCodes[code];
}

/** Builds the response body; a pure function so that its shape is tested without a server. */
export function problemBody(error: ProblemError, requestId: string, language: Language): Problem {
  return {
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: error.spec.title[language],
    status: error.status,
    code: error.code,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
    ...(error.param === undefined ? {} : { param: error.param }),
    request_id: requestId,
  };
}

/**
 * Picks the language of `title` from an Accept-Language header: Chinese when the caller prefers
 * any Chinese variant, English otherwise, because those are the two languages the tables carry.
 */
export function preferredLanguage(acceptLanguage: string | undefined): Language {
  if (acceptLanguage === undefined) return 'en';
  let best: { tag: string; q: number } = { tag: '', q: 0 };
  for (const part of acceptLanguage.split(',').slice(0, 20)) {
    const [tagPart = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (Number.isFinite(q) && q > best.q) best = { tag: tagPart.trim().toLowerCase(), q };
  }
  return best.tag === 'zh' || best.tag.startsWith('zh-') ? 'zh-CN' : 'en';
}
