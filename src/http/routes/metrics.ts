import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { TypeBoxTypeProvider } from '../type-provider.js';

const MetricsSchema = Type.String({
  description: 'Prometheus text exposition format.',
});

/** Exposes the registry given to `buildApp`, never prom-client's global one. */
export function metricsRoute(registry: Registry): FastifyPluginAsync {
  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics',
          produces: ['text/plain'],
          response: { 200: MetricsSchema },
        },
      },
      async (_request, reply) => {
        const text = await registry.metrics();
        return reply.type(registry.contentType).send(text);
      },
    );
  };
}
