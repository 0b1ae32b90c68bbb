/**
 * Goal: a user pays a payment intent in a currency their wallet cannot cover from another wallet
 * (CNY, or the one they choose), converted at the operator's rate in the same linked chain as
 * the payment: the amounts are exact and rounded in the house's favour, the limits count the CNY
 * that left the wallet, nothing moves when any leg is refused, a missing rate is a clear problem,
 * scans say when a conversion is needed, and the ledger's per-currency sums hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.js';
import { newId } from '../src/lib/ids.js';
import { AMOUNT_MINOR_MAX, money } from '../src/money/index.js';
import type { IdentityHarness, SignedInUser } from './identity-app.js';
import {
  closeMerchantHarness,
  createMerchantHarness,
  merchantFixtures,
  type Shop,
} from './merchant-fixtures.js';

const PIN = '480317';

let h: IdentityHarness;
beforeAll(async () => {
  h = await createMerchantHarness();
  const rate = await h.fx.setRate(null, {
    base: 'USD',
    quote: 'CNY',
    mid: '7.2345',
    spreadBps: 50,
  });
  expect(rate.ok).toBe(true);
});
afterAll(() => closeMerchantHarness(h));

const fixtures = merchantFixtures(() => h);

async function user(funds: ReadonlyArray<readonly [bigint, string]> = []): Promise<SignedInUser> {
  const me = await fixtures.user();
  for (const [amountMinor, currency] of funds) await h.fund(me.userId, amountMinor, currency);
  await fixtures.setPin(me, PIN);
  return me;
}

function shop(currency: string): Promise<Shop> {
  return fixtures.shop({
    card: { brand: 'visa', last4: '4242' },
    merchant: {
      name_zh: '荷包书店',
      name_en: 'Hebao Books',
      mcc: '5942',
      city: 'Hong Kong',
      country: 'HK',
      currency,
    },
  });
}

async function createIntent(s: Shop, amount: string, currency: string, expiresIn = 300) {
  const created = await fixtures.createIntent(s, { amount, currency }, { expires_in: expiresIn });
  expect(created.statusCode, created.body).toBe(201);
  return created.json() as { id: string; qr_payload: string };
}

/** Confirms with a PIN confirmation bound to the intent's amount and merchant. */
async function confirm(
  payer: SignedInUser,
  s: Shop,
  intentId: string,
  amount: { amount: string; currency: string },
  body: Record<string, unknown> = {},
) {
  const confirmed = await h.inject({
    method: 'POST',
    url: '/v1/me/confirmations',
    headers: payer.bearer,
    payload: { amount, payee: s.id, pin: PIN },
  });
  expect(confirmed.statusCode, confirmed.body).toBe(201);
  return fixtures.confirm(payer, intentId, {
    confirmation: confirmed.json().confirmation,
    ...body,
  });
}

async function balances(who: SignedInUser): Promise<Record<string, string>> {
  const response = await h.inject({ method: 'GET', url: '/v1/wallets', headers: who.bearer });
  const wallets = response.json().data as Array<{
    currency: string;
    available: { amount: string };
  }>;
  return Object.fromEntries(wallets.map((w) => [w.currency, w.available.amount]));
}

/** Posted balance (credits - debits) of a system account by its code and currency. */
async function systemBalance(code: string, currency: string): Promise<bigint> {
  const { rows } = await h.db.pool.query<{ balance: bigint }>(
    `SELECT credits_posted - debits_posted AS balance FROM ledger_accounts
      WHERE code = $1 AND currency = $2 AND owner = 'system'`,
    [code, currency],
  );
  return rows[0]?.balance ?? 0n;
}

function merchantBalance(s: Shop): Promise<bigint> {
  return fixtures.balanceOf(s.id);
}

async function positions() {
  return {
    cny: await systemBalance('fx_position', 'CNY'),
    usd: await systemBalance('fx_position', 'USD'),
  };
}

function scan(payer: SignedInUser, payload: string) {
  return h.inject({
    method: 'POST',
    url: '/v1/scans',
    headers: payer.bearer,
    payload: { payload },
  });
}

async function dailyUsed(who: SignedInUser): Promise<string> {
  const response = await h.inject({ method: 'GET', url: '/v1/me/limits', headers: who.bearer });
  return response.json().daily.used as string;
}

const usd = (amount: string) => ({ amount, currency: 'USD' });

describe('paying in a currency the payer does not hold', () => {
  it('converts exactly the amount from CNY in the payment’s own chain', async () => {
    const s = await shop('USD');
    const payer = await user([[10_000n, 'CNY']]);
    const intent = await createIntent(s, '10.00', 'USD');
    const scanned = await scan(payer, intent.qr_payload);
    expect(scanned.json()).toMatchObject({ kind: 'payment_intent', conversion_needed: true });
    const before = await positions();
    const feesBefore = await systemBalance('fee_revenue', 'USD');

    const paid = await confirm(payer, s, intent.id, usd('10.00'));
    expect(paid.statusCode, paid.body).toBe(200);
    // 1 CNY buys 1/7.2345 USD less 0.50%: 9950/72345. 10.00 USD costs 1000 × 72345/9950 =
    // 7270.85… fen, rounded up: 72.71 CNY, which buys 10.0002… USD at that rate.
    expect(paid.json()).toMatchObject({
      status: 'succeeded',
      amount: usd('10.00'),
      amount_received: usd('10.00'),
      fee: usd('0.06'),
      conversion: { from: { amount: '72.71', currency: 'CNY' }, rate: '0.1375354205' },
    });
    expect(paid.json().conversion.fx_quote_id).toMatch(/^fxq_/);
    expect(await balances(payer)).toEqual({ CNY: '27.29', USD: '0.00' });
    expect(await merchantBalance(s)).toBe(994n);
    expect((await systemBalance('fee_revenue', 'USD')) - feesBefore).toBe(6n);
    const after = await positions();
    expect(after.cny - before.cny).toBe(7_271n);
    expect(after.usd - before.usd).toBe(-1_000n);
    // The house never loses: the CNY it took is worth more than the USD it paid, at the mid rate.
    expect(7_271n * 10_000n).toBeGreaterThanOrEqual(1_000n * 72_345n);
    // The limits count the CNY that left the wallet.
    expect(await dailyUsed(payer)).toBe('72.71');
    expect(await verifyLedger(h.db.pool)).toMatchObject({ ok: true });

    // A refund goes back in the payment's currency; the conversion is not undone.
    const refunded = await fixtures.refund(s, intent.id, '5.00');
    expect(refunded.json().status).toBe('succeeded');
    expect(await balances(payer)).toEqual({ CNY: '27.29', USD: '5.00' });
  });

  it('pays from the wallet in the payment’s currency when it covers it, or as the payer chooses', async () => {
    const s = await shop('USD');
    const payer = await user([
      [10_000n, 'CNY'],
      [1_500n, 'USD'],
    ]);
    const first = await createIntent(s, '10.00', 'USD');
    expect((await scan(payer, first.qr_payload)).json().conversion_needed).toBe(false);
    const direct = await confirm(payer, s, first.id, usd('10.00'));
    expect(direct.json()).toMatchObject({ status: 'succeeded', conversion: null });
    expect(await balances(payer)).toEqual({ CNY: '100.00', USD: '5.00' });
    expect(await dailyUsed(payer)).toBe('0.00');

    const second = await createIntent(s, '1.00', 'USD');
    const chosen = await confirm(payer, s, second.id, usd('1.00'), { pay_from_currency: 'CNY' });
    expect(chosen.json()).toMatchObject({
      status: 'succeeded',
      conversion: { from: { amount: '7.28', currency: 'CNY' } },
    });
    expect(await balances(payer)).toEqual({ CNY: '92.72', USD: '5.00' });
  });

  it('moves nothing when the CNY wallet cannot cover the conversion', async () => {
    const s = await shop('USD');
    const payer = await user([[7_270n, 'CNY']]);
    const intent = await createIntent(s, '10.00', 'USD');
    const before = await positions();
    const short = await confirm(payer, s, intent.id, usd('10.00'));
    expect(short.json()).toMatchObject({
      status: 402,
      code: 'insufficient_funds',
      param: 'pay_from_currency',
    });
    expect(await balances(payer)).toEqual({ CNY: '72.70', USD: '0.00' });
    expect(await positions()).toEqual(before);
    expect(await merchantBalance(s)).toBe(0n);
    expect(await dailyUsed(payer)).toBe('0.00');
    const seen = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents/${intent.id}`,
      headers: s.auth,
    });
    expect(seen.json()).toMatchObject({ status: 'requires_payment', conversion: null });
    await h.fund(payer.userId, 1n, 'CNY');
    expect((await confirm(payer, s, intent.id, usd('10.00'))).json().status).toBe('succeeded');
    expect(await balances(payer)).toEqual({ CNY: '0.00', USD: '0.00' });
  });

  it('answers fx_rate_unavailable when no rate is set for the pair', async () => {
    const s = await shop('HKD');
    const payer = await user([[10_000n, 'CNY']]);
    const intent = await createIntent(s, '10.00', 'HKD');
    const refused = await confirm(payer, s, intent.id, { amount: '10.00', currency: 'HKD' });
    expect(refused.json()).toMatchObject({ status: 409, code: 'fx_rate_unavailable' });
    const usdShop = await shop('USD');
    const other = await createIntent(usdShop, '1.00', 'USD');
    const chosen = await confirm(payer, usdShop, other.id, usd('1.00'), {
      pay_from_currency: 'HKD',
    });
    expect(chosen.json()).toMatchObject({
      code: 'fx_rate_unavailable',
      param: 'pay_from_currency',
    });
    expect(await balances(payer)).toMatchObject({ CNY: '100.00' });
    expect(await dailyUsed(payer)).toBe('0.00');
  });

  it('refuses an unknown currency to pay from, and a conversion above the maximum', async () => {
    const s = await shop('USD');
    const payer = await user([[10_000n, 'CNY']]);
    const intent = await createIntent(s, '1.00', 'USD');
    const unknown = await confirm(payer, s, intent.id, usd('1.00'), { pay_from_currency: 'ZZZ' });
    expect(unknown.json()).toMatchObject({
      status: 400,
      code: 'currency_not_enabled',
      param: 'pay_from_currency',
    });
    // A QR code's amount has at most 13 characters, so the largest intent is made directly.
    const merchant = await h.merchants.get(s.id);
    const huge = await h.payments.createIntent(merchant!, {
      amount: money(AMOUNT_MINOR_MAX, 'USD'),
      description: undefined,
      metadata: {},
      expiresInSeconds: 300,
    });
    expect(huge.ok).toBe(true);
    const tooLarge = await fixtures.confirm(payer, huge.ok ? huge.intent.id : '');
    expect(tooLarge.json()).toMatchObject({
      status: 400,
      code: 'fx_amount_too_large',
      param: 'pay_from_currency',
    });
    expect(await balances(payer)).toMatchObject({ CNY: '100.00' });
  });

  it('opens a converted payment a crash left half done again, without its conversion', async () => {
    const s = await shop('USD');
    const payer = await user([[10_000n, 'CNY']]);
    const intent = await createIntent(s, '3.00', 'USD', 3_600);
    // As a crash after the claim, before the chain reached the ledger, would leave it.
    await h.db.pool.query(
      `UPDATE payment_intents
          SET status = 'processing', payer_id = $2, transfer_id = $3, updated_at = $4,
              conversion_currency = 'CNY', conversion_amount_minor = 2182,
              conversion_rate_numerator = 1990, conversion_rate_denominator = 14469,
              conversion_quote_id = $5
        WHERE id = $1`,
      [
        intent.id,
        payer.userId,
        newId('trf', h.clock.nowMs()),
        new Date(h.clock.nowMs()),
        `fxq_${newId('trf', h.clock.nowMs()).slice(4)}`,
      ],
    );
    h.clock.advanceMs(10 * 60_000);
    expect(await h.payments.recoverUnsettled()).toBeGreaterThanOrEqual(1);
    const seen = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents/${intent.id}`,
      headers: s.auth,
    });
    expect(seen.json()).toMatchObject({ status: 'requires_payment', conversion: null });
    expect(await balances(payer)).toMatchObject({ CNY: '100.00' });
    expect((await confirm(payer, s, intent.id, usd('3.00'))).json()).toMatchObject({
      status: 'succeeded',
      conversion: { from: { amount: '21.82', currency: 'CNY' } },
    });
  });

  it('binds step-up to the payment’s amount, currency and merchant, not to the conversion', async () => {
    const s = await shop('USD');
    const payer = await user([[10_000n, 'CNY']]);
    const intent = await createIntent(s, '2.00', 'USD');
    const unconfirmed = await fixtures.confirm(payer, intent.id);
    expect(unconfirmed.json().code).toBe('step_up_required');
    const wrong = await confirm(payer, s, intent.id, { amount: '14.56', currency: 'CNY' });
    expect(wrong.json().code).toBe('confirmation_invalid');
    expect(await balances(payer)).toMatchObject({ CNY: '100.00' });
    expect((await confirm(payer, s, intent.id, usd('2.00'))).json().status).toBe('succeeded');
  });
});
