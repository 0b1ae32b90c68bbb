import type { FastifyPluginAsync } from 'fastify';
import { chargeRoutes } from './charges.js';
import { merchantRoutes } from './merchants.js';
import { paymentRoutes } from './payments.js';
import type { MerchantRouteDeps } from './shared.js';
import { settlementRoutes } from './settlements.js';
import { webhookRoutes } from './webhooks.js';

export type { MerchantRouteDeps } from './shared.js';

/** Merchants, their API, and paying them: one plugin, one file per route area. */
export function merchantsPlugin(deps: MerchantRouteDeps): FastifyPluginAsync {
  return async (app) => {
    merchantRoutes(app, deps);
    paymentRoutes(app, deps);
    chargeRoutes(app, deps);
    webhookRoutes(app, deps.webhooks);
    settlementRoutes(app, deps.settlements);
  };
}
