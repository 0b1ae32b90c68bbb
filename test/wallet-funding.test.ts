/**
 * Goal: cards, top-ups and withdrawals over the HTTP API against a real sandbox bank whose signed
 * callbacks reach the app over the network. Money arrives only when the bank confirms, leaves
 * only once, comes back when the bank fails; every movement ends in exactly one final state even
 * when callbacks are duplicated, late, reordered or lost (then the poll job finds out); forged,
 * unsigned or stale callbacks change nothing; and the ledger verifies afterwards.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandboxAdmin,
  createSandboxGateway,
  signatureHeader,
  startSandboxBank,
  type FaultSettings,
  type PaymentGateway,
  type RunningSandboxBank,
  type SandboxAdmin,
} from '../src/gateway/index.js';
import { verifyLedger } from '../src/ledger/index.js';
import { ulidBody } from '../src/lib/ids.js';
import { FUNDING_ABANDON_AFTER_MS, FUNDING_POLL_AFTER_MS } from '../src/wallet/gateway-events.js';
import {
  createIdentityHarness,
  PASSWORD,
  type IdentityHarness,
  type SignedInUser,
} from './identity-app.js';

const API_KEY = 'sk_test_sandbox_0123456789';
const SECRET = 'whsec_sandbox_0123456789';
const IDLE_TIMEOUT_MS = 15_000;

let h: IdentityHarness;
let bank: RunningSandboxBank;
let admin: SandboxAdmin;
let real: PaymentGateway | undefined;

/**
 * The app needs its gateway before it listens, and the bank needs the app's address before it
 * starts: this gateway passes every call on to the real adapter once there is one.
 */
function gatewayOf(): PaymentGateway {
  const target = () => {
    if (real === undefined) throw new Error('the sandbox bank is not started yet');
    return real;
  };
  return {
    tokenizeCard: (input) => target().tokenizeCard(input),
    createCharge: (input) => target().createCharge(input),
    getCharge: (id) => target().getCharge(id),
    createPayout: (input) => target().createPayout(input),
    getPayout: (id) => target().getPayout(id),
    statement: (date) => target().statement(date),
    verifyCallback: (raw, header, nowMs) => target().verifyCallback(raw, header, nowMs),
  };
}

beforeAll(async () => {
  h = await createIdentityHarness({ gateway: gatewayOf(), exemptDailyCount: 1000 });
  // Tier 1 may pay at most 1,000 CNY since opening; these tests move more than that.
  await h.db.pool.query(
    `UPDATE payment_limits SET per_transaction_minor = 100000000, daily_minor = 100000000,
       period_minor = 100000000 WHERE tier = 1`,
  );
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  bank = await startSandboxBank({
    port: 0,
    callbackUrl: `http://127.0.0.1:${port}/v1/gateway/callbacks`,
    callbackSecret: SECRET,
    apiKey: API_KEY,
    // The bank signs with the app's clock, so that moving the clock never makes callbacks stale.
    clock: h.clock,
    delays: { settleMs: 20, callbackDelayMs: 0, callbackRetryBaseMs: 20, holdAnswerMs: 2_500 },
    log: false,
  });
  real = createSandboxGateway({
    baseUrl: bank.url,
    apiKey: API_KEY,
    callbackSecret: SECRET,
    timeoutMs: 1_000,
  });
  admin = createSandboxAdmin({ baseUrl: bank.url, apiKey: API_KEY });
});

afterEach(async () => {
  await admin.waitIdle(IDLE_TIMEOUT_MS);
  await admin.setFaults({});
});

afterAll(async () => {
  await bank.close();
  await h.app.close();
});

const cny = (amount: string) => ({ amount, currency: 'CNY' });

async function user(balanceMinor = 0n): Promise<SignedInUser> {
  const me = await h.signIn(await h.createUser());
  if (balanceMinor > 0n) await h.fund(me.userId, balanceMinor);
  return me;
}

function bind(who: SignedInUser, number = '4242 4242 4242 4242', extra = {}) {
  return h.inject({
    method: 'POST',
    url: '/v1/cards',
    headers: who.bearer,
    payload: { number, exp_month: 12, exp_year: 2034, cvc: '123', holder_name: 'Li Lei', ...extra },
  });
}

async function cardOf(who: SignedInUser, number?: string): Promise<string> {
  const response = await bind(who, number);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>().id;
}

function topUp(
  who: SignedInUser,
  body: Record<string, unknown>,
  key: string | null = randomUUID(),
) {
  return h.inject({
    method: 'POST',
    url: '/v1/topups',
    headers: { ...who.bearer, ...(key === null ? {} : { 'idempotency-key': key }) },
    payload: body,
  });
}

function withdraw(who: SignedInUser, body: Record<string, unknown>, key = randomUUID()) {
  return h.inject({
    method: 'POST',
    url: '/v1/withdrawals',
    headers: { ...who.bearer, 'idempotency-key': key },
    payload: body,
  });
}

async function created(response: Awaited<ReturnType<typeof topUp>>): Promise<string> {
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>().id;
}

function show(who: SignedInUser, kind: 'topups' | 'withdrawals', id: string) {
  return h.inject({ method: 'GET', url: `/v1/${kind}/${id}`, headers: who.bearer });
}

async function statusOf(who: SignedInUser, kind: 'topups' | 'withdrawals', id: string) {
  const response = await show(who, kind, id);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ status: string; failure_code: string | null }>();
}

async function balance(who: SignedInUser) {
  const response = await h.inject({ method: 'GET', url: '/v1/wallets', headers: who.bearer });
  expect(response.statusCode).toBe(200);
  const wallets = response.json().data as Array<{
    currency: string;
    available: { amount: string };
    pending: { amount: string };
    total: { amount: string };
  }>;
  const w = wallets.find((x) => x.currency === 'CNY');
  return {
    available: w?.available.amount ?? '0.00',
    pending: w?.pending.amount ?? '0.00',
    total: w?.total.amount ?? '0.00',
  };
}

async function dailyUsed(who: SignedInUser): Promise<string> {
  const limits = await h.inject({ method: 'GET', url: '/v1/me/limits', headers: who.bearer });
  return limits.json<{ daily: { used: string } }>().daily.used;
}

async function ledgerVerifies(): Promise<void> {
  const client = await h.db.pool.connect();
  try {
    const report = await verifyLedger(client);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  } finally {
    client.release();
  }
}

/** How many final user events each movement got: exactly one is the point. */
async function finalEvents(userId: string): Promise<Map<string, number>> {
  const { rows } = await h.db.pool.query<{ id: string; n: number }>(
    `SELECT COALESCE(data->>'topup_id', data->>'withdrawal_id') AS id, count(*)::int AS n
       FROM user_events
      WHERE user_id = $1 AND type IN ('topup.succeeded', 'topup.failed',
        'withdrawal.succeeded', 'withdrawal.failed')
      GROUP BY 1`,
    [userId],
  );
  return new Map(rows.map((r) => [r.id, r.n]));
}

async function settle(): Promise<void> {
  await admin.waitIdle(IDLE_TIMEOUT_MS);
}

/** Waits until the bank has settled every movement (its callbacks may still be on their way). */
async function bankSettled(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await admin.callbacks()).pendingSettlements === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the bank did not settle');
}

async function processedEvents(): Promise<number> {
  const { rows } = await h.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM gateway_events',
  );
  return rows[0]!.n;
}

async function poll(): Promise<void> {
  h.clock.advanceMs(FUNDING_POLL_AFTER_MS + 1);
  await h.funding!.pollStale();
}

describe('cards', () => {
  it('binds a card keeping only token, brand and last 4; lists and removes it', async () => {
    const alice = await user();
    const response = await bind(alice);
    expect(response.statusCode, response.body).toBe(201);
    const card = response.json();
    expect(card).toEqual({
      id: expect.stringMatching(/^crd_/),
      brand: 'visa',
      last4: '4242',
      exp_month: 12,
      exp_year: 2034,
      created_at: expect.any(String),
    });
    const { rows } = await h.db.pool.query('SELECT * FROM cards WHERE id = $1', [card.id]);
    expect(JSON.stringify(rows)).not.toContain('4242424242424242');
    expect(JSON.stringify(rows)).not.toContain('"123"');
    const list = await h.inject({ method: 'GET', url: '/v1/cards', headers: alice.bearer });
    expect(list.json()).toEqual({ data: [card], has_more: false });
    const removed = await h.inject({
      method: 'DELETE',
      url: `/v1/cards/${card.id}`,
      headers: alice.bearer,
    });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).toEqual({ id: card.id, deleted: true });
    const again = await h.inject({
      method: 'DELETE',
      url: `/v1/cards/${card.id}`,
      headers: alice.bearer,
    });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('card_not_found');
    const empty = await h.inject({ method: 'GET', url: '/v1/cards', headers: alice.bearer });
    expect(empty.json().data).toEqual([]);
    const topup = await topUp(alice, { card_id: card.id, amount: cny('1.00') });
    expect(topup.json().code).toBe('card_not_found');
  });

  it("answers 404 for another user's card, and moves nothing with it", async () => {
    const alice = await user();
    const mallory = await user(10_000n);
    const card = await cardOf(alice);
    const removed = await h.inject({
      method: 'DELETE',
      url: `/v1/cards/${card}`,
      headers: mallory.bearer,
    });
    expect(removed.statusCode).toBe(404);
    expect(removed.json().code).toBe('card_not_found');
    const topup = await topUp(mallory, { card_id: card, amount: cny('1.00') });
    expect(topup.statusCode).toBe(404);
    expect(topup.json().code).toBe('card_not_found');
    const out = await withdraw(mallory, { card_id: card, amount: cny('1.00') });
    expect(out.statusCode).toBe(404);
    expect(out.json().code).toBe('card_not_found');
    expect(await balance(mallory)).toEqual({
      available: '100.00',
      pending: '0.00',
      total: '100.00',
    });
    const list = await h.inject({ method: 'GET', url: '/v1/cards', headers: alice.bearer });
    expect(list.json().data).toHaveLength(1);
  });

  it.each([
    ['a number that fails the Luhn check', '4242424242424241', {}, 400, 'card_number_invalid'],
    ['a number with letters', '4242-abcd-4242-4242', {}, 400, 'card_number_invalid'],
    ['a number of no accepted brand', '9999999999999995', {}, 400, 'card_number_invalid'],
    ['a declined card', '4000000000000002', {}, 402, 'card_declined'],
    ['an expired card', '4000000000000069', {}, 402, 'card_expired'],
    ['a past expiry date', '4242424242424242', { exp_year: 2020 }, 402, 'card_expired'],
    ['a wrong CVC length', '4242424242424242', { cvc: '12' }, 400, 'card_details_invalid'],
    ['an expiry month of 13', '4242424242424242', { exp_month: 13 }, 400, 'validation_failed'],
  ])('refuses %s and stores nothing', async (_name, number, extra, status, code) => {
    const alice = await user();
    const response = await bind(alice, number, extra);
    expect(response.statusCode, response.body).toBe(status);
    expect(response.json().code).toBe(code);
    const list = await h.inject({ method: 'GET', url: '/v1/cards', headers: alice.bearer });
    expect(list.json().data).toEqual([]);
  });

  it('needs a session', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/v1/cards',
      payload: {
        number: '4242424242424242',
        exp_month: 1,
        exp_year: 2030,
        cvc: '1',
        holder_name: 'x',
      },
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('top-ups', () => {
  it('credits the wallet only when the bank confirms, and shows the status', async () => {
    const alice = await user();
    const card = await cardOf(alice);
    // Callbacks held back, so that the moment before the confirmation can be looked at.
    await admin.setFaults({ lateCallbacks: 1, lateCallbackMs: 400 });
    const id = await created(await topUp(alice, { card_id: card, amount: cny('50.00') }));
    expect(id).toMatch(/^trf_/);
    expect(await statusOf(alice, 'topups', id)).toMatchObject({ status: 'pending' });
    expect(await balance(alice)).toEqual({ available: '0.00', pending: '50.00', total: '0.00' });
    await settle();
    expect(await statusOf(alice, 'topups', id)).toMatchObject({
      status: 'succeeded',
      failure_code: null,
    });
    expect(await balance(alice)).toEqual({ available: '50.00', pending: '0.00', total: '50.00' });
    expect(await finalEvents(alice.userId)).toEqual(new Map([[id, 1]]));
    await ledgerVerifies();
  });

  it('fails when the card has no money, and credits nothing', async () => {
    const alice = await user();
    const card = await cardOf(alice, '4000000000009995');
    const id = await created(await topUp(alice, { card_id: card, amount: cny('20.00') }));
    await settle();
    expect(await statusOf(alice, 'topups', id)).toMatchObject({
      status: 'failed',
      failure_code: 'insufficient_funds',
    });
    expect(await balance(alice)).toEqual({ available: '0.00', pending: '0.00', total: '0.00' });
  });

  it("answers 404 for another user's top-up, and needs a key", async () => {
    const alice = await user();
    const bob = await user();
    const card = await cardOf(alice);
    const id = await created(await topUp(alice, { card_id: card, amount: cny('1.00') }));
    const seen = await show(bob, 'topups', id);
    expect(seen.statusCode).toBe(404);
    expect(seen.json().code).toBe('topup_not_found');
    const noKey = await topUp(alice, { card_id: card, amount: cny('1.00') }, null);
    expect(noKey.json().code).toBe('idempotency_key_required');
  });

  it('creates one top-up for one Idempotency-Key', async () => {
    const alice = await user();
    const card = await cardOf(alice);
    const body = { card_id: card, amount: cny('5.00') };
    const first = await topUp(alice, body, 'topup-key');
    const second = await topUp(alice, body, 'topup-key');
    expect(second.json().id).toBe(first.json().id);
    await settle();
    expect((await balance(alice)).available).toBe('5.00');
  });

  it('refuses a currency that is not enabled and an unusable amount', async () => {
    const alice = await user();
    const card = await cardOf(alice);
    const eur = await topUp(alice, { card_id: card, amount: { amount: '1.00', currency: 'EUR' } });
    expect(eur.json().code).toBe('currency_not_enabled');
    const zero = await topUp(alice, { card_id: card, amount: cny('0.00') });
    expect(zero.json().code).toBe('validation_failed');
  });

  it('learns the outcome from the callbacks when the bank’s answer never comes', async () => {
    const alice = await user();
    const card = await cardOf(alice, '4000000000000119');
    const response = await topUp(alice, { card_id: card, amount: cny('7.00') });
    const id = await created(response);
    await settle();
    expect(await statusOf(alice, 'topups', id)).toMatchObject({ status: 'succeeded' });
    expect((await balance(alice)).available).toBe('7.00');
  });
});

describe('withdrawals', () => {
  it('holds the money at once and takes it out when the payout succeeds', async () => {
    const alice = await user(50_000n);
    const card = await cardOf(alice);
    await admin.setFaults({ lateCallbacks: 1, lateCallbackMs: 400 });
    const id = await created(await withdraw(alice, { card_id: card, amount: cny('80.00') }));
    expect(await statusOf(alice, 'withdrawals', id)).toMatchObject({ status: 'pending' });
    expect(await balance(alice)).toEqual({
      available: '420.00',
      pending: '-80.00',
      total: '500.00',
    });
    await settle();
    expect(await statusOf(alice, 'withdrawals', id)).toMatchObject({ status: 'succeeded' });
    expect(await balance(alice)).toEqual({
      available: '420.00',
      pending: '0.00',
      total: '420.00',
    });
    expect(await dailyUsed(alice)).toBe('80.00');
    await ledgerVerifies();
  });

  it('gives the money and the limit back when the payout is declined', async () => {
    const alice = await user(50_000n);
    const card = await cardOf(alice, '4000000000000077');
    const id = await created(await withdraw(alice, { card_id: card, amount: cny('80.00') }));
    await settle();
    expect(await statusOf(alice, 'withdrawals', id)).toMatchObject({
      status: 'failed',
      failure_code: 'payout_declined',
    });
    expect(await balance(alice)).toEqual({
      available: '500.00',
      pending: '0.00',
      total: '500.00',
    });
    expect(await dailyUsed(alice)).toBe('0.00');
  });

  it('answers insufficient_funds, holding nothing and giving the limit back', async () => {
    const alice = await user(1_000n);
    const card = await cardOf(alice);
    const response = await withdraw(alice, { card_id: card, amount: cny('10.01') });
    expect(response.statusCode, response.body).toBe(402);
    expect(response.json().code).toBe('insufficient_funds');
    expect(await balance(alice)).toEqual({ available: '10.00', pending: '0.00', total: '10.00' });
    expect(await dailyUsed(alice)).toBe('0.00');
  });

  it('needs step-up above the exemption, bound to the amount and the card', async () => {
    const alice = await user(100_000n);
    const card = await cardOf(alice);
    const other = await cardOf(alice, '5555555555554444');
    const big = { card_id: card, amount: cny('150.00') };
    const refused = await withdraw(alice, big);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('step_up_required');
    await h.inject({
      method: 'PUT',
      url: '/v1/me/payment-pin',
      headers: alice.bearer,
      payload: { pin: '480317', current_password: PASSWORD },
    });
    const confirm = async (payee: string) => {
      const confirmed = await h.inject({
        method: 'POST',
        url: '/v1/me/confirmations',
        headers: alice.bearer,
        payload: { amount: cny('150.00'), payee, pin: '480317' },
      });
      expect(confirmed.statusCode, confirmed.body).toBe(201);
      return confirmed.json<{ confirmation: string }>().confirmation;
    };
    const forOther = await withdraw(alice, { ...big, confirmation: await confirm(other) });
    expect(forOther.json().code).toBe('confirmation_invalid');
    expect((await balance(alice)).available).toBe('1000.00');
    const id = await created(await withdraw(alice, { ...big, confirmation: await confirm(card) }));
    await settle();
    expect(await statusOf(alice, 'withdrawals', id)).toMatchObject({ status: 'succeeded' });
    expect((await balance(alice)).available).toBe('850.00');
  });

  it('cannot spend the same money twice: a withdrawal racing a P2P transfer', async () => {
    const alice = await user(10_000n);
    const bob = await user();
    const card = await cardOf(alice);
    const [out, p2p] = await Promise.all([
      withdraw(alice, { card_id: card, amount: cny('80.00') }),
      h.inject({
        method: 'POST',
        url: '/v1/transfers',
        headers: { ...alice.bearer, 'idempotency-key': randomUUID() },
        payload: { recipient: bob.userId, amount: cny('80.00'), confirm_new_payee: true },
      }),
    ]);
    const codes = [out, p2p].map((r) => (r.statusCode === 201 ? 'ok' : r.json().code));
    expect(codes.sort()).toEqual(['insufficient_funds', 'ok']);
    await settle();
    expect(await balance(alice)).toEqual({ available: '20.00', pending: '0.00', total: '20.00' });
    await ledgerVerifies();
  });

  it('lets exactly two of 20 concurrent withdrawals of half the balance through', async () => {
    const alice = await user(10_000n);
    const card = await cardOf(alice);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => withdraw(alice, { card_id: card, amount: cny('50.00') })),
    );
    const codes = responses.map((r) => (r.statusCode === 201 ? 'ok' : r.json().code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(2);
    expect(new Set(codes.filter((c) => c !== 'ok'))).toEqual(new Set(['insufficient_funds']));
    await settle();
    expect(await balance(alice)).toEqual({ available: '0.00', pending: '0.00', total: '0.00' });
    expect(await dailyUsed(alice)).toBe('100.00');
  });

  it("answers 404 for another user's withdrawal", async () => {
    const alice = await user(1_000n);
    const bob = await user();
    const card = await cardOf(alice);
    const id = await created(await withdraw(alice, { card_id: card, amount: cny('1.00') }));
    const seen = await show(bob, 'withdrawals', id);
    expect(seen.statusCode).toBe(404);
    expect(seen.json().code).toBe('withdrawal_not_found');
  });
});

/**
 * One user's mixed batch: two top-ups that succeed, one that fails, a withdrawal that succeeds
 * and one that is declined. Starting from 1,000.00 it must end at exactly 1,000.00.
 */
async function mixedBatch() {
  const who = await user(100_000n);
  const good = await cardOf(who);
  const poor = await cardOf(who, '4000000000009995');
  const declining = await cardOf(who, '4000000000000077');
  const expected = new Map<string, { kind: 'topups' | 'withdrawals'; status: string }>();
  const add = async (
    kind: 'topups' | 'withdrawals',
    card: string,
    amount: string,
    status: string,
  ) => {
    const response =
      kind === 'topups'
        ? await topUp(who, { card_id: card, amount: cny(amount) })
        : await withdraw(who, { card_id: card, amount: cny(amount) });
    expected.set(await created(response), { kind, status });
  };
  await add('topups', good, '10.00', 'succeeded');
  await add('topups', poor, '20.00', 'failed');
  await add('topups', good, '30.00', 'succeeded');
  await add('withdrawals', good, '40.00', 'succeeded');
  await add('withdrawals', declining, '50.00', 'failed');
  return { who, expected };
}

async function expectFinal(batch: Awaited<ReturnType<typeof mixedBatch>>): Promise<void> {
  for (const [id, { kind, status }] of batch.expected) {
    expect((await statusOf(batch.who, kind, id)).status, `${kind} ${id}`).toBe(status);
  }
  expect(await balance(batch.who)).toEqual({
    available: '1000.00',
    pending: '0.00',
    total: '1000.00',
  });
  const events = await finalEvents(batch.who.userId);
  expect(events).toEqual(new Map([...batch.expected.keys()].map((id) => [id, 1])));
}

describe('callback faults', () => {
  it.each<[string, Partial<FaultSettings>]>([
    ['duplicated', { duplicateCallbacks: 1 }],
    ['late', { lateCallbacks: 1, lateCallbackMs: 150 }],
    ['reordered', { reorderCallbacks: 1 }],
    ['duplicated and reordered', { duplicateCallbacks: 1, reorderCallbacks: 1 }],
  ])('ends each movement once when callbacks are %s', async (_name, faults) => {
    await admin.setFaults(faults);
    const batch = await mixedBatch();
    await settle();
    await expectFinal(batch);
    await ledgerVerifies();
  });

  it('finds out by polling when every callback is lost', async () => {
    await admin.setFaults({ loseCallbacks: 1 });
    const batch = await mixedBatch();
    await settle();
    for (const [id, { kind }] of batch.expected) {
      expect((await statusOf(batch.who, kind, id)).status).toBe('pending');
    }
    // Not yet quiet for long enough: nothing is asked.
    await h.funding!.pollStale();
    expect((await balance(batch.who)).pending).not.toBe('0.00');
    await poll();
    await expectFinal(batch);
    await ledgerVerifies();
  });

  it('ignores callbacks that come after a poll has settled the movement', async () => {
    await admin.setFaults({ lateCallbacks: 1, lateCallbackMs: 1_000 });
    const batch = await mixedBatch();
    await bankSettled();
    await poll();
    await expectFinal(batch);
    const before = await processedEvents();
    await settle();
    // Every late event (a pending and a final one per movement) came, and changed nothing.
    expect((await processedEvents()) - before).toBe(2 * batch.expected.size);
    await expectFinal(batch);
    await ledgerVerifies();
  });

  it('ends every movement once under random faults of every kind', async () => {
    await admin.setFaults({
      duplicateCallbacks: 0.5,
      lateCallbacks: 0.3,
      lateCallbackMs: 100,
      reorderCallbacks: 0.5,
      loseCallbacks: 0.3,
      seed: 20261123,
    });
    const batches = [];
    for (let i = 0; i < 3; i++) batches.push(await mixedBatch());
    await settle();
    await poll();
    for (const batch of batches) await expectFinal(batch);
    await ledgerVerifies();
  });
});

describe('callback security', () => {
  /** A gateway event on the wire, as the bank would send it. */
  function eventBody(fields: {
    type: string;
    objectId: string;
    reference: string;
    amount: string;
    sequence: number;
    failureCode?: string;
    id?: string;
  }): string {
    return JSON.stringify({
      id: fields.id ?? `bev_${ulidBody(h.clock.nowMs(), randomBytes(10))}`,
      type: fields.type,
      object_id: fields.objectId,
      reference: fields.reference,
      amount: cny(fields.amount),
      failure_code: fields.failureCode ?? null,
      created_at: new Date(h.clock.nowMs()).toISOString(),
      sequence: fields.sequence,
    });
  }

  function deliver(body: string, signature: string | null) {
    return h.inject({
      method: 'POST',
      url: '/v1/gateway/callbacks',
      headers: {
        'content-type': 'application/json',
        ...(signature === null ? {} : { 'hebao-bank-signature': signature }),
      },
      payload: body,
    });
  }

  const signed = (body: string, atMs = h.clock.nowMs()) => signatureHeader(SECRET, body, atMs);

  /** A top-up whose callbacks were lost: pending, with the charge known. */
  async function pendingTopup() {
    await admin.setFaults({ loseCallbacks: 1 });
    const who = await user();
    const card = await cardOf(who);
    const id = await created(await topUp(who, { card_id: card, amount: cny('12.50') }));
    await settle();
    const { rows } = await h.db.pool.query<{ charge_id: string }>(
      'SELECT charge_id FROM topups WHERE id = $1',
      [id],
    );
    return { who, id, chargeId: rows[0]!.charge_id };
  }

  it('refuses unsigned, forged and stale callbacks, writing nothing', async () => {
    const { who, id, chargeId } = await pendingTopup();
    const body = eventBody({
      type: 'charge.succeeded',
      objectId: chargeId,
      reference: id,
      amount: '12.50',
      sequence: 2,
    });
    const before = await processedEvents();
    const cases: Array<[string | null, number, string]> = [
      [null, 401, 'callback_signature_invalid'],
      [
        signatureHeader('whsec_someone_else_0123', body, h.clock.nowMs()),
        401,
        'callback_signature_invalid',
      ],
      [signed(`${body} `), 401, 'callback_signature_invalid'],
      [signed(body, h.clock.nowMs() - 10 * 60_000), 400, 'callback_stale'],
      ['t=1,v1=zz', 400, 'callback_malformed'],
    ];
    for (const [signature, status, code] of cases) {
      const response = await deliver(body, signature);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.json().code).toBe(code);
    }
    const garbage = await deliver('{"id":"x"}', signed('{"id":"x"}'));
    expect(garbage.json().code).toBe('callback_malformed');
    expect(await processedEvents()).toBe(before);
    expect(await statusOf(who, 'topups', id)).toMatchObject({ status: 'pending' });
    expect((await balance(who)).available).toBe('0.00');
  });

  it('applies a signed event once; a replay and a late pending event change nothing', async () => {
    const { who, id, chargeId } = await pendingTopup();
    const event = { objectId: chargeId, reference: id, amount: '12.50' };
    const final = eventBody({ ...event, type: 'charge.succeeded', sequence: 2 });
    const first = await deliver(final, signed(final));
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ received: true, outcome: 'applied' });
    const replay = await deliver(final, signed(final));
    expect(replay.json()).toEqual({ received: true, outcome: 'duplicate' });
    const pending = eventBody({ ...event, type: 'charge.pending', sequence: 1 });
    expect((await deliver(pending, signed(pending))).json().outcome).toBe('ignored');
    const contrary = eventBody({
      ...event,
      type: 'charge.failed',
      sequence: 2,
      failureCode: 'insufficient_funds',
    });
    expect((await deliver(contrary, signed(contrary))).json().outcome).toBe('ignored');
    expect(await statusOf(who, 'topups', id)).toMatchObject({ status: 'succeeded' });
    expect(await balance(who)).toEqual({ available: '12.50', pending: '0.00', total: '12.50' });
    expect(await finalEvents(who.userId)).toEqual(new Map([[id, 1]]));
    // The bank's own (lost) outcome agrees; a poll now finds nothing left to do.
    await poll();
    expect((await balance(who)).available).toBe('12.50');
    await ledgerVerifies();
  });

  it('acknowledges an event for a reference it does not know', async () => {
    const body = eventBody({
      type: 'payout.succeeded',
      objectId: 'bpo_unknown',
      reference: 'trf_01JD3Z8W6Q2X4T9V5N7M3K1H0G',
      amount: '1.00',
      sequence: 2,
    });
    const response = await deliver(body, signed(body));
    expect(response.json()).toEqual({ received: true, outcome: 'ignored' });
  });
});

describe('API document', () => {
  it('documents every funding route with its responses', async () => {
    const response = await h.inject({ method: 'GET', url: '/openapi.json' });
    const paths = response.json<{ paths: Record<string, Record<string, { responses: object }>> }>()
      .paths;
    const routes: Array<[string, string, string]> = [
      ['/v1/cards', 'post', '201'],
      ['/v1/cards', 'get', '200'],
      ['/v1/cards/{id}', 'delete', '200'],
      ['/v1/topups', 'post', '201'],
      ['/v1/topups/{id}', 'get', '200'],
      ['/v1/withdrawals', 'post', '201'],
      ['/v1/withdrawals/{id}', 'get', '200'],
      ['/v1/gateway/callbacks', 'post', '200'],
    ];
    for (const [path, method, status] of routes) {
      expect(Object.keys(paths[path]?.[method]?.responses ?? {}), `${method} ${path}`).toContain(
        status,
      );
    }
  });
});

describe('recovery', () => {
  it('abandons a top-up whose request died before its hold', async () => {
    const alice = await user();
    const card = await cardOf(alice);
    const id = `trf_${ulidBody(h.clock.nowMs(), randomBytes(10))}`;
    await h.db.pool.query(
      `INSERT INTO topups (id, user_id, card_id, amount_minor, currency, status, idempotency_key,
         created_at, updated_at)
       VALUES ($1, $2, $3, 100, 'CNY', 'processing', 'crashed', $4, $4)`,
      [id, alice.userId, card, new Date(h.clock.nowMs())],
    );
    await h.funding!.pollStale();
    expect((await statusOf(alice, 'topups', id)).status).toBe('pending');
    h.clock.advanceMs(FUNDING_ABANDON_AFTER_MS + 1);
    await h.funding!.pollStale();
    expect(await statusOf(alice, 'topups', id)).toMatchObject({
      status: 'failed',
      failure_code: 'abandoned',
    });
    await ledgerVerifies();
  });
});
