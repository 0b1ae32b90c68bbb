/**
 * Goal: P2P transfers over the HTTP API move money exactly once and never more than a wallet
 * holds — under replays with one Idempotency-Key, under 100 concurrent spends of the whole
 * balance, with step-up, limits, delayed arrival and cancellation — and every refusal changes
 * nothing. The ledger verifies afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { verifyLedger } from '../src/ledger/index.js';
import {
  createIdentityHarness,
  PASSWORD,
  type IdentityHarness,
  type SignedInUser,
} from './identity-app.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await createIdentityHarness({ exemptDailyCount: 1000 });
  // Tier 1 may pay at most 1,000 CNY since opening; these tests move more than that.
  await h.db.pool.query(
    `UPDATE payment_limits SET per_transaction_minor = 100000000, daily_minor = 100000000,
       period_minor = 100000000 WHERE tier = 1`,
  );
});
afterAll(async () => {
  await h.app.close();
});

async function user(balanceMinor = 0n): Promise<SignedInUser> {
  const me = await h.signIn(await h.createUser());
  if (balanceMinor > 0n) await h.fund(me.userId, balanceMinor);
  return me;
}

function pay(from: SignedInUser, body: Record<string, unknown>, key: string | null = randomUUID()) {
  return h.inject({
    method: 'POST',
    url: '/v1/transfers',
    headers: { ...from.bearer, ...(key === null ? {} : { 'idempotency-key': key }) },
    payload: { confirm_new_payee: true, ...body },
  });
}

async function available(who: SignedInUser, currency = 'CNY'): Promise<string | undefined> {
  const response = await h.inject({ method: 'GET', url: '/v1/wallets', headers: who.bearer });
  expect(response.statusCode).toBe(200);
  const wallets = response.json().data as Array<{
    currency: string;
    available: { amount: string };
  }>;
  return wallets.find((w) => w.currency === currency)?.available.amount;
}

const cny = (amount: string) => ({ amount, currency: 'CNY' });

describe('P2P transfers', () => {
  it('moves money from the payer to the payee, and both see it', async () => {
    const alice = await user(50_000n);
    const bob = await user();
    const response = await pay(alice, {
      recipient: bob.userId,
      amount: cny('20.00'),
      note: 'lunch',
    });
    expect(response.statusCode, response.body).toBe(201);
    const transfer = response.json();
    expect(transfer).toMatchObject({
      status: 'completed',
      direction: 'outgoing',
      amount: cny('20.00'),
      note: 'lunch',
    });
    expect(await available(alice)).toBe('480.00');
    expect(await available(bob)).toBe('20.00');
    const seen = await h.inject({
      method: 'GET',
      url: `/v1/transfers/${transfer.id}`,
      headers: bob.bearer,
    });
    expect(seen.json()).toMatchObject({ id: transfer.id, direction: 'incoming' });
    const list = await h.inject({ method: 'GET', url: '/v1/transactions', headers: bob.bearer });
    expect(list.json().data.map((t: { id: string }) => t.id)).toEqual([transfer.id]);
  });

  it("answers 404 for another user's transfer", async () => {
    const alice = await user(10_000n);
    const bob = await user();
    const carol = await user();
    const { id } = (await pay(alice, { recipient: bob.userId, amount: cny('1.00') })).json();
    const response = await h.inject({
      method: 'GET',
      url: `/v1/transfers/${id}`,
      headers: carol.bearer,
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('transfer_not_found');
  });

  it('needs an Idempotency-Key and a session', async () => {
    const alice = await user(10_000n);
    const bob = await user();
    const noKey = await pay(alice, { recipient: bob.userId, amount: cny('1.00') }, null);
    expect(noKey.json().code).toBe('idempotency_key_required');
    const noAuth = await h.inject({
      method: 'POST',
      url: '/v1/transfers',
      headers: { 'idempotency-key': 'x' },
      payload: { recipient: bob.userId, amount: cny('1.00') },
    });
    expect(noAuth.statusCode).toBe(401);
  });

  it.each([
    ['too many decimals', { amount: cny('1.001') }, 400, 'amount_too_many_decimals'],
    ['a negative amount', { amount: cny('-1.00') }, 400, 'amount_invalid_format'],
    ['zero', { amount: cny('0.00') }, 400, 'validation_failed'],
    [
      'an unknown currency',
      { amount: { amount: '1.00', currency: 'ABC' } },
      400,
      'currency_unknown',
    ],
    [
      'a currency not enabled',
      { amount: { amount: '1.00', currency: 'EUR' } },
      400,
      'currency_not_enabled',
    ],
    [
      'an unknown recipient',
      { recipient: 'usr_01JD3Z8W6Q2X4T9V5N7M3K1H0G' },
      404,
      'recipient_not_found',
    ],
    ['too much', { amount: cny('1000.00'), confirmation: 'hbu_x' }, 403, 'confirmation_invalid'],
  ])('refuses %s and moves nothing', async (_name, override, status, code) => {
    const alice = await user(10_000n);
    const bob = await user();
    const response = await pay(alice, { recipient: bob.userId, amount: cny('1.00'), ...override });
    expect(response.statusCode, response.body).toBe(status);
    expect(response.json().code).toBe(code);
    expect(await available(alice)).toBe('100.00');
    expect(await available(bob)).toBeUndefined();
  });

  it('refuses paying oneself, an unverified recipient, and a new payee without confirmation', async () => {
    const alice = await user(10_000n);
    const self = await pay(alice, { recipient: alice.userId, amount: cny('1.00') });
    expect(self.json().code).toBe('cannot_pay_self');
    const unverifiedLogin = `+86138${String(Date.now()).slice(-8)}`;
    const registered = await h.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { phone: unverifiedLogin, password: PASSWORD, display_name: 'U', locale: 'en' },
    });
    const unverified = await pay(alice, {
      recipient: registered.json().user.id,
      amount: cny('1.00'),
    });
    expect(unverified.json().code).toBe('recipient_not_verified');
    const bob = await user();
    const unconfirmed = await pay(alice, {
      recipient: bob.userId,
      amount: cny('1.00'),
      confirm_new_payee: false,
    });
    expect(unconfirmed.json().code).toBe('new_payee_confirmation_required');
    expect(await available(alice)).toBe('100.00');
  });

  it('answers insufficient_funds (402) and gives the limit reservation back', async () => {
    const alice = await user(1_000n);
    const bob = await user();
    const response = await pay(alice, { recipient: bob.userId, amount: cny('10.01') });
    expect(response.statusCode).toBe(402);
    expect(response.json().code).toBe('insufficient_funds');
    const limits = await h.inject({ method: 'GET', url: '/v1/me/limits', headers: alice.bearer });
    expect(limits.json().daily.used).toBe('0.00');
  });

  it('needs step-up above the exemption, and takes a PIN confirmation bound to the payment', async () => {
    const alice = await user(100_000n);
    const bob = await user();
    const big = { recipient: bob.userId, amount: cny('200.00') };
    expect((await pay(alice, big)).json().code).toBe('step_up_required');
    await h.inject({
      method: 'PUT',
      url: '/v1/me/payment-pin',
      headers: alice.bearer,
      payload: { pin: '480317', current_password: PASSWORD },
    });
    const confirmed = await h.inject({
      method: 'POST',
      url: '/v1/me/confirmations',
      headers: alice.bearer,
      payload: { amount: cny('200.00'), payee: bob.userId, pin: '480317' },
    });
    const confirmation = confirmed.json().confirmation as string;
    const other = await pay(alice, { ...big, amount: cny('199.00'), confirmation });
    expect(other.json().code).toBe('confirmation_invalid');
    const paid = await pay(alice, { ...big, confirmation });
    expect(paid.statusCode, paid.body).toBe(201);
    const again = await pay(alice, { ...big, confirmation });
    expect(again.json().code).toBe('confirmation_invalid');
    expect(await available(alice)).toBe('800.00');
  });

  it('refuses a payer whose contact is not verified', async () => {
    const login = `+86137${String(Date.now()).slice(-8)}`;
    await h.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { phone: login, password: PASSWORD, display_name: 'U', locale: 'en' },
    });
    const payer = await h.signIn(login);
    const bob = await user();
    const response = await pay(payer, { recipient: bob.userId, amount: cny('1.00') });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('contact_not_verified');
  });
});

describe('idempotency of a payment', () => {
  it('creates exactly one transfer for 50 concurrent requests with one key', async () => {
    const alice = await user(10_000n);
    const bob = await user();
    const body = { recipient: bob.userId, amount: cny('3.00') };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => pay(alice, body, 'same-key')),
    );
    const created = responses.filter((r) => r.statusCode === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.json().id)).size).toBe(1);
    for (const r of responses.filter((x) => x.statusCode !== 201)) {
      expect(r.statusCode).toBe(409);
      expect(r.json().code).toBe('idempotency_key_in_progress');
    }
    expect(await available(alice)).toBe('97.00');
    const different = await pay(alice, { ...body, amount: cny('4.00') }, 'same-key');
    expect(different.statusCode).toBe(422);
    expect(different.json().code).toBe('idempotency_key_reused');
    expect(await available(alice)).toBe('97.00');
  });
});

describe('concurrency', () => {
  it('lets exactly one of 100 concurrent spends of the whole balance through', async () => {
    const alice = await user(5_000n);
    const payees = await Promise.all(Array.from({ length: 4 }, () => user()));
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        pay(alice, { recipient: payees[i % 4]!.userId, amount: cny('50.00') }),
      ),
    );
    const codes = responses.map((r) => (r.statusCode === 201 ? 'ok' : r.json().code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
    expect(
      codes.filter((c) => c !== 'ok' && c !== 'insufficient_funds'),
      responses.find((r) => r.statusCode !== 201 && r.statusCode !== 402)?.body,
    ).toEqual([]);
    expect(await available(alice)).toBe('0.00');
    const client = await h.db.pool.connect();
    try {
      expect((await verifyLedger(client)).ok).toBe(true);
    } finally {
      client.release();
    }
  });
});

describe('delayed arrival', () => {
  it('holds the money until it is due, then releases it to the payee', async () => {
    const alice = await user(10_000n);
    const bob = await user();
    const response = await pay(alice, {
      recipient: bob.userId,
      amount: cny('30.00'),
      arrival: 'delay_2h',
    });
    expect(response.json()).toMatchObject({ status: 'held', hold_reason: 'delay_2h' });
    expect(await available(alice)).toBe('70.00');
    expect(await available(bob)).toBeUndefined();
    expect(await h.wallet.releaseDue()).toBe(0);
    h.clock.advanceMs(2 * 3_600_000);
    const payer = await h.signIn((await h.identity.getUser(alice.userId))!.phone!);
    const payee = await h.signIn((await h.identity.getUser(bob.userId))!.phone!);
    expect(await h.wallet.releaseDue()).toBeGreaterThanOrEqual(1);
    expect(await available(payee)).toBe('30.00');
    const done = await h.inject({
      method: 'GET',
      url: `/v1/transfers/${response.json().id}`,
      headers: payer.bearer,
    });
    expect(done.json().status).toBe('completed');
    expect(await eventTypes(payer)).toEqual(['balance.changed', 'transfer.held']);
    expect(await eventTypes(payee)).toEqual(['balance.changed', 'transfer.received']);
  });

  it('lets the payer cancel while held; the money and the limit come back', async () => {
    const alice = await user(10_000n);
    const bob = await user();
    const { id } = (
      await pay(alice, { recipient: bob.userId, amount: cny('30.00'), arrival: 'delay_24h' })
    ).json();
    const byPayee = await h.inject({
      method: 'POST',
      url: `/v1/transfers/${id}/cancel`,
      headers: bob.bearer,
    });
    expect(byPayee.statusCode).toBe(404);
    const cancelled = await h.inject({
      method: 'POST',
      url: `/v1/transfers/${id}/cancel`,
      headers: alice.bearer,
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json().status).toBe('cancelled');
    expect(await available(alice)).toBe('100.00');
    const again = await h.inject({
      method: 'POST',
      url: `/v1/transfers/${id}/cancel`,
      headers: alice.bearer,
    });
    expect(again.json().code).toBe('transfer_not_cancellable');
    const limits = await h.inject({ method: 'GET', url: '/v1/me/limits', headers: alice.bearer });
    expect(limits.json().daily.used).toBe('0.00');
    expect(await eventTypes(alice)).toEqual([
      'balance.changed',
      'balance.changed',
      'transfer.cancelled',
      'transfer.held',
    ]);
    expect(await eventTypes(bob)).toEqual([]);
  });
});

/** The types of a user's events, sorted; funding events are left out. */
async function eventTypes(who: SignedInUser): Promise<string[]> {
  const listed = await h.inject({ method: 'GET', url: '/v1/events', headers: who.bearer });
  expect(listed.statusCode).toBe(200);
  return (listed.json().data as Array<{ type: string; data: Record<string, unknown> }>)
    .filter((e) => e.type.startsWith('transfer.') || e.data['transfer_id'] !== undefined)
    .map((e) => e.type)
    .sort();
}

describe('recipients', () => {
  it('finds a verified user by phone, with whether the payer paid them before', async () => {
    const alice = await user(10_000n);
    const bob = await user();
    const phone = (await h.identity.getUser(bob.userId))!.phone!;
    const find = () =>
      h.inject({
        method: 'GET',
        url: `/v1/recipients?query=${encodeURIComponent(phone)}`,
        headers: alice.bearer,
      });
    expect((await find()).json().data).toEqual([
      expect.objectContaining({ id: bob.userId, verified: false, paid_before: false }),
    ]);
    await pay(alice, { recipient: bob.userId, amount: cny('1.00') });
    expect((await find()).json().data[0].paid_before).toBe(true);
    const nobody = await h.inject({
      method: 'GET',
      url: '/v1/recipients?query=nobody%40example.com',
      headers: alice.bearer,
    });
    expect(nobody.json().data).toEqual([]);
  });
});

describe('history', () => {
  it('filters by direction, counterparty, status, amount, date and note text', async () => {
    const alice = await user(100_000n);
    const bob = await user(10_000n);
    const carol = await user();
    const send = async (from: SignedInUser, to: SignedInUser, amount: string, note: string) =>
      (await pay(from, { recipient: to.userId, amount: cny(amount), note })).json().id as string;
    const t1 = await send(alice, bob, '10.00', 'coffee beans');
    h.clock.advanceMs(60_000);
    const t2 = await send(alice, carol, '25.00', 'dinner 100% split');
    h.clock.advanceMs(60_000);
    const t3 = await send(bob, alice, '5.00', 'coffee');
    const list = async (query: string) => {
      const response = await h.inject({
        method: 'GET',
        url: `/v1/transactions?${query}`,
        headers: alice.bearer,
      });
      expect(response.statusCode, response.body).toBe(200);
      return (response.json().data as Array<{ id: string }>).map((t) => t.id);
    };
    expect(await list('')).toEqual([t3, t2, t1]);
    expect(await list('direction=outgoing')).toEqual([t2, t1]);
    expect(await list('direction=incoming')).toEqual([t3]);
    expect(await list(`counterparty=${bob.userId}`)).toEqual([t3, t1]);
    expect(await list('currency=CNY&amount_gte=10.00')).toEqual([t2, t1]);
    expect(await list('currency=CNY&amount_lte=9.99')).toEqual([t3]);
    expect(await list('q=COFFEE')).toEqual([t3, t1]);
    expect(await list('q=100%25')).toEqual([t2]);
    expect(await list('status=held')).toEqual([]);
    const created = new Date(h.clock.nowMs() - 90_000).toISOString();
    expect(await list(`created_gte=${encodeURIComponent(created)}`)).toEqual([t3, t2]);
    expect(await list(`limit=1`)).toEqual([t3]);
    expect(await list(`limit=1&starting_after=${t3}`)).toEqual([t2]);
    const noCurrency = await h.inject({
      method: 'GET',
      url: '/v1/transactions?amount_gte=1.00',
      headers: alice.bearer,
    });
    expect(noCurrency.json()).toMatchObject({ code: 'validation_failed', param: 'currency' });
  });
});
