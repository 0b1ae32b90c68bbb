import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { ProblemError } from './problem.js';

/**
 * The general rate limit of every route: per signed-in user, or per IP address before sign-in
 * (credentials are resolved first, see auth.ts). Counters live in this process; with several API
 * processes each counts on its own, which bounds the whole at N times the limit. Tighter limits
 * on guessing (sign-in, codes, PIN) are counted in the database by the identity module, so they
 * hold across processes.
 *
 * Headers follow the IETF RateLimit draft: `RateLimit-Limit`, `RateLimit-Remaining`,
 * `RateLimit-Reset` on every answer, `RateLimit-Policy` naming the window, and `Retry-After` on
 * a 429, which is a problem+json answer like every other error.
 */
const WINDOW_MS = 60_000;

export async function installRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: perMinute,
    timeWindow: WINDOW_MS,
    enableDraftSpec: true,
    keyGenerator: (request) =>
      request.auth !== undefined
        ? `user:${request.auth.user.id}`
        : request.merchant !== undefined
          ? `key:${request.merchant.key.id}`
          : `ip:${request.ip}`,
    errorResponseBuilder: (_request, context) =>
      new ProblemError('rate_limited', {
        detail: `More than ${context.max} requests a minute; slow down.`,
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('ratelimit-policy', `${perMinute};w=${WINDOW_MS / 1000}`);
  });
}
