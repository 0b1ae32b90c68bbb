/**
 * Helpers shared by the merchant tests: a harness whose payment limits stay out of the way, and
 * users, cards, merchants with API keys, payment intents, confirmations, refunds and balances made
 * through it.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { verifyLedger } from '../src/ledger/index.js';
import { newId } from '../src/lib/ids.js';
import {
  createIdentityHarness,
  PASSWORD,
  type IdentityHarness,
  type SignedInUser,
} from './identity-app.js';

type HarnessOptions = NonNullable<Parameters<typeof createIdentityHarness>[0]>;

/**
 * An identity harness (by default with 1000 payments a day exempt from step-up; `options`, when
 * given, replace that default) whose tier caps are raised to 1,000,000.00 a payment, a day and a
 * period, so that the tests of merchants do not meet them.
 */
export async function createMerchantHarness(
  options: HarnessOptions = { exemptDailyCount: 1000 },
): Promise<IdentityHarness> {
  const h = await createIdentityHarness(options);
  await h.db.pool.query(
    `UPDATE payment_limits SET per_transaction_minor = 100000000, daily_minor = 100000000,
       period_minor = 100000000`,
  );
  return h;
}

/** Checks that the ledger verifies after the tests, then closes the harness. */
export async function closeMerchantHarness(h: IdentityHarness): Promise<void> {
  expect(await verifyLedger(h.db.pool)).toMatchObject({ ok: true });
  await h.app.close();
}

/** A signed-in user together with the login it signed in with. */
export interface TestUser extends SignedInUser {
  readonly login: string;
}

export interface Shop {
  readonly owner: TestUser;
  readonly id: string;
  /** The API key's secret. */
  readonly key: string;
  readonly auth: { authorization: string };
}

export interface CardOptions {
  readonly token?: string;
  readonly brand?: string;
  readonly last4?: string;
}

export interface ShopOptions {
  /** What the merchant is opened with besides its settlement card (default: a coffee shop). */
  readonly merchant?: Readonly<Record<string, unknown>>;
  /** The card written for the owner to settle to. */
  readonly card?: CardOptions;
  /** Makes the settlement card instead (its id), e.g. through the cards API. */
  readonly settlementCard?: (owner: TestUser) => Promise<string>;
  /** The API key's name (default `server`). */
  readonly keyName?: string;
  /** The API key's scopes (default: the API's default scopes). */
  readonly scopes?: readonly string[];
}

/** A money amount; a bare string is an amount in CNY. */
export type Amount = string | { readonly amount: string; readonly currency: string };

/**
 * The helpers over a harness, or over a function that returns it (so that they can be taken apart
 * at a test file's top level while the harness is only made in its `beforeAll`).
 */
export function merchantFixtures(harness: IdentityHarness | (() => IdentityHarness)) {
  const current = typeof harness === 'function' ? harness : () => harness;

  /** A new, signed-in user with `balanceMinor` in the CNY wallet. */
  async function user(balanceMinor = 0n): Promise<TestUser> {
    const h = current();
    const login = await h.createUser();
    const me = await h.signIn(login);
    if (balanceMinor > 0n) await h.fund(me.userId, balanceMinor);
    return { ...me, login };
  }

  /** Sets the user's payment PIN (the user has none yet). */
  async function setPin(who: SignedInUser, pin: string): Promise<void> {
    const h = current();
    const set = await h.inject({
      method: 'PUT',
      url: '/v1/me/payment-pin',
      headers: who.bearer,
      payload: { pin, current_password: PASSWORD },
    });
    expect(set.statusCode, set.body).toBe(204);
  }

  /** A card row of `owner`'s, written straight into the database; returns its id. */
  async function card(owner: SignedInUser, options: CardOptions = {}): Promise<string> {
    const h = current();
    const id = newId('crd', h.clock.nowMs());
    await h.db.pool.query(
      `INSERT INTO cards (id, user_id, token, brand, last4, exp_month, exp_year, created_at)
       VALUES ($1, $2, $3, $4, $5, 12, 2030, $6)`,
      [
        id,
        owner.userId,
        options.token ?? 'tok_test',
        options.brand ?? 'unionpay',
        options.last4 ?? '6222',
        new Date(h.clock.nowMs()),
      ],
    );
    return id;
  }

  /** A merchant opened by a new user, and an API key of it. */
  async function shop(options: ShopOptions = {}): Promise<Shop> {
    const h = current();
    const owner = await user();
    const settlementCardId =
      options.settlementCard === undefined
        ? await card(owner, options.card)
        : await options.settlementCard(owner);
    const created = await h.inject({
      method: 'POST',
      url: '/v1/merchants',
      headers: owner.bearer,
      payload: {
        ...(options.merchant ?? {
          name_zh: '荷包咖啡',
          name_en: 'Hebao Coffee',
          mcc: '5814',
          city: 'Shanghai',
          country: 'CN',
        }),
        settlement_card_id: settlementCardId,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const key = await h.inject({
      method: 'POST',
      url: `/v1/merchants/${id}/api-keys`,
      headers: owner.bearer,
      payload: {
        name: options.keyName ?? 'server',
        ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
      },
    });
    expect(key.statusCode, key.body).toBe(201);
    const secret = key.json().secret as string;
    return { owner, id, key: secret, auth: { authorization: `Bearer ${secret}` } };
  }

  /** Creates a payment intent with the merchant's API key; `extra` goes into the body. */
  function createIntent(s: Shop, amount: Amount, extra: Record<string, unknown> = {}) {
    const h = current();
    return h.inject({
      method: 'POST',
      url: '/v1/payment-intents',
      headers: s.auth,
      payload: {
        amount: typeof amount === 'string' ? { amount, currency: 'CNY' } : amount,
        ...extra,
      },
    });
  }

  /** The payer confirms (pays) an intent, under a fresh idempotency key. */
  function confirm(payer: SignedInUser, intentId: string, body: Record<string, unknown> = {}) {
    const h = current();
    return h.inject({
      method: 'POST',
      url: `/v1/payment-intents/${intentId}/confirm`,
      headers: { ...payer.bearer, 'idempotency-key': randomUUID() },
      payload: body,
    });
  }

  /** Refunds an intent in full, or `amount` of it, under a fresh idempotency key. */
  function refund(s: Shop, intentId: string, amount?: string) {
    const h = current();
    return h.inject({
      method: 'POST',
      url: '/v1/refunds',
      headers: { ...s.auth, 'idempotency-key': randomUUID() },
      payload: { payment_intent: intentId, ...(amount === undefined ? {} : { amount }) },
    });
  }

  /** Posted balance (credits - debits) of the ledger account of `accountOwner` (0 if none). */
  async function balanceOf(accountOwner: string): Promise<bigint> {
    const h = current();
    const { rows } = await h.db.pool.query<{ balance: bigint }>(
      `SELECT credits_posted - debits_posted AS balance FROM ledger_accounts WHERE owner = $1`,
      [accountOwner],
    );
    return rows[0]?.balance ?? 0n;
  }

  /** What the user's CNY wallet shows as available, through the wallets API. */
  async function available(who: SignedInUser): Promise<string | undefined> {
    const h = current();
    const response = await h.inject({ method: 'GET', url: '/v1/wallets', headers: who.bearer });
    const wallets = response.json().data as Array<{
      currency: string;
      available: { amount: string };
    }>;
    return wallets.find((w) => w.currency === 'CNY')?.available.amount;
  }

  return { user, setPin, card, shop, createIntent, confirm, refund, balanceOf, available };
}
