import type { FastifyPluginAsync } from 'fastify';
import { cardRoutes } from './cards.js';
import { fxRoutes } from './fx.js';
import { gatewayCallbackRoutes } from './gateway-callbacks.js';
import { historyRoutes } from './history.js';
import { topupRoutes } from './topups.js';
import { withdrawalRoutes } from './withdrawals.js';
import { recipientsRoute } from './recipients.js';
import { requestRoutes } from './requests.js';
import type { WalletRouteDeps } from './shared.js';
import { transactionsRoute } from './transactions.js';
import { transferRoutes } from './transfers.js';
import { walletsRoute } from './wallets.js';

export type { WalletRouteDeps } from './shared.js';

/** Balances, P2P transfers and history: one plugin, one file per route area. */
export function walletRoutes(deps: WalletRouteDeps): FastifyPluginAsync {
  return async (app) => {
    walletsRoute(app, deps);
    recipientsRoute(app, deps);
    transferRoutes(app, deps);
    transactionsRoute(app, deps);
    historyRoutes(app, deps);
    fxRoutes(app, deps);
    cardRoutes(app, deps);
    topupRoutes(app, deps);
    withdrawalRoutes(app, deps);
    gatewayCallbackRoutes(app, deps);
    requestRoutes(app, deps);
  };
}
