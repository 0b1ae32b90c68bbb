/**
 * Goal: currency conversion over the HTTP API moves money exactly once, both legs or neither, at
 * the quoted price rounded in the house's favour; an expired, used or foreign quote moves
 * nothing; only an admin operator with a second factor sets rates; and the ledger's invariants
 * (per-currency sums included) hold afterwards, with every wallet and FX position together
 * holding exactly what came in from the bank.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantOperator } from '../src/identity/index.js';
import { totpCode } from '../src/identity/totp.js';
import { verifyLedger } from '../src/ledger/index.js';
import { formatRate, parseRate, ratio } from '../src/wallet/fx-core.js';
import { AMOUNT_MINOR_MAX } from '../src/money/index.js';
import { FX_QUOTE_TTL_MS, runFxRateCommand } from '../src/wallet/fx.js';
import { systemAccountId } from '../src/wallet/ids.js';
import {
  createIdentityHarness,
  PASSWORD,
  type IdentityHarness,
  type SignedInUser,
} from './identity-app.js';

type Caller = Pick<SignedInUser, 'bearer'>;

let h: IdentityHarness;
let admin: Caller;
let adminPasswordOnly: Caller;
let compliance: Caller;

beforeAll(async () => {
  h = await createIdentityHarness({ currencies: ['CNY', 'USD', 'HKD', 'JPY'] });
  ({ withMfa: admin, passwordOnly: adminPasswordOnly } = await operator('admin'));
  ({ withMfa: compliance } = await operator('compliance'));
  await setRates();
});
afterAll(async () => {
  await h.app.close();
});

/** An operator with two sessions: the password alone, and one that also passed a TOTP code. */
async function operator(role: 'admin' | 'compliance') {
  const login = await h.createUser();
  const passwordOnly = await h.signIn(login);
  const enrolled = await call(passwordOnly, 'POST', '/v1/me/mfa/totp');
  const { secret } = enrolled.json<{ secret: string }>();
  const confirmed = await call(passwordOnly, 'POST', '/v1/me/mfa/totp/confirm', {
    code: await totpCode(secret, h.clock.nowMs()),
  });
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  await grantOperator(h.db.pool, login, role, new Date(h.clock.nowMs()));
  const password = await h.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { login, password: PASSWORD },
  });
  const challengeId = password.json<{ challenge_id: string }>().challenge_id;
  // The next time step, so that the code used to confirm the app is not replayed.
  h.clock.advanceMs(30_000);
  const done = await h.inject({
    method: 'POST',
    url: '/v1/auth/mfa',
    payload: { challenge_id: challengeId, totp: await totpCode(secret, h.clock.nowMs()) },
  });
  expect(done.statusCode, done.body).toBe(200);
  const withMfa = { bearer: { authorization: `Bearer ${done.json<{ token: string }>().token}` } };
  return { passwordOnly, withMfa };
}

function call(
  caller: Caller | undefined,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
) {
  return h.inject({
    method,
    url,
    headers: { ...(caller?.bearer ?? {}), ...headers },
    ...(payload === undefined ? {} : { payload }),
  });
}

function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json<{ code: string }>().code).toBe(code);
}

function setRate(caller: Caller, base: string, quote: string, mid: string, spreadBps: number) {
  return call(caller, 'PUT', '/v1/admin/fx-rates', { base, quote, mid, spread_bps: spreadBps });
}

async function setRates(): Promise<void> {
  for (const [base, quote, mid, spread] of [
    ['USD', 'CNY', '7.2345', 50],
    ['CNY', 'JPY', '20.5', 30],
  ] as const) {
    const response = await setRate(admin, base, quote, mid, spread);
    expect(response.statusCode, response.body).toBe(200);
  }
}

async function user(funds: ReadonlyArray<readonly [bigint, string]> = []): Promise<SignedInUser> {
  const me = await h.signIn(await h.createUser());
  for (const [amountMinor, currency] of funds) await h.fund(me.userId, amountMinor, currency);
  return me;
}

/** Available balances by currency, as the user sees them. */
async function balances(who: Caller): Promise<Record<string, string>> {
  const response = await call(who, 'GET', '/v1/wallets');
  expect(response.statusCode).toBe(200);
  const wallets = response.json<{
    data: Array<{ currency: string; available: { amount: string } }>;
  }>();
  return Object.fromEntries(wallets.data.map((w) => [w.currency, w.available.amount]));
}

interface QuoteJson {
  id: string;
  sell: { amount: string; currency: string };
  buy: { amount: string; currency: string };
  fixed: 'sell' | 'buy';
  rate: string;
  spread_bps: number;
  created_at: string;
  expires_at: string;
}

function askQuote(who: Caller, body: object) {
  return call(who, 'POST', '/v1/fx/quotes', body);
}

async function quoteOf(who: Caller, body: object): Promise<QuoteJson> {
  const response = await askQuote(who, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<QuoteJson>();
}

function convert(who: Caller, quoteId: string, key: string | null = randomUUID()) {
  return call(
    who,
    'POST',
    '/v1/conversions',
    { quote_id: quoteId },
    key === null ? {} : { 'idempotency-key': key },
  );
}

async function positionOf(currency: string): Promise<bigint> {
  const account = await h.ledger.getAccount(systemAccountId('fx_position', currency));
  return account === undefined ? 0n : account.creditsPosted - account.debitsPosted;
}

async function conversionsOf(userId: string): Promise<number> {
  const { rows } = await h.db.pool.query('SELECT id FROM fx_conversions WHERE user_id = $1', [
    userId,
  ]);
  return rows.length;
}

async function verified(): Promise<void> {
  const client = await h.db.pool.connect();
  try {
    const report = await verifyLedger(client);
    expect(report, JSON.stringify(report)).toMatchObject({ ok: true });
  } finally {
    client.release();
  }
}

const usd = (amount: string) => ({ amount, currency: 'USD' });
const cny = (amount: string) => ({ amount, currency: 'CNY' });
const jpy = (amount: string) => ({ amount, currency: 'JPY' });

describe('setting rates (PUT /v1/admin/fx-rates)', () => {
  it('is for admin operators with a second factor only', async () => {
    const plain = await user();
    expectProblem(await setRate(plain, 'USD', 'HKD', '7.8', 10), 403, 'operator_required');
    expectProblem(await setRate(compliance, 'USD', 'HKD', '7.8', 10), 403, 'operator_required');
    expectProblem(
      await setRate(adminPasswordOnly, 'USD', 'HKD', '7.8', 10),
      403,
      'operator_mfa_required',
    );
    const anonymous = await call(undefined, 'PUT', '/v1/admin/fx-rates', {
      base: 'USD',
      quote: 'HKD',
      mid: '7.8',
      spread_bps: 10,
    });
    expectProblem(anonymous, 401, 'unauthenticated');
    // None of them set a rate.
    expectProblem(
      await askQuote(plain, { sell: usd('1.00'), buy_currency: 'HKD' }),
      409,
      'fx_rate_unavailable',
    );
  });

  it.each([
    ['a mid of zero', ['USD', 'HKD', '0', 10], 400, 'fx_rate_out_of_range'],
    ['a mid with 13 decimals', ['USD', 'HKD', '1.0000000000001', 10], 400, 'validation_failed'],
    ['a spread above 1000 bps', ['USD', 'HKD', '7.8', 1001], 400, 'validation_failed'],
    ['one currency twice', ['USD', 'USD', '1', 0], 400, 'fx_same_currency'],
    ['a currency not enabled', ['EUR', 'CNY', '7.8', 10], 400, 'currency_not_enabled'],
    ['a lower-case code', ['usd', 'CNY', '7.8', 10], 400, 'validation_failed'],
  ] as const)('refuses %s', async (_name, [base, quote, mid, spread], status, code) => {
    expectProblem(await setRate(admin, base, quote, mid, spread), status, code);
  });

  it('keeps the history: the newest rate of a pair, in either direction, is current', async () => {
    const set = await setRate(admin, 'HKD', 'USD', '0.128', 20);
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ base: 'HKD', quote: 'USD', mid: '0.128', spread_bps: 20 });
    expect(set.json().set_by).toMatch(/^usr_/);
    const again = await setRate(admin, 'USD', 'HKD', '7.80', 25);
    expect(again.json()).toMatchObject({ mid: '7.8', spread_bps: 25 });
    const { rows } = await h.db.pool.query(
      `SELECT mid::text AS mid FROM fx_rates
        WHERE (base_currency, quote_currency) IN (('HKD', 'USD'), ('USD', 'HKD')) ORDER BY id`,
    );
    expect(rows.map((r) => r.mid)).toEqual(['0.128', '7.8']);
    const someone = await user();
    const rates = await call(someone, 'GET', '/v1/fx/rates');
    expect(rates.statusCode).toBe(200);
    const data = rates.json<{ data: Array<Record<string, unknown>> }>().data;
    const pairs = data.filter((r) => [r.base, r.quote].sort().join('/') === 'HKD/USD');
    expect(pairs).toEqual([
      {
        base: 'USD',
        quote: 'HKD',
        mid: '7.8',
        spread_bps: 25,
        base_to_quote: '7.7805',
        quote_to_base: '0.1278846153',
        set_at: expect.any(String),
      },
    ]);
    expect(data.find((r) => r.base === 'USD' && r.quote === 'CNY')).toMatchObject({
      mid: '7.2345',
      base_to_quote: '7.1983275',
    });
  });

  it('has a command-line twin that sets the same rate', async () => {
    expect(await runFxRateCommand(h.fx, ['USD', 'HKD'])).toMatchObject({ exitCode: 2 });
    expect(await runFxRateCommand(h.fx, ['usd', 'hkd', '0', '1'])).toMatchObject({
      exitCode: 1,
      output: expect.stringContaining('fx_rate_out_of_range'),
    });
    const done = await runFxRateCommand(h.fx, ['usd', 'hkd', '7.81', '25']);
    expect(done).toMatchObject({
      exitCode: 0,
      output: expect.stringContaining('1 USD = 7.81 HKD'),
    });
    const { rows } = await h.db.pool.query(`SELECT set_by FROM fx_rates ORDER BY id DESC LIMIT 1`);
    expect(rows[0].set_by).toBeNull();
  });
});

describe('quotes (POST /v1/fx/quotes)', () => {
  it('prices a fixed amount to sell, rounding what the user gets down', async () => {
    const me = await user();
    const quote = await quoteOf(me, { sell: usd('100.00'), buy_currency: 'CNY' });
    expect(quote).toMatchObject({
      id: expect.stringMatching(/^fxq_[0-9A-HJKMNP-TV-Z]{26}$/),
      sell: usd('100.00'),
      // 100 × 7.2345 × 0.995 = 719.83275
      buy: cny('719.83'),
      fixed: 'sell',
      rate: '7.1983275',
      spread_bps: 50,
    });
    expect(Date.parse(quote.expires_at) - Date.parse(quote.created_at)).toBe(FX_QUOTE_TTL_MS);
  });

  it('prices a fixed amount to receive, rounding what the user pays up, across exponents', async () => {
    const me = await user();
    // 1000 JPY at 20.5 × 0.997 = 20.4385 JPY per CNY cost 48.927… CNY: the user pays 48.93.
    expect(await quoteOf(me, { buy: jpy('1000'), sell_currency: 'CNY' })).toMatchObject({
      sell: cny('48.93'),
      buy: jpy('1000'),
      fixed: 'buy',
    });
    // The other way: 1000 JPY × 0.997 / 20.5 = 48.634… CNY, rounded down.
    expect(await quoteOf(me, { sell: jpy('1000'), buy_currency: 'CNY' })).toMatchObject({
      buy: cny('48.63'),
    });
  });

  it.each([
    ['one currency twice', { sell: usd('1.00'), buy_currency: 'USD' }, 400, 'fx_same_currency'],
    [
      'a pair without a rate',
      { sell: cny('1.00'), buy_currency: 'HKD' },
      409,
      'fx_rate_unavailable',
    ],
    [
      'a currency not enabled',
      { sell: { amount: '1.00', currency: 'EUR' }, buy_currency: 'CNY' },
      400,
      'currency_not_enabled',
    ],
    [
      'an unknown currency',
      { sell: cny('1.00'), buy_currency: 'ABC' },
      400,
      'currency_not_enabled',
    ],
    [
      'too little to buy a yen',
      { sell: cny('0.04'), buy_currency: 'JPY' },
      400,
      'fx_amount_too_small',
    ],
    [
      'more than the maximum',
      { buy: jpy('999999999999999'), sell_currency: 'CNY' },
      400,
      'fx_amount_too_large',
    ],
    ['zero', { sell: cny('0.00'), buy_currency: 'JPY' }, 400, 'validation_failed'],
    [
      'too many decimals',
      { sell: jpy('1.5'), buy_currency: 'CNY' },
      400,
      'amount_too_many_decimals',
    ],
    [
      'both sides fixed',
      { sell: cny('1.00'), buy: jpy('100'), buy_currency: 'JPY' },
      400,
      'validation_failed',
    ],
    ['no other currency', { sell: cny('1.00') }, 400, 'validation_failed'],
    [
      'an unknown field',
      { sell: cny('1.00'), buy_currency: 'JPY', rate: '99' },
      400,
      'validation_failed',
    ],
  ] as const)('refuses %s', async (_name, body, status, code) => {
    const me = await user();
    expectProblem(await askQuote(me, body), status, code);
  });

  it('needs a session', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/v1/fx/quotes',
      payload: { sell: usd('1.00'), buy_currency: 'CNY' },
    });
    expectProblem(response, 401, 'unauthenticated');
    expectProblem(await h.inject({ method: 'GET', url: '/v1/fx/rates' }), 401, 'unauthenticated');
  });
});

describe('conversions (POST /v1/conversions)', () => {
  it('moves both currencies exactly, through the FX positions', async () => {
    const me = await user([[100_000n, 'USD']]);
    const [usdBefore, cnyBefore] = [await positionOf('USD'), await positionOf('CNY')];
    const quote = await quoteOf(me, { sell: usd('100.00'), buy_currency: 'CNY' });
    const response = await convert(me, quote.id);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toEqual({
      id: expect.stringMatching(/^trf_[0-9A-HJKMNP-TV-Z]{26}$/),
      quote_id: quote.id,
      sell: usd('100.00'),
      buy: cny('719.83'),
      rate: '7.1983275',
      status: 'completed',
      created_at: expect.any(String),
    });
    expect(await balances(me)).toEqual({ USD: '900.00', CNY: '719.83' });
    expect((await positionOf('USD')) - usdBefore).toBe(10_000n);
    expect((await positionOf('CNY')) - cnyBefore).toBe(-71_983n);
    const [sellLeg] = await h.ledger.getTransfers([response.json().id]);
    expect(sellLeg).toMatchObject({ code: 'fx_sell', amountMinor: 10_000n, linked: true });
    const events = await h.db.pool.query(
      `SELECT data FROM user_events WHERE user_id = $1 AND type = 'balance.changed'`,
      [me.userId],
    );
    expect(events.rows.map((r) => r.data.conversion_id)).toContain(response.json().id);
    await verified();
  });

  it('refuses an expired quote and moves nothing', async () => {
    const me = await user([[100_000n, 'USD']]);
    const quote = await quoteOf(me, { sell: usd('10.00'), buy_currency: 'CNY' });
    h.clock.advanceMs(FX_QUOTE_TTL_MS + 1_000);
    expectProblem(await convert(me, quote.id), 409, 'fx_quote_expired');
    expect(await balances(me)).toEqual({ USD: '1000.00' });
    expect(await conversionsOf(me.userId)).toBe(0);
    const { rows } = await h.db.pool.query('SELECT used_at FROM fx_quotes WHERE id = $1', [
      quote.id,
    ]);
    expect(rows[0].used_at).toBeNull();
  });

  it('converts a quote once: a replay answers the same, another attempt fx_quote_used', async () => {
    const me = await user([[100_000n, 'USD']]);
    const quote = await quoteOf(me, { sell: usd('10.00'), buy_currency: 'CNY' });
    const first = await convert(me, quote.id, 'key-1');
    expect(first.statusCode, first.body).toBe(201);
    const replay = await convert(me, quote.id, 'key-1');
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toEqual(first.json());
    expectProblem(await convert(me, quote.id, 'key-2'), 409, 'fx_quote_used');
    // Past its expiry a used quote is still used, not expired.
    h.clock.advanceMs(FX_QUOTE_TTL_MS + 1_000);
    expectProblem(await convert(me, quote.id, 'key-3'), 409, 'fx_quote_used');
    expect(await balances(me)).toEqual({ USD: '990.00', CNY: '71.98' });
  });

  it('the service itself replays the same key and refuses another', async () => {
    const me = await user([[10_000n, 'USD']]);
    const quoted = await h.fx.quote(me.userId, {
      sell: { amountMinor: 100n, currency: 'USD' },
      buyCurrency: 'CNY',
    });
    if (!quoted.ok) throw new Error(quoted.code);
    const first = await h.fx.convert(me.userId, quoted.quote.id, 'k');
    const again = await h.fx.convert(me.userId, quoted.quote.id, 'k');
    expect(again).toEqual(first);
    expect(await h.fx.convert(me.userId, quoted.quote.id, 'other')).toMatchObject({
      ok: false,
      code: 'fx_quote_used',
    });
  });

  it("answers 404 for another user's quote, and for one that does not exist", async () => {
    const alice = await user([[10_000n, 'USD']]);
    const mallory = await user([[10_000n, 'USD']]);
    const quote = await quoteOf(alice, { sell: usd('10.00'), buy_currency: 'CNY' });
    expectProblem(await convert(mallory, quote.id), 404, 'fx_quote_not_found');
    expectProblem(await convert(mallory, `fxq_${'0'.repeat(26)}`), 404, 'fx_quote_not_found');
    expectProblem(await convert(mallory, 'not-an-id'), 404, 'fx_quote_not_found');
    expect(await balances(alice)).toEqual({ USD: '100.00' });
    expect(await balances(mallory)).toEqual({ USD: '100.00' });
    // The quote is still Alice's to use.
    expect((await convert(alice, quote.id)).statusCode).toBe(201);
  });

  it('lets exactly one of 20 concurrent conversions of one quote through', async () => {
    // Exactly the quoted amount: the losers find the money gone, yet the quote is what was used.
    const me = await user([[10_000n, 'USD']]);
    const quote = await quoteOf(me, { sell: usd('100.00'), buy_currency: 'CNY' });
    const responses = await Promise.all(Array.from({ length: 20 }, () => convert(me, quote.id)));
    const codes = responses.map((r) => (r.statusCode === 201 ? 'ok' : r.json().code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
    expect(new Set(codes.filter((c) => c !== 'ok'))).toEqual(new Set(['fx_quote_used']));
    expect(await balances(me)).toEqual({ USD: '0.00', CNY: '719.83' });
    expect(await conversionsOf(me.userId)).toBe(1);
    await verified();
  });

  it('answers insufficient_funds and moves neither leg', async () => {
    const me = await user([[1_000n, 'USD']]);
    const cnyBefore = await positionOf('CNY');
    const quote = await quoteOf(me, { sell: usd('10.01'), buy_currency: 'CNY' });
    expectProblem(await convert(me, quote.id), 402, 'insufficient_funds');
    expect(await balances(me)).toEqual({ USD: '10.00' });
    expect(await positionOf('CNY')).toBe(cnyBefore);
    // Without any wallet in the sold currency, nothing is created either.
    const empty = await user();
    const nothing = await quoteOf(empty, { sell: usd('1.00'), buy_currency: 'CNY' });
    expectProblem(await convert(empty, nothing.id), 402, 'insufficient_funds');
    expect(await balances(empty)).toEqual({});
    // The quote is not used up: with money it converts.
    await h.fund(me.userId, 1n, 'USD');
    expect((await convert(me, quote.id)).statusCode).toBe(201);
  });

  it('rolls back the first leg when the second fails (a linked chain)', async () => {
    const me = await user([
      [10_000n, 'USD'],
      [100n, 'CNY'],
    ]);
    const { rows } = await h.db.pool.query<{ account_id: string }>(
      `SELECT account_id FROM wallet_accounts WHERE user_id = $1 AND currency = 'CNY'`,
      [me.userId],
    );
    const cnyWallet = rows[0]!.account_id;
    expect((await h.ledger.freezeAccount(cnyWallet, { blockCredits: true })).code).toBe('ok');
    const usdBefore = await positionOf('USD');
    const quote = await quoteOf(me, { sell: usd('50.00'), buy_currency: 'CNY' });
    expectProblem(await convert(me, quote.id), 403, 'wallet_frozen');
    expect(await balances(me)).toEqual({ USD: '100.00', CNY: '1.00' });
    expect(await positionOf('USD')).toBe(usdBefore);
    expect(await conversionsOf(me.userId)).toBe(0);
    expect((await h.ledger.unfreezeAccount(cnyWallet)).code).toBe('ok');
    expect((await convert(me, quote.id)).statusCode).toBe(201);
    expect(await balances(me)).toEqual({ USD: '50.00', CNY: '360.91' });
  });

  it('needs an Idempotency-Key and a verified contact', async () => {
    const me = await user([[10_000n, 'USD']]);
    const quote = await quoteOf(me, { sell: usd('1.00'), buy_currency: 'CNY' });
    expectProblem(await convert(me, quote.id, null), 400, 'idempotency_key_required');
    // A session cookie alone is not enough to write: the CSRF token must come with it.
    const byCookie = await h.inject({
      method: 'POST',
      url: '/v1/conversions',
      headers: { cookie: me.cookies, 'idempotency-key': randomUUID() },
      payload: { quote_id: quote.id },
    });
    expectProblem(byCookie, 403, 'csrf_token_invalid');
    expect(await balances(me)).toEqual({ USD: '100.00' });
    const login = `+86136${String(Date.now()).slice(-8)}`;
    const registered = await h.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { phone: login, password: PASSWORD, display_name: 'U', locale: 'en' },
    });
    expect(registered.statusCode, registered.body).toBe(201);
    const unverified = await h.signIn(login);
    const theirs = await quoteOf(unverified, { sell: usd('1.00'), buy_currency: 'CNY' });
    expectProblem(await convert(unverified, theirs.id), 403, 'contact_not_verified');
  });
});

describe('the API document', () => {
  it('describes every FX route', async () => {
    const response = await h.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const paths = response.json<{ paths: Record<string, Record<string, unknown>> }>().paths;
    expect(Object.keys(paths['/v1/fx/rates'] ?? {})).toContain('get');
    expect(Object.keys(paths['/v1/fx/quotes'] ?? {})).toContain('post');
    expect(Object.keys(paths['/v1/conversions'] ?? {})).toContain('post');
    expect(Object.keys(paths['/v1/admin/fx-rates'] ?? {})).toContain('put');
  });
});

describe('conservation', () => {
  /** Per currency: what all wallets and FX positions hold, and what came in from the bank. */
  async function holdings(): Promise<Map<string, { held: bigint; funded: bigint }>> {
    const { rows } = await h.db.pool.query<{ currency: string; code: string; net: string }>(
      `SELECT currency, code, SUM(credits_posted - debits_posted)::text AS net
         FROM ledger_accounts GROUP BY currency, code`,
    );
    const out = new Map<string, { held: bigint; funded: bigint }>();
    for (const r of rows) {
      const entry = out.get(r.currency) ?? { held: 0n, funded: 0n };
      if (r.code === 'user_wallet' || r.code === 'fx_position') entry.held += BigInt(r.net);
      else if (r.code === 'bank_clearing') entry.funded -= BigInt(r.net);
      else throw new Error(`unexpected account code ${r.code}`);
      out.set(r.currency, entry);
    }
    return out;
  }

  it('FX conversion rounding never creates money (the ledger’s per-currency sums hold)', async () => {
    const pairs = [
      ['USD', 'CNY'],
      ['CNY', 'JPY'],
      ['USD', 'JPY'],
      ['HKD', 'JPY'],
    ] as const;
    let converted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...pairs),
        fc
          .oneof(
            fc.bigInt({ min: 1n, max: 10n ** 15n }),
            fc.bigInt({ min: 10n ** 6n, max: 10n ** 11n }),
          )
          .map((n) => ratio(n, 10n ** 8n)),
        fc.integer({ min: 0, max: 1000 }),
        fc.bigInt({ min: 1n, max: 10_000_000n }),
        fc.boolean(),
        fc.boolean(),
        async ([base, quote], mid, spreadBps, amountMinor, sellBase, fixSell) => {
          const midText = formatRate(mid, 8);
          const set = await h.fx.setRate(null, { base, quote, mid: midText, spreadBps });
          expect(set.ok).toBe(true);
          const [sell, buy] = sellBase ? [base, quote] : [quote, base];
          const me = await user([[AMOUNT_MINOR_MAX, sell]]);
          const quoted = await h.fx.quote(
            me.userId,
            fixSell
              ? { sell: { amountMinor, currency: sell }, buyCurrency: buy }
              : { buy: { amountMinor, currency: buy }, sellCurrency: sell },
          );
          if (!quoted.ok) {
            expect(['fx_amount_too_small', 'fx_amount_too_large']).toContain(quoted.code);
            return;
          }
          const response = await convert(me, quoted.quote.id);
          expect(response.statusCode, response.body).toBe(201);
          converted += 1;
          // At the mid rate the user never gets more than they gave.
          const p = parseRate(midText)!;
          const { sell: s, buy: b } = quoted.quote;
          const exp = (c: string) => 10n ** BigInt(c === 'JPY' ? 0 : 2);
          const [num, den] = sellBase ? [p.numerator, p.denominator] : [p.denominator, p.numerator];
          expect(
            b.amountMinor * den * exp(s.currency) <= s.amountMinor * num * exp(b.currency),
          ).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
    // Most runs convert; the others were refused as too small or too large, moving nothing.
    expect(converted).toBeGreaterThan(5);
    for (const [currency, { held, funded }] of await holdings()) {
      expect(held, currency).toBe(funded);
    }
    await verified();
  });
});

describe('clean-up', () => {
  it('deletes quotes a day after they expired unused, and keeps used ones', async () => {
    // Earlier tests leave other rates behind; this one needs the usual ones.
    await setRates();
    const me = await user([[10_000n, 'USD']]);
    const unused = await quoteOf(me, { sell: usd('1.00'), buy_currency: 'CNY' });
    const used = await quoteOf(me, { sell: usd('1.00'), buy_currency: 'CNY' });
    expect((await convert(me, used.id)).statusCode).toBe(201);
    h.clock.advanceMs(FX_QUOTE_TTL_MS + 23 * 3_600_000);
    await h.fx.purgeExpiredQuotes();
    const exists = async (id: string) =>
      (await h.db.pool.query('SELECT 1 FROM fx_quotes WHERE id = $1', [id])).rows.length === 1;
    expect(await exists(unused.id)).toBe(true);
    h.clock.advanceMs(3_600_000 + 1_000);
    expect(await h.fx.purgeExpiredQuotes()).toBeGreaterThanOrEqual(1);
    expect(await exists(unused.id)).toBe(false);
    expect(await exists(used.id)).toBe(true);
  });
});
