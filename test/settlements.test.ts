/**
 * Goal: once a day is over, each merchant's takings of that day (payments less fees and refunds)
 * are paid out to its card through the gateway exactly once, the report's figures equal what
 * moved through the merchant's ledger account, and a payout that fails or cannot be covered
 * leaves the money where it was. The ledger verifies afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandboxGateway,
  startSandboxBank,
  type RunningSandboxBank,
} from '../src/gateway/index.js';
import type { IdentityHarness, SignedInUser } from './identity-app.js';
import {
  closeMerchantHarness,
  createMerchantHarness,
  merchantFixtures,
  type Shop,
} from './merchant-fixtures.js';

const API_KEY = 'sk_sandbox_settlement_test';
const SECRET = 'whsec_settlement_test';

let bank: RunningSandboxBank;
let h: IdentityHarness;

beforeAll(async () => {
  // Settlement follows payouts by asking the gateway, so its callbacks may go nowhere.
  bank = await startSandboxBank({
    port: 0,
    callbackUrl: 'http://127.0.0.1:9/v1/gateway/callbacks',
    callbackSecret: SECRET,
    apiKey: API_KEY,
    delays: { settleMs: 10, callbackDelayMs: 0, callbackRetryBaseMs: 60_000 },
    log: false,
  });
  h = await createMerchantHarness({
    exemptDailyCount: 1000,
    gateway: createSandboxGateway({
      baseUrl: bank.url,
      apiKey: API_KEY,
      callbackSecret: SECRET,
      timeoutMs: 2_000,
    }),
  });
});

afterAll(async () => {
  await closeMerchantHarness(h);
  await bank.close();
});

const fixtures = merchantFixtures(() => h);
const { user, refund } = fixtures;

/** A merchant settling to a card of `cardNumber`'s, added through the cards API. */
function shop(cardNumber = '4242424242424242'): Promise<Shop> {
  return fixtures.shop({
    merchant: { name_zh: '面馆', name_en: 'Noodles', mcc: '5812', city: 'Chengdu', country: 'CN' },
    settlementCard: async (owner) => {
      const card = await h.inject({
        method: 'POST',
        url: '/v1/cards',
        headers: owner.bearer,
        payload: {
          number: cardNumber,
          exp_month: 12,
          exp_year: 2031,
          cvc: '123',
          holder_name: 'Li',
        },
      });
      expect(card.statusCode, card.body).toBe(201);
      return card.json().id as string;
    },
  });
}

async function pay(s: Shop, payer: SignedInUser, amount: string): Promise<string> {
  const intent = await fixtures.createIntent(s, amount);
  const paid = await fixtures.confirm(payer, intent.json().id);
  expect(paid.json().status).toBe('succeeded');
  return intent.json().id as string;
}

async function settlements(s: Shop) {
  const listed = await h.inject({ method: 'GET', url: '/v1/settlements', headers: s.auth });
  expect(listed.statusCode, listed.body).toBe(200);
  return listed.json().data as Array<Record<string, unknown>>;
}

/** Runs the job until nothing is left to follow (payouts settle in the bank a moment later). */
async function settle(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await h.settlements.settleDue();
    const { rows } = await h.db.pool.query(
      `SELECT 1 FROM settlements WHERE status IN ('processing', 'pending')`,
    );
    if (rows.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  throw new Error('settlements still open');
}

async function balanceOf(owner: string): Promise<bigint> {
  const { rows } = await h.db.pool.query<{ balance: bigint }>(
    `SELECT credits_posted - debits_posted - debits_pending AS balance FROM ledger_accounts
      WHERE owner = $1`,
    [owner],
  );
  return rows[0]!.balance;
}

/** What moved through the merchant's account, by the ledger's transfer codes. */
async function ledgerTotals(merchantId: string) {
  const { rows } = await h.db.pool.query<{ code: string; total: bigint }>(
    `SELECT t.code, sum(t.amount)::bigint AS total
       FROM ledger_transfers t JOIN ledger_accounts a
         ON a.id IN (t.debit_account_id, t.credit_account_id)
      WHERE a.owner = $1 GROUP BY t.code`,
    [merchantId],
  );
  return Object.fromEntries(rows.map((r) => [r.code, r.total]));
}

describe('T+1 settlement', () => {
  it('pays out yesterday’s takings once, with figures equal to the ledger’s', async () => {
    const s = await shop();
    const quiet = await shop();
    const payer = await user(100_000n);
    await pay(s, payer, '100.00');
    await pay(s, payer, '100.00');
    const third = await pay(s, payer, '100.00');
    expect((await refund(s, third, '30.00')).json().status).toBe('succeeded');
    // Today is not over: nothing to settle yet.
    await settle();
    expect(await settlements(s)).toEqual([]);
    h.clock.advanceMs(24 * 3_600_000);
    await settle();
    const [day] = await settlements(s);
    expect(day).toMatchObject({
      gross: { amount: '300.00', currency: 'CNY' },
      fees: { amount: '1.80' },
      refunds: { amount: '30.00' },
      net: { amount: '268.20' },
      payment_count: 3,
      refund_count: 1,
      status: 'paid',
    });
    const ledger = await ledgerTotals(s.id);
    expect(ledger).toMatchObject({
      merchant_payment: 30_000n,
      merchant_fee: 180n,
      merchant_refund: 3_000n,
    });
    expect(ledger['merchant_settlement']).toBe(2n * 26_820n); // the hold, then its posting
    expect(await balanceOf(s.id)).toBe(0n);
    expect(await settlements(quiet)).toMatchObject([
      { status: 'empty', net: { amount: '0.00' }, payment_count: 0 },
    ]);
    // Running the job again settles nothing twice.
    await settle();
    expect(await settlements(s)).toHaveLength(1);
    expect((await ledgerTotals(s.id))['merchant_settlement']).toBe(2n * 26_820n);
  });

  it('gives the money back to the merchant when the payout fails', async () => {
    const s = await shop('4000000000000077');
    const payer = await user(10_000n);
    await pay(s, payer, '50.00');
    h.clock.advanceMs(24 * 3_600_000);
    await settle();
    expect(await settlements(s)).toMatchObject([
      { status: 'failed', failure_code: 'payout_declined', net: { amount: '49.70' } },
    ]);
    expect(await balanceOf(s.id)).toBe(4_970n);
  });

  it('fails cleanly when refunds since the day ended leave less than its takings', async () => {
    const s = await shop();
    const payer = await user(10_000n);
    const intent = await pay(s, payer, '50.00');
    h.clock.advanceMs(24 * 3_600_000);
    expect((await refund(s, intent, '40.00')).json().status).toBe('succeeded');
    await settle();
    expect(await settlements(s)).toMatchObject([
      { status: 'failed', failure_code: 'insufficient_balance', net: { amount: '49.70' } },
    ]);
    expect(await balanceOf(s.id)).toBe(970n);
  });

  it('catches up the days it missed, oldest first, and each day once', async () => {
    const s = await shop();
    const payer = await user(10_000n);
    await pay(s, payer, '10.00');
    h.clock.advanceMs(24 * 3_600_000);
    // A day later the payer's session has gone idle; they sign in again.
    await pay(s, await h.signIn(payer.login), '20.00');
    // The job does not run for three days.
    h.clock.advanceMs(3 * 24 * 3_600_000);
    await settle();
    const days = (await settlements(s)).reverse();
    expect(days.map((d) => (d['net'] as { amount: string }).amount)).toEqual([
      '9.94',
      '19.88',
      '0.00',
      '0.00',
    ]);
    expect(days.map((d) => d['status'])).toEqual(['paid', 'paid', 'empty', 'empty']);
    const dates = days.map((d) => d['day'] as string);
    expect(new Set(dates).size).toBe(4);
    expect([...dates].sort()).toEqual(dates);
    await settle();
    expect(await settlements(s)).toHaveLength(4);
  });

  it('is read with an API key only, each merchant its own', async () => {
    const bySession = await h.inject({
      method: 'GET',
      url: '/v1/settlements',
      headers: (await user()).bearer,
    });
    expect(bySession.json().code).toBe('api_key_required');
  });
});
