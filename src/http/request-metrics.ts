import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

export const REQUEST_DURATION_METRIC = 'hebao_http_request_duration_seconds';

type RequestLabel = 'method' | 'route' | 'status_code';

/** Requests that matched no route share one label, so scanners cannot blow up cardinality. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * The histogram lives on the registry it was given rather than on prom-client's global one, so
 * two apps with two registries in one process (tests do this) never collide. An app built twice
 * on the same registry reuses the histogram that is already there.
 */
export function requestDurationHistogram(registry: Registry): Histogram<RequestLabel> {
  const existing = registry.getSingleMetric(REQUEST_DURATION_METRIC);
  if (existing instanceof Histogram) return existing;
  return new Histogram<RequestLabel>({
    name: REQUEST_DURATION_METRIC,
    help: 'Time from receiving an HTTP request to sending its response, in seconds.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
}

/** Labels by the route pattern (`/v1/transfers/:id`), never the raw URL, to bound cardinality. */
export function installRequestMetrics(app: FastifyInstance, registry: Registry): void {
  const histogram = requestDurationHistogram(registry);
  app.addHook('onResponse', async (request, reply) => {
    histogram.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
