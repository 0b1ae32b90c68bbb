import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ProblemError, problemResponse } from '../problem.js';
import type { TypeBoxTypeProvider } from '../type-provider.js';

export type ReadinessCheck = () => Promise<{ ok: true } | { ok: false; reason: string }>;

const HealthSchema = Type.Object(
  { status: Type.Literal('ok') },
  { title: 'Health', additionalProperties: false },
);

const ReadySchema = Type.Object(
  { status: Type.Literal('ready') },
  { title: 'Readiness', additionalProperties: false },
);

/**
 * `/healthz` answers whenever the process can serve HTTP, so an orchestrator restarts only a
 * process that is truly stuck. `/readyz` asks the dependencies (database, migrations) and takes
 * the instance out of the load balancer while they are not usable.
 */
export function healthRoutes(checkReady: ReadinessCheck): FastifyPluginAsync {
  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['operations'],
          summary: 'Whether the process is alive',
          response: { 200: HealthSchema },
        },
      },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          summary: 'Whether the instance can serve traffic',
          response: { 200: ReadySchema, 503: problemResponse('A dependency is not ready.') },
        },
      },
      async () => {
        const result = await checkReady();
        if (!result.ok) throw new ProblemError('service_unavailable', { detail: result.reason });
        return { status: 'ready' as const };
      },
    );
  };
}
