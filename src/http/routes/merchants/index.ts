import type { FastifyPluginAsync } from 'fastify';
import { merchantRoutes } from './merchants.js';
import { paymentRoutes } from './payments.js';
import type { MerchantRouteDeps } from './shared.js';

export type { MerchantRouteDeps } from './shared.js';

/** Merchants, their API, and paying them: one plugin, one file per route area. */
export function merchantsPlugin(deps: MerchantRouteDeps): FastifyPluginAsync {
  return async (app) => {
    merchantRoutes(app, deps);
    paymentRoutes(app, deps);
  };
}
