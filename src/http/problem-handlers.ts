import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toProblemError } from './error-mapping.js';
import { PROBLEM_CONTENT_TYPE, ProblemError, preferredLanguage, problemBody } from './problem.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/**
 * The edge where every failure becomes problem+json: the error handler, the not-found handler
 * and Fastify's framework errors (bad URLs) all answer through `sendProblem`.
 */

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function installProblemHandlers(app: FastifyInstance): void {
  const routes = routeTable(app);
  app.setErrorHandler((error: unknown, request, reply) => answerError(error, request, reply));
  app.setNotFoundHandler((request, reply) => answerNotFound(routes, request, reply));
}

/**
 * The methods of every route, by path pattern, collected as routes are added. Fastify can look up
 * a route only by its pattern (`/v1/me/sessions/:id`), not by a concrete path, so the patterns
 * are kept here as expressions that a concrete path can be matched against.
 */
type RouteTable = Array<{ readonly pattern: RegExp; readonly methods: Set<string> }>;

function routeTable(app: FastifyInstance): RouteTable {
  const table: RouteTable = [];
  app.addHook('onRoute', (route) => {
    // The web apps' catch-all (`/*`) serves pages, not API paths: a path it declines is unknown.
    if (route.url === '/*') return;
    const source = route.url
      .split('/')
      .map((segment) =>
        segment === '*'
          ? '.*'
          : segment.startsWith(':')
            ? '[^/]+'
            : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    const pattern = new RegExp(`^${source}$`);
    const entry = table.find((e) => e.pattern.source === pattern.source);
    const methods = ([] as string[]).concat(route.method);
    if (entry === undefined) table.push({ pattern, methods: new Set(methods) });
    else for (const method of methods) entry.methods.add(method);
  });
  return table;
}

/** For Fastify's `frameworkErrors` option, which fires before routing and the error handler. */
export function answerError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const problem = toProblemError(error);
  logProblem(request, problem, error);
  return sendProblem(request, reply, problem);
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: ProblemError,
): FastifyReply {
  const language = preferredLanguage(request.headers['accept-language']);
  if (problem.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(Math.max(1, Math.ceil(problem.retryAfterSeconds))));
  }
  return reply
    .header(REQUEST_ID_HEADER, request.id)
    .code(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemBody(problem, request.id, language));
}

/**
 * A path that exists under other methods gets 405 and an Allow header, so that a caller who
 * used the wrong verb is not told the resource is missing.
 */
function answerNotFound(
  routes: RouteTable,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const path = request.url.split('?', 1)[0] ?? request.url;
  const known = new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => [...r.methods]));
  const allowed = METHODS.filter((method) => known.has(method));
  if (allowed.length === 0) {
    return sendProblem(request, reply, new ProblemError('route_not_found'));
  }
  reply.header('allow', allowed.join(', '));
  const detail = `${request.method} is not allowed here; use ${allowed.join(', ')}.`;
  return sendProblem(request, reply, new ProblemError('method_not_allowed', { detail }));
}

/**
 * Server faults are logged with the original error (the response never carries it); client
 * faults are routine and logged at info so they do not page anyone.
 */
function logProblem(request: FastifyRequest, problem: ProblemError, error: unknown): void {
  if (problem.status >= 500) {
    request.log.error({ err: error, code: problem.code }, 'request failed');
  } else {
    request.log.info({ code: problem.code, detail: problem.detail }, 'request rejected');
  }
}
