import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { installAuth } from './auth.js';
import { installIdempotency, type IdempotencyStore } from './idempotency.js';
import { answerError, installProblemHandlers } from './problem-handlers.js';
import { installRateLimit } from './rate-limit.js';
import { generateRequestId, installRequestIdHeader } from './request-id.js';
import { installRequestMetrics } from './request-metrics.js';
import { healthRoutes, type ReadinessCheck } from './routes/health.js';
import { identityRoutes, type IdentityRouteDeps } from './routes/identity/index.js';
import { walletRoutes, type WalletRouteDeps } from './routes/wallet/index.js';
import { eventRoutes, type EventRouteDeps } from './routes/events.js';
import { merchantsPlugin, type MerchantRouteDeps } from './routes/merchants/index.js';
import { metricsRoute } from './routes/metrics.js';
import { openApiRoute } from './routes/openapi.js';
import { ajvOptions, installTextCoercion } from './type-provider.js';
import { webApps, type WebAppsOptions } from './web.js';

/** Everything the HTTP layer needs, passed in; the app reads no globals and no environment. */
export interface AppDeps {
  readonly env: 'development' | 'production';
  readonly logger: boolean | { readonly level: string };
  readonly checkReady: ReadinessCheck;
  readonly metrics: Registry;
  readonly bodyLimitBytes: number;
  /** Requests a minute per signed-in user, or per IP address before sign-in. */
  readonly rateLimitPerMinute: number;
  /** Users and sessions; without it the app serves only the operational routes. */
  readonly identity?: IdentityRouteDeps;
  /** Balances, transfers and history; needs `identity` and `idempotency`. */
  readonly wallet?: WalletRouteDeps;
  /** Merchants, their API keys, payment intents, refunds and scans; needs `wallet`. */
  readonly merchants?: MerchantRouteDeps;
  /** The user event list and stream. */
  readonly events?: EventRouteDeps;
  /** Where Idempotency-Key records live; needed by routes declared with `config.idempotency`. */
  readonly idempotency?: IdempotencyStore;
  readonly routes?: ReadonlyArray<FastifyPluginAsync>;
  /** The built web apps, served at `/` and `/merchant/`; unset: the API only. */
  readonly web?: WebAppsOptions;
}

export const API_TITLE = 'Hebao API';
export const API_VERSION = '1.0.0';

/**
 * Builds the app without listening, so that tests call `app.inject()` on exactly what runs in
 * production. The order matters: hooks and handlers installed first apply to every route
 * registered after them, and the OpenAPI generator must see every route being added.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger === false ? false : { level: logLevel(deps.logger) },
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    genReqId: generateRequestId,
    requestIdHeader: false,
    bodyLimit: deps.bodyLimitBytes,
    ajv: ajvOptions,
    frameworkErrors: (error, request, reply) => {
      answerError(error, request, reply);
    },
  });
  installRequestIdHeader(app);
  installRequestMetrics(app, deps.metrics);
  installTextCoercion(app);
  acceptJsonOnly(app);
  await registerDocs(app, deps);
  installProblemHandlers(app);
  // Credentials first, so that the rate limit can count per user.
  if (deps.identity !== undefined) {
    installAuth(app, deps.identity.identity, deps.merchants?.merchants);
  }
  await installRateLimit(app, deps.rateLimitPerMinute);
  if (deps.idempotency !== undefined) installIdempotency(app, deps.idempotency);
  await app.register(healthRoutes(deps.checkReady));
  await app.register(metricsRoute(deps.metrics));
  await app.register(openApiRoute);
  if (deps.identity !== undefined) await app.register(identityRoutes(deps.identity));
  if (deps.wallet !== undefined) await app.register(walletRoutes(deps.wallet));
  if (deps.merchants !== undefined) await app.register(merchantsPlugin(deps.merchants));
  if (deps.events !== undefined) await app.register(eventRoutes(deps.events));
  for (const routes of deps.routes ?? []) await app.register(routes);
  if (deps.web !== undefined) await app.register(webApps(deps.web));
  await app.ready();
  return app;
}

function logLevel(logger: true | { readonly level: string }): string {
  return logger === true ? 'info' : logger.level;
}

/**
 * The API speaks JSON only. Fastify also parses text/plain by default, which would turn a
 * wrongly labelled body into a confusing validation error instead of a clear 415.
 */
function acceptJsonOnly(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
}

async function registerDocs(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: API_TITLE,
        version: API_VERSION,
        description: 'Hebao (荷包) digital wallet platform.',
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, tryItOutEnabled: deps.env === 'development' },
  });
}
