import { describe, expect, it } from 'vitest';
import { INTERNAL_ERROR_DETAIL, toProblemError, validationProblem } from './error-mapping.js';
import {
  ProblemError,
  isHttpProblemCode,
  preferredLanguage,
  problemBody,
  problemCodeCatalogue,
  type HttpProblemCode,
} from './problem.js';

function fastifyError(code: string, statusCode: number): Error {
  return Object.assign(new Error('fastify says no'), { code, statusCode });
}

describe('problemCodeCatalogue', () => {
  it('gives every code an error status, a retry hint and titles in both languages', () => {
    for (const [code, spec] of Object.entries(problemCodeCatalogue())) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
      // Sending a rejected request again unchanged cannot succeed, unless it was only too early
      // (429, or the same key still running); a fault of ours may pass.
      const tooEarly = spec.status === 429 || code === 'idempotency_key_in_progress';
      expect(spec.retryable).toBe(spec.status >= 500 || tooEarly);
      expect(spec.title.en).not.toBe('');
      expect(spec.title['zh-CN']).not.toBe('');
    }
  });
});

describe('toProblemError', () => {
  it.each<[string, unknown, HttpProblemCode, number]>([
    ['invalid JSON', fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400), 'malformed_json', 400],
    ['empty JSON', fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 'malformed_json', 400],
    ['a body too large', fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 'body_too_large', 413],
    [
      'an unknown media type',
      fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415),
      'unsupported_media_type',
      415,
    ],
    ['a bad URL', fastifyError('FST_ERR_BAD_URL', 400), 'malformed_request', 400],
    [
      'a wrong content length',
      fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400),
      'malformed_request',
      400,
    ],
    [
      'a parser SyntaxError',
      Object.assign(new SyntaxError('x'), { statusCode: 400 }),
      'malformed_json',
      400,
    ],
    ['a SyntaxError of our own', new SyntaxError('Unexpected token'), 'internal_error', 500],
    ['an unknown 404', fastifyError('X', 404), 'route_not_found', 404],
    ['an unknown 4xx with `status`', { status: 418 }, 'malformed_request', 400],
    ['an unknown 5xx', fastifyError('FST_ERR_ASYNC_CONSTRAINT', 500), 'internal_error', 500],
    ['a plain Error', new Error('boom'), 'internal_error', 500],
    ['a thrown string', 'boom', 'internal_error', 500],
    ['a thrown null', null, 'internal_error', 500],
    ['a non-integer status', { statusCode: 400.5 }, 'internal_error', 500],
  ])('maps %s', (_what, error, code, status) => {
    const problem = toProblemError(error);
    expect(problem.code).toBe(code);
    expect(problem.status).toBe(status);
  });

  it('keeps a ProblemError as it is', () => {
    const error = new ProblemError('service_unavailable', { detail: 'later' });
    expect(toProblemError(error)).toBe(error);
  });

  it('gives internal errors only generic words and keeps the original as the cause', () => {
    const original = new Error('connection string postgres://user:pw@db');
    const problem = toProblemError(original);
    expect(problem.detail).toBe(INTERNAL_ERROR_DETAIL);
    expect(problem.cause).toBe(original);
  });

  it('maps a validation error without issues to validation_failed', () => {
    const error = Object.assign(new Error('x'), { code: 'FST_ERR_VALIDATION', statusCode: 400 });
    expect(toProblemError(error).code).toBe('validation_failed');
  });
});

describe('validationProblem', () => {
  it.each<[string, string, Record<string, unknown>, string | undefined]>([
    ['type', '/amount', {}, 'amount'],
    ['type', '/items/0/amount', {}, 'items.0.amount'],
    ['type', '/a~1b/c~0d', {}, 'a/b.c~d'],
    ['required', '', { missingProperty: 'currency' }, 'currency'],
    ['required', '/payee', { missingProperty: 'id' }, 'payee.id'],
    ['additionalProperties', '', { additionalProperty: 'extra' }, 'extra'],
    ['type', '', {}, undefined],
  ])('names %s at %j', (keyword, instancePath, params, param) => {
    const problem = validationProblem(
      [{ keyword, instancePath, params, message: 'must be x' }],
      'body',
    );
    expect(problem.code).toBe('validation_failed');
    expect(problem.param).toBe(param);
  });

  it('says which part of the request was wrong', () => {
    const issue = {
      keyword: 'type',
      instancePath: '/limit',
      params: {},
      message: 'must be integer',
    };
    expect(validationProblem([issue], 'querystring').detail).toBe(
      "The field 'limit' in the query string must be integer.",
    );
  });
});

describe('ProblemError and problemBody', () => {
  it('builds the RFC 9457 body with the extension members', () => {
    const error = new ProblemError('validation_failed', { detail: 'd', param: 'amount' });
    expect(problemBody(error, 'req_1', 'en')).toEqual({
      type: 'https://hebao.dev/errors/validation_failed',
      title: 'Validation failed',
      status: 400,
      code: 'validation_failed',
      detail: 'd',
      param: 'amount',
      request_id: 'req_1',
    });
  });

  it('leaves out detail and param when there are none', () => {
    const body = problemBody(new ProblemError('route_not_found'), 'req_1', 'zh-CN');
    expect(body).not.toHaveProperty('detail');
    expect(body).not.toHaveProperty('param');
    expect(body.title).toBe('路由不存在');
  });

  it('refuses a domain code without its table entry', () => {
    expect(isHttpProblemCode('insufficient_funds')).toBe(false);
    // A cast is the only way to reach this; the overloads forbid it.
    const code = 'insufficient_funds' as HttpProblemCode;
    expect(() => new ProblemError(code)).toThrow(TypeError);
  });
});

describe('preferredLanguage', () => {
  it.each<[string | undefined, 'en' | 'zh-CN']>([
    [undefined, 'en'],
    ['', 'en'],
    ['zh-CN', 'zh-CN'],
    ['zh-Hant-TW', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['en-US,zh-CN;q=0.8', 'en'],
    ['en;q=0.5, zh-CN', 'zh-CN'],
    ['fr', 'en'],
    ['zh;q=abc, en', 'en'],
    ['zhx', 'en'],
  ])('picks the language for %j', (header, language) => {
    expect(preferredLanguage(header)).toBe(language);
  });
});
