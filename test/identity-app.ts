/**
 * A real app over a fresh database for identity tests: the production `buildApp`, the identity
 * service and the message outbox with the development sender, and a clock the test moves.
 * Helpers register, verify and sign in users through the HTTP API itself.
 */
import type {
  FastifyInstance,
  FastifyPluginAsync,
  InjectOptions,
  LightMyRequestResponse,
} from 'fastify';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import { loadConfig } from '../src/config.js';
import {
  createEventHub,
  createMessageDispatcher,
  createWebhooks,
  devInboxSender,
  readDevInbox,
  type Webhooks,
} from '../src/events/index.js';
import { buildApp, createIdempotencyStore } from '../src/http/index.js';
import {
  createIdentityServices,
  type IdentityService,
  type IdentityServices,
} from '../src/identity/index.js';
import { createLedger, type Ledger } from '../src/ledger/index.js';
import { manualClock } from '../src/lib/clock.js';
import { newId } from '../src/lib/ids.js';
import {
  createCharges,
  createMerchants,
  createSales,
  createSettlements,
  MERCHANT_EVENT_TYPES,
  createPayments,
  type Merchants,
  type Payments,
  type Settlements,
} from '../src/merchants/index.js';
import { defaultRiskPolicy, type RiskPolicy } from '../src/risk/index.js';
import {
  createFunding,
  createFx,
  createHistory,
  createMoneyRequests,
  createWalletService,
  ensureSystemAccount,
  ensureWalletAccount,
  type Funding,
  type Fx,
  type MoneyRequests,
  type WalletService,
} from '../src/wallet/index.js';
import { parseKeyring } from '../src/lib/encryption.js';
import { createSandboxGateway, type PaymentGateway } from '../src/gateway/index.js';

import { createTestDatabase, type TestDatabase } from './db.js';

export const IDENTITY_T0 = Date.UTC(2026, 10, 23, 2, 0, 0);
export const SESSION_IDLE_MS = 60 * 60_000;
export const SESSION_MAX_MS = 7 * 24 * 3_600_000;
export const PASSWORD = 'correct horse battery staple';
/** Where the test app says it lives, for passkeys: the software authenticator signs this origin. */
export const WEBAUTHN_ORIGIN = 'http://localhost:3000';
export const WEBAUTHN_RP_ID = 'localhost';

export interface IdentityHarness {
  readonly app: FastifyInstance;
  readonly db: TestDatabase;
  readonly clock: ReturnType<typeof manualClock>;
  readonly identity: IdentityService;
  readonly services: IdentityServices;
  readonly ledger: Ledger;
  readonly wallet: WalletService;
  /** Currency conversion over the same services; its routes only with the `fx` option. */
  readonly fx: Fx;
  /** Cards, top-ups and withdrawals, over the `gateway` option's gateway. */
  readonly funding: Funding;
  /** Money requests (request money, split a bill); their routes are registered too. */
  readonly requests: MoneyRequests;
  readonly merchants: Merchants;
  readonly payments: Payments;
  readonly webhooks: Webhooks;
  readonly settlements: Settlements;
  /** Puts money in a user's wallet from the bank clearing account, as a settled top-up would. */
  fund(userId: string, amountMinor: bigint, currency?: string): Promise<void>;
  readonly hmacKey: Buffer;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Messages delivered to a contact, newest first. */
  inbox(to: string): Promise<Array<{ subject: string; body: string }>>;
  /** The newest six-digit code sent to a contact. */
  latestCode(to: string): Promise<string>;
  /** Registers and verifies a user; returns its login. */
  createUser(options?: { readonly login?: string; readonly password?: string }): Promise<string>;
  signIn(
    login: string,
    options?: { readonly password?: string; readonly deviceToken?: string },
  ): Promise<SignedInUser>;
}

export interface SignedInUser {
  readonly token: string;
  readonly csrf: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly deviceToken: string | undefined;
  readonly cookies: string;
  /** Authorization header for bearer requests. */
  readonly bearer: { readonly authorization: string };
}

let counter = 0;

/** A phone number no other test of this process uses. */
export function freshPhone(): string {
  counter += 1;
  return `+86139${String(process.pid % 10_000).padStart(4, '0')}${String(counter).padStart(4, '0')}`;
}

export async function createIdentityHarness(
  options: {
    readonly env?: 'development' | 'production';
    readonly rateLimitPerMinute?: number;
    readonly risk?: RiskPolicy;
    /** How many low-value payments a day skip step-up (default: the configuration's). */
    readonly exemptDailyCount?: number;
    /** More routes, for tests of plugins that routes opt into (idempotency). */
    readonly routes?: ReadonlyArray<FastifyPluginAsync>;
    /** Currencies users may hold (default CNY, USD, HKD). */
    readonly currencies?: readonly string[];
    /** Registers the currency conversion routes (`h.fx` exists either way). */
    /** The payment gateway of cards, top-ups and withdrawals (default: one never reached). */
    readonly gateway?: PaymentGateway;
    /** New merchants are active at once (default), or wait for an operator. */
    readonly autoApproveMerchants?: boolean;
  } = {},
): Promise<IdentityHarness> {
  const db = await createTestDatabase();
  const clock = manualClock(IDENTITY_T0);
  const config = loadConfig({});
  const hmacKey = config.hmacKey;
  const services = createIdentityServices(db.pool, clock, {
    hmacKey,
    dataKeys: parseKeyring(config.dataKeys),
    sessionIdleMs: SESSION_IDLE_MS,
    sessionMaxMs: SESSION_MAX_MS,
    webauthn: { rpId: WEBAUTHN_RP_ID, rpName: 'Hebao', origin: WEBAUTHN_ORIGIN },
    stepUpExemptAmountMinor: config.stepUpExemptAmountMinor,
    stepUpExemptDailyCount: options.exemptDailyCount ?? config.stepUpExemptDailyCount,
    timeZone: config.timeZone,
    kycDocumentTypes: config.kycDocumentTypes,
  });
  const identity = services.identity;
  const ledger = createLedger({ pool: db.pool, clock });
  const wallet = createWalletService({
    pool: db.pool,
    clock,
    ledger,
    identity: services,
    risk: options.risk ?? defaultRiskPolicy,
    currencies: options.currencies ?? ['CNY', 'USD', 'HKD'],
  });
  const fx = createFx({
    pool: db.pool,
    clock,
    ledger,
    identity: services,
    currencies: options.currencies ?? ['CNY', 'USD', 'HKD'],
  });
  // Tests that do not give a gateway get one that is never reached (nothing listens there).
  const gateway =
    options.gateway ??
    createSandboxGateway({
      baseUrl: 'http://127.0.0.1:9',
      apiKey: 'unused-sandbox-key',
      callbackSecret: 'unused-callback-secret',
      timeoutMs: 100,
    });
  const funding = createFunding({
    pool: db.pool,
    clock,
    ledger,
    identity: services,
    gateway,
    currencies: options.currencies ?? ['CNY', 'USD', 'HKD'],
  });
  const requests = createMoneyRequests({
    pool: db.pool,
    clock,
    wallet,
    identity: services,
    currencies: options.currencies ?? ['CNY', 'USD', 'HKD'],
  });
  const merchants = createMerchants({
    pool: db.pool,
    clock,
    ledger,
    identity: services,
    funding,
    autoApprove: options.autoApproveMerchants ?? true,
    keyMode: 'test',
  });
  const payments = createPayments({
    pool: db.pool,
    clock,
    ledger,
    identity: services,
    risk: options.risk ?? defaultRiskPolicy,
    fx,
  });
  const charges = createCharges({
    pool: db.pool,
    clock,
    ledger,
    identity: services,
    risk: options.risk ?? defaultRiskPolicy,
    payments,
    dataKeys: parseKeyring(config.dataKeys),
    timeZone: config.timeZone,
  });
  const webhooks = createWebhooks({
    pool: db.pool,
    clock,
    keyring: parseKeyring(config.dataKeys),
    production: false,
    allowLoopback: true,
    eventTypes: MERCHANT_EVENT_TYPES,
  });
  const settlements = createSettlements({
    pool: db.pool,
    clock,
    ledger,
    gateway,
    funding,
    timeZone: config.timeZone,
  });
  const messages = createMessageDispatcher({ pool: db.pool, clock, sender: devInboxSender() });
  const readInbox = async (to: string) => {
    await messages.deliverDue();
    return readDevInbox(db.pool, to);
  };
  const hub = await createEventHub(db.pool);
  const app = await buildApp({
    env: options.env ?? 'development',
    logger: false,
    checkReady: async () => ({ ok: true }),
    metrics: new Registry(),
    bodyLimitBytes: 64 * 1024,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 1_000_000,
    idempotency: createIdempotencyStore(db.pool, clock),
    wallet: {
      wallet,
      identity: services,
      fx,
      funding,
      requests,
      history: createHistory({ pool: db.pool, clock, timeZone: config.timeZone }),
    },
    merchants: {
      merchants,
      payments,
      charges,
      webhooks,
      settlements,
      sales: createSales({ pool: db.pool, clock, timeZone: config.timeZone }),
      identity: services,
      funding,
      clock,
      publicUrl: 'http://localhost:3000',
    },
    events: {
      db: db.pool,
      hub,
      clock,
      sessionLive: (id) => identity.sessionLive(id),
      heartbeatMs: 100,
    },
    routes: [
      ...(options.routes ?? []),
      async (instance) => {
        instance.addHook('onClose', () => hub.close());
      },
    ],
    identity: {
      ...services,
      devInbox: (options.env ?? 'development') === 'development' ? readInbox : undefined,
    },
  });
  const inject = (o: InjectOptions) => app.inject(o);
  // Concurrent deliveries skip each other's locked messages, so a message being delivered by
  // another request's delivery pass shows up a moment later: look a few times.
  const latestCode = async (to: string) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const [newest] = await readInbox(to);
      const code = /\b([0-9]{6})\b/.exec(newest?.body ?? '')?.[1];
      if (code !== undefined) return code;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no code sent to ${to}`);
  };
  const harness: IdentityHarness = {
    app,
    db,
    clock,
    identity,
    services,
    ledger,
    wallet,
    fx,
    funding,
    requests,
    merchants,
    payments,
    webhooks,
    settlements,
    async fund(userId, amountMinor, currency = 'CNY') {
      const user = await identity.getUser(userId);
      if (user === undefined) throw new Error(`no user ${userId}`);
      const [result] = await ledger.submit([
        {
          id: newId('trf', clock.nowMs()),
          debitAccountId: await ensureSystemAccount(ledger, 'bank_clearing', currency),
          creditAccountId: await ensureWalletAccount(
            db.pool,
            ledger,
            user,
            currency,
            new Date(clock.nowMs()),
          ),
          amountMinor,
          currency,
          code: 'test_funding',
        },
      ]);
      expect(result?.code).toBe('ok');
    },
    hmacKey,
    inject,
    inbox: readInbox,
    latestCode,
    async createUser(o = {}) {
      const login = o.login ?? freshPhone();
      const field = login.includes('@') ? 'email' : 'phone';
      const registered = await inject({
        method: 'POST',
        url: '/v1/auth/register',
        payload: {
          [field]: login,
          password: o.password ?? PASSWORD,
          display_name: 'Test User',
          locale: 'en',
        },
      });
      expect(registered.statusCode, registered.body).toBe(201);
      const verified = await inject({
        method: 'POST',
        url: '/v1/auth/verify-contact',
        payload: { login, code: await latestCode(login) },
      });
      expect(verified.statusCode, verified.body).toBe(200);
      return login;
    },
    async signIn(login, o = {}) {
      const response = await inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { login, password: o.password ?? PASSWORD },
        headers: o.deviceToken === undefined ? {} : { 'hebao-device': o.deviceToken },
      });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json<{
        token: string;
        csrf_token: string;
        session_id: string;
        device_token?: string;
        user: { id: string };
      }>();
      return {
        token: body.token,
        csrf: body.csrf_token,
        sessionId: body.session_id,
        userId: body.user.id,
        deviceToken: body.device_token ?? o.deviceToken,
        cookies: `hebao_session=${body.token}; hebao_csrf=${body.csrf_token}`,
        bearer: { authorization: `Bearer ${body.token}` },
      };
    },
  };
  return harness;
}
