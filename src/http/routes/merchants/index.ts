import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { chargeRoutes } from './charges.js';
import { merchantRoutes } from './merchants.js';
import { paymentRoutes } from './payments.js';
import { portalPlugin, PORTAL_PREFIX, type PortalDeps } from './portal.js';
import { settlementRoutes } from './settlements.js';
import { webhookRoutes } from './webhooks.js';

/** Everything the merchant routes and the merchant portal need. */
export type MerchantRouteDeps = PortalDeps;

/**
 * Merchants, their API, and paying them: one plugin, one file per route area. The merchant API
 * is also reachable by the merchant's owner under the portal prefix (see portal.ts).
 */
export function merchantsPlugin(deps: MerchantRouteDeps): FastifyPluginAsync {
  const registerRoutes = (app: FastifyInstance) => {
    merchantRoutes(app, deps);
    paymentRoutes(app, deps);
    chargeRoutes(app, deps);
    webhookRoutes(app, deps.webhooks);
    settlementRoutes(app, deps.settlements);
  };
  return async (app) => {
    registerRoutes(app);
    await app.register(portalPlugin(deps, registerRoutes), { prefix: PORTAL_PREFIX });
  };
}
