import { fileURLToPath } from 'node:url';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { buildApp, webAppsAvailable } from '../http/index.js';
import { migrationsApplied, loadMigrations } from '../db/index.js';
import { createEventHub, readDevInbox } from '../events/index.js';
import { limits } from '../limits.js';
import { createSales } from '../merchants/index.js';
import { createHistory, FUNDING_POLL_INTERVAL_MS } from '../wallet/index.js';
import { startWorkers, type Job, type Workers } from '../workers/index.js';
import type { Runtime } from './runtime.js';

export function backgroundJobs(runtime: Runtime): Job[] {
  return [
    {
      name: 'hold-expiry',
      intervalMs: runtime.config.expiryIntervalMs,
      run: () => runtime.ledger.expireDueHolds(),
    },
    {
      name: 'journal-seal',
      intervalMs: runtime.config.sealIntervalMs,
      run: () => runtime.sealer.sealOnce(),
    },
    {
      name: 'outbox-messages',
      intervalMs: limits.outboxIntervalMs,
      run: () => runtime.messages.deliverDue(),
    },
    {
      name: 'wallet-transfers',
      intervalMs: limits.walletJobIntervalMs,
      run: async () =>
        (await runtime.wallet.releaseDue()) + (await runtime.wallet.recoverUnsettled()),
    },
    {
      name: 'merchant-payments',
      intervalMs: limits.walletJobIntervalMs,
      run: () => runtime.payments.recoverUnsettled(),
    },
    {
      name: 'payment-code-charges',
      intervalMs: limits.walletJobIntervalMs,
      run: () => runtime.charges.recoverUnsettled(),
    },
    {
      name: 'merchant-settlements',
      intervalMs: limits.settlementIntervalMs,
      run: () => runtime.settlements.settleDue(),
    },
    {
      name: 'webhook-deliveries',
      intervalMs: limits.webhookWorkerIntervalMs,
      run: () => runtime.webhooks.deliverDue(),
    },
    {
      name: 'webhook-retention',
      intervalMs: limits.identityPurgeIntervalMs,
      run: () => runtime.webhooks.purgeExpired(),
    },
    {
      name: 'funding-poll',
      intervalMs: FUNDING_POLL_INTERVAL_MS,
      run: async () => (await runtime.funding.pollStale()) + (await runtime.funding.purgeEvents()),
    },
    {
      name: 'fx-quotes',
      intervalMs: limits.identityPurgeIntervalMs,
      run: () => runtime.fx.purgeExpiredQuotes(),
    },
    {
      name: 'identity-cleanup',
      intervalMs: limits.identityPurgeIntervalMs,
      run: async () =>
        (await runtime.identity.purgeExpired()) + (await runtime.idempotency.purge()),
    },
  ];
}

export interface Server {
  readonly urls: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** Builds the app over a runtime, listens, and starts the workers unless told not to. */
export async function serve(
  runtime: Runtime,
  options: { readonly worker: boolean },
): Promise<Server> {
  const { config, pool } = runtime;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const migrations = await loadMigrations();
  const hub = await createEventHub(pool);
  const web = { distDir: fileURLToPath(new URL('../../web/dist', import.meta.url)) };
  const webBuilt = webAppsAvailable(web);
  if (!webBuilt)
    runtime.log.warn('web apps are not built (run npm run build): serving the API only');
  const app = await buildApp({
    ...(webBuilt ? { web } : {}),
    env: config.env,
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    metrics,
    bodyLimitBytes: limits.bodyBytesMax,
    rateLimitPerMinute: config.rateLimitPerMinute,
    idempotency: runtime.idempotency,
    wallet: {
      wallet: runtime.wallet,
      identity: runtime.identity,
      fx: runtime.fx,
      funding: runtime.funding,
      requests: runtime.requests,
      history: createHistory({ pool, clock: runtime.clock, timeZone: config.timeZone }),
    },
    merchants: {
      merchants: runtime.merchants,
      payments: runtime.payments,
      charges: runtime.charges,
      webhooks: runtime.webhooks,
      settlements: runtime.settlements,
      sales: createSales({ pool, clock: runtime.clock, timeZone: config.timeZone }),
      identity: runtime.identity,
      funding: runtime.funding,
      clock: runtime.clock,
      publicUrl: config.publicUrl,
    },
    events: {
      db: pool,
      hub,
      clock: runtime.clock,
      sessionLive: (id) => runtime.identity.identity.sessionLive(id),
    },
    identity: {
      ...runtime.identity,
      devInbox:
        config.env === 'development'
          ? async (to) => {
              await runtime.messages.deliverDue();
              return readDevInbox(pool, to);
            }
          : undefined,
    },
    checkReady: async () => {
      try {
        return (await migrationsApplied(pool, migrations))
          ? { ok: true }
          : { ok: false, reason: 'migrations are not applied' };
      } catch (error) {
        return { ok: false, reason: `database unreachable: ${(error as Error).message}` };
      }
    },
  });
  await app.listen({ host: config.host, port: config.port });
  const workers: Workers | undefined = options.worker
    ? startWorkers(backgroundJobs(runtime), runtime.log)
    : undefined;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  return {
    urls: {
      ...(webBuilt ? { Wallet: `${base}/`, 'Merchant portal': `${base}/merchant/` } : {}),
      'API docs': `${base}/docs`,
      OpenAPI: `${base}/openapi.json`,
      Health: `${base}/healthz`,
      Metrics: `${base}/metrics`,
      ...(config.env === 'development'
        ? { 'Dev inbox': `${base}/v1/dev/inbox?to=<phone or email>` }
        : {}),
      ...(runtime.sandboxBankUrl === undefined ? {} : { 'Sandbox bank': runtime.sandboxBankUrl }),
    },
    close: async () => {
      await app.close();
      await hub.close();
      await workers?.stop();
      await runtime.ledger.drain();
    },
  };
}
