import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from './app.js';
import { INTERNAL_ERROR_DETAIL } from './error-mapping.js';
import { ProblemError } from './problem.js';
import type { TypeBoxTypeProvider } from './type-provider.js';

const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;
const BODY_LIMIT_BYTES = 1024;

/** Routes that exist only to exercise the error paths of the skeleton. */
const testRoutes: FastifyPluginAsync = async (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const Greeting = Type.Object({ greeting: Type.String() }, { additionalProperties: false });
  app.post(
    '/test/names',
    {
      schema: {
        body: Type.Object(
          {
            name: Type.String(),
            address: Type.Optional(
              Type.Object({ city: Type.String() }, { additionalProperties: false }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Greeting },
      },
    },
    async (request) => ({ greeting: `hello ${request.body.name}` }),
  );
  app.get(
    '/test/items/:itemId',
    {
      schema: {
        params: Type.Object({ itemId: Type.String({ pattern: '^itm_' }) }),
        querystring: Type.Object(
          { limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ item_id: Type.String(), limit: Type.Integer() }) },
      },
    },
    async (request) => ({ item_id: request.params.itemId, limit: request.query.limit }),
  );
  app.get('/test/crash', { schema: { response: { 200: Greeting } } }, async () => {
    throw new Error('secret database password is hunter2');
  });
  app.get('/test/unavailable', { schema: { response: { 200: Greeting } } }, async () => {
    throw new ProblemError('service_unavailable', { detail: 'Try again shortly.' });
  });
  app.get('/test/domain', { schema: { response: { 200: Greeting } } }, async () => {
    throw new ProblemError('insufficient_funds', {
      spec: {
        status: 402,
        retryable: false,
        title: { en: 'Insufficient funds', 'zh-CN': '余额不足' },
      },
      param: 'amount',
    });
  });
};

function deps(overrides: Partial<AppDeps> = {}): AppDeps {
  return {
    env: 'development',
    logger: false,
    checkReady: async () => ({ ok: true }),
    metrics: new Registry(),
    bodyLimitBytes: BODY_LIMIT_BYTES,
    rateLimitPerMinute: 10_000,
    routes: [testRoutes],
    ...overrides,
  };
}

const apps: FastifyInstance[] = [];

async function build(overrides: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  const app = await buildApp(deps(overrides));
  apps.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function postJson(app: FastifyInstance, payload: string) {
  return app.inject({
    method: 'POST',
    url: '/test/names',
    headers: { 'content-type': 'application/json' },
    payload,
  });
}

/** Checks the problem+json contract that every error response must keep. */
function expectProblem(
  response: Awaited<ReturnType<FastifyInstance['inject']>>,
  status: number,
  code: string,
): Record<string, unknown> {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json<Record<string, unknown>>();
  expect(body).toMatchObject({ status, code, type: `https://hebao.dev/errors/${code}` });
  expect(body['title']).toEqual(expect.any(String));
  expect(body['request_id']).toMatch(REQUEST_ID);
  expect(body['request_id']).toBe(response.headers['x-request-id']);
  return body;
}

describe('operations routes', () => {
  it('answers /healthz', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(response.headers['x-request-id']).toMatch(REQUEST_ID);
  });

  it('answers /readyz when the dependencies are ready', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready' });
  });

  it('answers /readyz with 503 and the reason when a dependency is not ready', async () => {
    const app = await build({
      checkReady: async () => ({ ok: false, reason: 'migrations pending' }),
    });
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    const body = expectProblem(response, 503, 'service_unavailable');
    expect(body['detail']).toBe('migrations pending');
  });

  it('exposes the request duration histogram labelled by route pattern', async () => {
    const app = await build();
    await app.inject({ method: 'GET', url: '/test/items/itm_123?limit=5' });
    await app.inject({ method: 'GET', url: '/no/such/route/abc' });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toContain('# TYPE hebao_http_request_duration_seconds histogram');
    expect(response.body).toMatch(
      /hebao_http_request_duration_seconds_count\{method="GET",route="\/test\/items\/:itemId",status_code="200"\} 1/,
    );
    expect(response.body).toContain('route="unmatched",status_code="404"');
    expect(response.body).not.toContain('itm_123');
  });

  it('builds apps on separate registries, and twice on one, without a metric clash', async () => {
    const shared = new Registry();
    await build({ metrics: shared });
    await build({ metrics: shared });
    await build();
    expect(shared.getSingleMetric('hebao_http_request_duration_seconds')).toBeDefined();
  });
});

describe('API documentation', () => {
  it('serves an OpenAPI 3.1 document that lists the routes', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<{
      openapi: string;
      info: { title: string };
      paths: Record<string, unknown>;
    }>();
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('Hebao API');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/metrics', '/test/names']),
    );
    expect(document.paths).not.toHaveProperty('/openapi.json');
  });

  it('documents error responses as problem+json', async () => {
    const app = await build();
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: { '/readyz': { get: { responses: Record<string, { content: object }> } } };
    }>();
    expect(document.paths['/readyz'].get.responses['503']?.content).toHaveProperty([
      'application/problem+json',
    ]);
  });

  it('renders the docs as HTML', async () => {
    const app = await build();
    const first = await app.inject({ method: 'GET', url: '/docs' });
    // Some versions of the UI plugin redirect /docs to /docs/; either way HTML must follow.
    const location = first.headers['location'];
    const response =
      typeof location === 'string' ? await app.inject({ method: 'GET', url: location }) : first;
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toMatch(/<html/i);
  });
});

describe('problem responses', () => {
  it('answers an unknown route with route_not_found', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expectProblem(response, 404, 'route_not_found');
  });

  it('answers a known path with the wrong method with method_not_allowed and Allow', async () => {
    const app = await build();
    const response = await app.inject({ method: 'DELETE', url: '/healthz' });
    expectProblem(response, 405, 'method_not_allowed');
    expect(response.headers['allow']).toBe('GET, HEAD');
  });

  it('answers a well-formed body', async () => {
    const app = await build();
    const response = await postJson(app, '{"name":"Mei"}');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ greeting: 'hello Mei' });
  });

  it.each([
    ['broken JSON', '{"name":'],
    ['an empty body', ''],
  ])('answers %s with malformed_json', async (_what, payload) => {
    const app = await build();
    expectProblem(await postJson(app, payload), 400, 'malformed_json');
  });

  it.each([
    ['an unknown field', '{"name":"Mei","nickname":"M"}', 'nickname', /unknown field/],
    ['a missing field', '{}', 'name', /missing the required field/],
    ['a wrong type', '{"name":42}', 'name', /must be string/],
    ['a null', '{"name":null}', 'name', /must be string/],
    [
      'a nested unknown field',
      '{"name":"Mei","address":{"city":"Hz","zip":1}}',
      'address.zip',
      /unknown field/,
    ],
    [
      'a nested wrong type',
      '{"name":"Mei","address":{"city":7}}',
      'address.city',
      /must be string/,
    ],
  ])(
    'answers %s with validation_failed naming the param',
    async (_what, payload, param, detail) => {
      const app = await build();
      const body = expectProblem(await postJson(app, payload), 400, 'validation_failed');
      expect(body['param']).toBe(param);
      expect(body['detail']).toMatch(detail);
    },
  );

  it('answers a body that is not an object with validation_failed and no param', async () => {
    const app = await build();
    const body = expectProblem(await postJson(app, '[1,2]'), 400, 'validation_failed');
    expect(body).not.toHaveProperty('param');
  });

  it('converts query strings and path parameters, and validates them', async () => {
    const app = await build();
    const ok = await app.inject({ method: 'GET', url: '/test/items/itm_1?limit=7' });
    expect(ok.json()).toEqual({ item_id: 'itm_1', limit: 7 });
    const defaulted = await app.inject({ method: 'GET', url: '/test/items/itm_1' });
    expect(defaulted.json()).toEqual({ item_id: 'itm_1', limit: 20 });
    const tooMany = await app.inject({ method: 'GET', url: '/test/items/itm_1?limit=500' });
    expect(expectProblem(tooMany, 400, 'validation_failed')['param']).toBe('limit');
    const notNumber = await app.inject({ method: 'GET', url: '/test/items/itm_1?limit=ten' });
    expect(expectProblem(notNumber, 400, 'validation_failed')['param']).toBe('limit');
    const badId = await app.inject({ method: 'GET', url: '/test/items/xyz' });
    expect(expectProblem(badId, 400, 'validation_failed')['param']).toBe('itemId');
  });

  it('answers a body over the limit with body_too_large', async () => {
    const app = await build();
    const payload = JSON.stringify({ name: 'x'.repeat(BODY_LIMIT_BYTES) });
    expectProblem(await postJson(app, payload), 413, 'body_too_large');
  });

  it('answers a text/plain body with unsupported_media_type', async () => {
    const app = await build();
    const response = await app.inject({
      method: 'POST',
      url: '/test/names',
      headers: { 'content-type': 'text/plain' },
      payload: 'name=Mei',
    });
    expectProblem(response, 415, 'unsupported_media_type');
  });

  it('answers a crash with internal_error and reveals neither message nor stack', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/test/crash' });
    const body = expectProblem(response, 500, 'internal_error');
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('secret');
    expect(response.body).not.toMatch(/\bat /);
    expect(body['detail']).toBe(INTERNAL_ERROR_DETAIL);
  });

  it('answers a thrown ProblemError with its status and code', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/test/unavailable' });
    const body = expectProblem(response, 503, 'service_unavailable');
    expect(body['detail']).toBe('Try again shortly.');
  });

  it('answers a domain ProblemError with the status and param of its own table', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/test/domain' });
    const body = expectProblem(response, 402, 'insufficient_funds');
    expect(body['param']).toBe('amount');
  });

  it('answers in Chinese when the caller prefers it', async () => {
    const app = await build();
    const response = await app.inject({
      method: 'GET',
      url: '/nowhere',
      headers: { 'accept-language': 'en;q=0.5, zh-CN' },
    });
    expect(expectProblem(response, 404, 'route_not_found')['title']).toBe('路由不存在');
  });

  it('answers a malformed URL with malformed_request', async () => {
    const app = await build();
    const response = await app.inject({ method: 'GET', url: '/test/items/%E0%A4%A' });
    expectProblem(response, 400, 'malformed_request');
  });

  it('never takes the request id from the caller', async () => {
    const app = await build();
    const response = await app.inject({
      method: 'GET',
      url: '/nowhere',
      headers: { 'x-request-id': 'req_chosen_by_the_caller' },
    });
    expect(response.headers['x-request-id']).toMatch(REQUEST_ID);
    expect(expectProblem(response, 404, 'route_not_found')['request_id']).not.toBe(
      'req_chosen_by_the_caller',
    );
  });
});
