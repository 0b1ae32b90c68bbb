/**
 * The imperative shell of a Hebao process: opens the database (an embedded PostgreSQL when
 * `DATABASE_URL` is unset), migrates it, and builds the services over it. Every command of the
 * CLI starts here, so they all see the same database the same way.
 */
import pg from 'pg';
import pino, { type Logger } from 'pino';
import type { KeyObject } from 'node:crypto';
import { ConfigError, type Config } from '../config.js';
import { createPool, migrate, sqlState, startEmbeddedPostgres, type Pool } from '../db/index.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { KeyringError, parseKeyring, type Keyring } from '../lib/encryption.js';
import { assertLimits } from '../limits.js';
import {
  createMessageDispatcher,
  createWebhooks,
  devInboxSender,
  logSender,
  type MessageDispatcher,
  type Webhooks,
} from '../events/index.js';
import { isCurrencyCode } from '../money/index.js';
import {
  createCharges,
  createMerchants,
  createSettlements,
  MERCHANT_EVENT_TYPES,
  createPayments,
  type Charges,
  type Settlements,
  type Merchants,
  type Payments,
} from '../merchants/index.js';
import { defaultRiskPolicy } from '../risk/index.js';
import { createSandboxGateway, startSandboxBank, type PaymentGateway } from '../gateway/index.js';
import {
  createFunding,
  createFx,
  createMoneyRequests,
  createWalletService,
  type Funding,
  type MoneyRequests,
  type Fx,
  type WalletService,
} from '../wallet/index.js';
import { createIdempotencyStore, type IdempotencyStore } from '../http/index.js';
import { createIdentityServices, type IdentityServices } from '../identity/index.js';
import {
  createLedger,
  createSealer,
  parseSigningKey,
  type Ledger,
  type Sealer,
} from '../ledger/index.js';

const DATABASE = 'hebao';

export interface Runtime {
  readonly config: Config;
  readonly log: Logger;
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly sealer: Sealer;
  readonly identity: IdentityServices;
  readonly messages: MessageDispatcher;
  readonly idempotency: IdempotencyStore;
  readonly wallet: WalletService;
  readonly fx: Fx;
  readonly funding: Funding;
  readonly requests: MoneyRequests;
  readonly merchants: Merchants;
  readonly payments: Payments;
  readonly charges: Charges;
  readonly webhooks: Webhooks;
  readonly settlements: Settlements;
  /** The sandbox bank's URL when this process runs one (development without HEBAO_GATEWAY_URL). */
  readonly sandboxBankUrl: string | undefined;
  /** The key that signs seal blocks, from HEBAO_SEAL_SIGNING_KEY. */
  readonly sealSigningKey: KeyObject | undefined;
  /** Where the database is, for printing (the password is not shown). */
  readonly databaseLabel: string;
  close(): Promise<void>;
}

export async function openRuntime(config: Config): Promise<Runtime> {
  assertLimits();
  const signingKey = sealSigningKey(config);
  const currencies = enabledCurrencies(config);
  const dataKeys = dataKeyring(config);
  const log = pino({ level: config.logLevel, base: { service: 'hebao' } });
  const database = await openDatabase(config, log);
  const pool = createPool(database.url, {
    onError: (error) => {
      // 57P01: the server is shutting down (Ctrl+C in a terminal reaches the embedded
      // PostgreSQL too, and it stops at once); expected, so not worth a warning.
      const level = sqlState(error) === '57P01' ? 'debug' : 'warn';
      log[level](
        { code: sqlState(error), reason: error.message },
        'idle database connection closed',
      );
    },
  });
  try {
    const applied = await migrate(pool);
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
  } catch (error) {
    await pool.end();
    await database.stop();
    throw error;
  }
  const clock = systemClock;
  const ledger = createLedger({ pool, clock });
  const identity = createIdentityServices(pool, clock, {
    hmacKey: config.hmacKey,
    dataKeys,
    sessionIdleMs: config.sessionIdleMs,
    sessionMaxMs: config.sessionMaxMs,
    webauthn: { rpId: config.webauthnRpId, rpName: 'Hebao', origin: config.publicUrl },
    stepUpExemptAmountMinor: config.stepUpExemptAmountMinor,
    stepUpExemptDailyCount: config.stepUpExemptDailyCount,
    timeZone: config.timeZone,
    kycDocumentTypes: config.kycDocumentTypes,
  });
  const bank = await openGateway(config, log);
  const wallet = createWalletService({
    pool,
    clock,
    ledger,
    identity,
    risk: defaultRiskPolicy,
    currencies,
  });
  const funding = createFunding({
    pool,
    clock,
    ledger,
    identity,
    gateway: bank.gateway,
    currencies,
  });
  const fx = createFx({ pool, clock, ledger, identity, currencies });
  const payments = createPayments({ pool, clock, ledger, identity, risk: defaultRiskPolicy, fx });
  const sender =
    config.env === 'development'
      ? devInboxSender((m) =>
          log.info({ to: m.recipient, channel: m.channel, body: m.body }, 'dev message'),
        )
      : logSender((m) =>
          log.warn(
            { to: m.recipient, channel: m.channel, message_id: m.id },
            'no message provider configured; message not sent',
          ),
        );
  return {
    config,
    log,
    pool,
    clock,
    ledger,
    sealer: createSealer({ pool, clock, signingKey }),
    identity,
    wallet,
    requests: createMoneyRequests({ pool, clock, wallet, identity, currencies }),
    fx,
    funding,
    merchants: createMerchants({
      pool,
      clock,
      ledger,
      identity,
      funding,
      autoApprove: config.env === 'development',
      keyMode: config.env === 'development' ? 'test' : 'live',
    }),
    payments,
    charges: createCharges({
      pool,
      clock,
      ledger,
      identity,
      risk: defaultRiskPolicy,
      payments,
      dataKeys,
      timeZone: config.timeZone,
    }),
    settlements: createSettlements({
      pool,
      clock,
      ledger,
      gateway: bank.gateway,
      funding,
      timeZone: config.timeZone,
    }),
    webhooks: createWebhooks({
      pool,
      clock,
      keyring: dataKeys,
      production: config.env === 'production',
      allowLoopback: config.webhookAllowLoopback,
      eventTypes: MERCHANT_EVENT_TYPES,
    }),
    sandboxBankUrl: bank.sandboxUrl,
    messages: createMessageDispatcher({ pool, clock, sender }),
    idempotency: createIdempotencyStore(pool, clock),
    sealSigningKey: signingKey,
    databaseLabel: database.label,
    close: async () => {
      await bank.close();
      await pool.end();
      await database.stop();
    },
  };
}

/** How long a request to the gateway may take before its outcome counts as unknown. */
const GATEWAY_TIMEOUT_MS = 10_000;
/** The sandbox bank's settlement delay in development: long enough to see a top-up pending. */
const SANDBOX_SETTLE_MS = 1500;

/**
 * The payment gateway: the configured one, or in development a sandbox bank started in this
 * process, calling back the API at its public URL.
 */
async function openGateway(
  config: Config,
  log: Logger,
): Promise<{ gateway: PaymentGateway; sandboxUrl: string | undefined; close(): Promise<void> }> {
  const credentials = {
    apiKey: config.gatewayApiKey,
    callbackSecret: config.gatewayCallbackSecret,
    timeoutMs: GATEWAY_TIMEOUT_MS,
  };
  if (config.gatewayUrl !== undefined) {
    return {
      gateway: createSandboxGateway({ baseUrl: config.gatewayUrl, ...credentials }),
      sandboxUrl: undefined,
      close: async () => undefined,
    };
  }
  const bank = await startSandboxBank({
    port: 0,
    callbackUrl: `${config.publicUrl}/v1/gateway/callbacks`,
    apiKey: config.gatewayApiKey,
    callbackSecret: config.gatewayCallbackSecret,
    delays: { settleMs: SANDBOX_SETTLE_MS, callbackDelayMs: 0 },
    log: log.child({ component: 'sandbox-bank' }),
  });
  return {
    gateway: createSandboxGateway({ baseUrl: bank.url, ...credentials }),
    sandboxUrl: bank.url,
    close: () => bank.close(),
  };
}

/** Every enabled currency must be one the money table knows. */
function enabledCurrencies(config: Config): string[] {
  const unknown = config.currencies.find((c) => !isCurrencyCode(c));
  if (unknown !== undefined) {
    throw new ConfigError(`HEBAO_CURRENCIES has ${unknown}, which is not a supported currency`);
  }
  return [...config.currencies];
}

/** Parsed before anything is opened, so a bad key stops the process like any bad setting. */
function sealSigningKey(config: Config): KeyObject | undefined {
  if (config.sealSigningKey === undefined) return undefined;
  try {
    return parseSigningKey(config.sealSigningKey);
  } catch {
    throw new ConfigError(
      'HEBAO_SEAL_SIGNING_KEY is not an Ed25519 private key: use a PKCS#8 PEM or a base64 32-byte seed',
    );
  }
}

/** Parsed before anything is opened, like the signing key; the message never quotes key bytes. */
function dataKeyring(config: Config): Keyring {
  try {
    return parseKeyring(config.dataKeys);
  } catch (error) {
    if (error instanceof KeyringError) throw new ConfigError(`HEBAO_DATA_KEYS: ${error.message}`);
    throw error;
  }
}

async function openDatabase(
  config: Config,
  log: Logger,
): Promise<{ url: string; label: string; stop: () => Promise<void> }> {
  if (config.databaseUrl !== undefined) {
    const url = new URL(config.databaseUrl);
    return {
      url: config.databaseUrl,
      label: `${url.host}${url.pathname}`,
      stop: async () => undefined,
    };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    durable: true,
    log: (line) => log.debug({ postgres: line }, 'embedded postgres'),
  });
  try {
    await ensureDatabase(embedded.adminUrl, DATABASE);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return {
    url: embedded.urlFor(DATABASE),
    label: `embedded PostgreSQL on 127.0.0.1:${embedded.port}, data in ${config.dataDir}`,
    stop: () => embedded.stop(),
  };
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}
