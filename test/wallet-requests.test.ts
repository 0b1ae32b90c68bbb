/**
 * Goal: money requests over the HTTP API ask the right people for the right amounts, move money
 * only when a payer pays (exactly once per share, even under 20 concurrent payments), leave a
 * share pending when its payment is refused, show the requester the progress, and refuse bad
 * input without writing anything. The ledger verifies afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/index.js';
import { money } from '../src/money/index.js';
import { walletCodes } from '../src/wallet/index.js';
import { planShares, REQUEST_PAYERS_MAX, shareTransferKey } from '../src/wallet/requests.js';
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

const cny = (amount: string) => ({ amount, currency: 'CNY' });

interface ShareJson {
  payer_id: string;
  amount: { amount: string; currency: string };
  status: string;
  transfer_id: string | null;
  paid_at: string | null;
  declined_at: string | null;
}

async function user(balanceMinor = 0n): Promise<SignedInUser> {
  const me = await h.signIn(await h.createUser());
  if (balanceMinor > 0n) await h.fund(me.userId, balanceMinor);
  return me;
}

function ask(from: SignedInUser, body: Record<string, unknown>) {
  return h.inject({ method: 'POST', url: '/v1/requests', headers: from.bearer, payload: body });
}

async function asked(from: SignedInUser, body: Record<string, unknown>): Promise<string> {
  const response = await ask(from, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>().id;
}

function pay(who: SignedInUser, id: string, body: object = {}, key: string = randomUUID()) {
  return h.inject({
    method: 'POST',
    url: `/v1/requests/${id}/pay`,
    headers: { ...who.bearer, 'idempotency-key': key },
    payload: body,
  });
}

function act(who: SignedInUser, id: string, action: 'decline' | 'cancel') {
  return h.inject({ method: 'POST', url: `/v1/requests/${id}/${action}`, headers: who.bearer });
}

function get(who: SignedInUser, id: string) {
  return h.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: who.bearer });
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

async function eventsOf(who: SignedInUser, type: string) {
  const { rows } = await h.db.pool.query<{ data: Record<string, string> }>(
    'SELECT data FROM user_events WHERE user_id = $1 AND type = $2 ORDER BY id',
    [who.userId, type],
  );
  return rows.map((r) => r.data);
}

async function transfersFrom(who: SignedInUser) {
  const { rows } = await h.db.pool.query<{ id: string; status: string }>(
    'SELECT id, status FROM wallet_transfers WHERE payer_id = $1 ORDER BY id',
    [who.userId],
  );
  return rows;
}

async function ledgerVerifies(): Promise<void> {
  const client = await h.db.pool.connect();
  try {
    expect((await verifyLedger(client)).ok).toBe(true);
  } finally {
    client.release();
  }
}

describe('asking for money', () => {
  it('asks each payer for an uneven amount, in order, and tells each of them', async () => {
    const alice = await user();
    const [bob, carol] = [await user(), await user()];
    const response = await ask(alice, {
      note: 'dinner',
      shares: [
        { payer: bob.userId, amount: cny('12.50') },
        { payer: carol.userId, amount: cny('7.25') },
      ],
    });
    expect(response.statusCode, response.body).toBe(201);
    const request = response.json();
    expect(request).toMatchObject({
      requester_id: alice.userId,
      role: 'requester',
      amount: cny('19.75'),
      note: 'dinner',
      status: 'open',
      progress: { shares: 2, paid: 0, declined: 0, pending: 2, paid_amount: cny('0.00') },
      closed_at: null,
    });
    expect(request.id).toMatch(/^mrq_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(request.shares.map((s: ShareJson) => [s.payer_id, s.amount.amount, s.status])).toEqual([
      [bob.userId, '12.50', 'pending'],
      [carol.userId, '7.25', 'pending'],
    ]);
    const [received] = await eventsOf(bob, 'request.received');
    expect(received).toMatchObject({
      request_id: request.id,
      requester_id: alice.userId,
      amount_minor: '1250',
      currency: 'CNY',
      note: 'dinner',
    });
    expect(await eventsOf(carol, 'request.received')).toHaveLength(1);

    // A payer sees the request's progress and only their own share.
    const seen = await get(bob, request.id);
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toMatchObject({ role: 'payer', progress: { shares: 2, pending: 2 } });
    expect(seen.json().shares.map((s: ShareJson) => s.payer_id)).toEqual([bob.userId]);
  });

  it('splits a total evenly and gives the minor units left over to the first payers', async () => {
    const alice = await user();
    const payers = [await user(), await user(), await user()];
    const response = await ask(alice, {
      total: cny('100.00'),
      payers: payers.map((p) => p.userId),
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().shares.map((s: ShareJson) => s.amount.amount)).toEqual([
      '33.34',
      '33.33',
      '33.33',
    ]);
    const tiny = await ask(alice, { total: cny('0.05'), payers: payers.map((p) => p.userId) });
    expect(tiny.json().shares.map((s: ShareJson) => s.amount.amount)).toEqual([
      '0.02',
      '0.02',
      '0.01',
    ]);
    expect(response.json().amount).toEqual(cny('100.00'));
  });
});

describe('paying and declining', () => {
  it('moves the share to the requester and shows the progress', async () => {
    const alice = await user();
    const bob = await user(10_000n);
    const carol = await user();
    const id = await asked(alice, {
      note: 'taxi',
      shares: [
        { payer: bob.userId, amount: cny('30.00') },
        { payer: carol.userId, amount: cny('20.00') },
      ],
    });
    const paid = await pay(bob, id);
    expect(paid.statusCode, paid.body).toBe(200);
    const [share] = paid.json().shares as ShareJson[];
    expect(share).toMatchObject({ payer_id: bob.userId, status: 'paid' });
    expect(share?.transfer_id).toMatch(/^trf_/);
    expect(await available(bob)).toBe('70.00');
    expect(await available(alice)).toBe('30.00');

    const progress = await get(alice, id);
    expect(progress.json()).toMatchObject({
      status: 'open',
      progress: { shares: 2, paid: 1, pending: 1, paid_amount: cny('30.00') },
    });
    expect(progress.json().shares.map((s: ShareJson) => s.status)).toEqual(['paid', 'pending']);
    const transfer = await h.inject({
      method: 'GET',
      url: `/v1/transfers/${share?.transfer_id}`,
      headers: alice.bearer,
    });
    expect(transfer.json()).toMatchObject({
      direction: 'incoming',
      amount: cny('30.00'),
      note: 'taxi',
      status: 'completed',
    });
    const [event] = await eventsOf(alice, 'request.paid');
    expect(event).toMatchObject({ request_id: id, payer_id: bob.userId, amount_minor: '3000' });
    expect(event?.transfer_id).toBe(share?.transfer_id);

    const again = await pay(bob, id);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('share_already_settled');
    expect(await available(bob)).toBe('70.00');
  });

  it('declines a share, tells the requester, and completes once every share is settled', async () => {
    const alice = await user();
    const bob = await user(10_000n);
    const carol = await user();
    const id = await asked(alice, { total: cny('10.00'), payers: [bob.userId, carol.userId] });
    const declined = await act(carol, id, 'decline');
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json().shares[0]).toMatchObject({ status: 'declined', transfer_id: null });
    expect(declined.json().status).toBe('open');
    expect(await eventsOf(alice, 'request.declined')).toEqual([
      expect.objectContaining({ request_id: id, payer_id: carol.userId, amount_minor: '500' }),
    ]);
    const twice = await act(carol, id, 'decline');
    expect(twice.json().code).toBe('share_already_settled');
    const payDeclined = await pay(carol, id);
    expect(payDeclined.json().code).toBe('share_already_settled');

    expect((await pay(bob, id)).statusCode).toBe(200);
    const done = (await get(alice, id)).json();
    expect(done).toMatchObject({
      status: 'completed',
      progress: { shares: 2, paid: 1, declined: 1, pending: 0, paid_amount: cny('5.00') },
    });
    expect(done.closed_at).not.toBeNull();
    const cancel = await act(alice, id, 'cancel');
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().code).toBe('money_request_closed');
  });

  it('completes once when every payer pays at the same time', async () => {
    const alice = await user();
    const payers = await Promise.all(Array.from({ length: 5 }, () => user(1_000n)));
    const id = await asked(alice, { total: cny('25.00'), payers: payers.map((p) => p.userId) });
    const responses = await Promise.all(payers.map((p) => pay(p, id)));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect((await get(alice, id)).json()).toMatchObject({
      status: 'completed',
      progress: { paid: 5, pending: 0, paid_amount: cny('25.00') },
    });
    expect(await available(alice)).toBe('25.00');
  });

  it('leaves the share pending when the payment is refused, and pays it later', async () => {
    const alice = await user();
    const bob = await user(100n);
    const id = await asked(alice, { shares: [{ payer: bob.userId, amount: cny('5.00') }] });
    const poor = await pay(bob, id);
    expect(poor.statusCode).toBe(402);
    expect(poor.json().code).toBe('insufficient_funds');
    expect((await get(alice, id)).json()).toMatchObject({
      status: 'open',
      progress: { pending: 1, paid: 0 },
    });
    expect(await available(alice)).toBe('0.00');

    await h.fund(bob.userId, 1_000n);
    const paid = await pay(bob, id);
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json().status).toBe('completed');
    expect(await available(bob)).toBe('6.00');
    expect(await available(alice)).toBe('5.00');
    // The failed attempt's transfer stays; the share's next attempt made a new one.
    expect((await transfersFrom(bob)).map((t) => t.status).sort()).toEqual(['completed', 'failed']);
  });

  it('needs step-up above the exemption and leaves the share pending until it is given', async () => {
    const alice = await user();
    const bob = await user(100_000n);
    const id = await asked(alice, { shares: [{ payer: bob.userId, amount: cny('200.00') }] });
    const unconfirmed = await pay(bob, id);
    expect(unconfirmed.statusCode).toBe(403);
    expect(unconfirmed.json().code).toBe('step_up_required');
    expect((await get(alice, id)).json().progress.pending).toBe(1);
    await h.inject({
      method: 'PUT',
      url: '/v1/me/payment-pin',
      headers: bob.bearer,
      payload: { pin: '480317', current_password: PASSWORD },
    });
    const confirmed = await h.inject({
      method: 'POST',
      url: '/v1/me/confirmations',
      headers: bob.bearer,
      payload: { amount: cny('200.00'), payee: alice.userId, pin: '480317' },
    });
    expect(confirmed.statusCode, confirmed.body).toBe(201);
    const paid = await pay(bob, id, { confirmation: confirmed.json().confirmation });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(await available(bob)).toBe('800.00');
  });

  it('makes exactly one transfer of 20 concurrent payments of one share', async () => {
    const alice = await user();
    const bob = await user(10_000n);
    const id = await asked(alice, { shares: [{ payer: bob.userId, amount: cny('7.00') }] });
    const responses = await Promise.all(Array.from({ length: 20 }, () => pay(bob, id)));
    const outcomes = responses.map((r) => (r.statusCode === 200 ? 'ok' : r.json().code));
    expect(outcomes).toContain('ok');
    for (const outcome of outcomes) {
      expect(['ok', 'share_already_settled', 'share_payment_in_progress']).toContain(outcome);
    }
    expect(await transfersFrom(bob)).toEqual([expect.objectContaining({ status: 'completed' })]);
    expect(await available(bob)).toBe('93.00');
    expect(await available(alice)).toBe('7.00');
    const final = (await get(alice, id)).json();
    expect(final).toMatchObject({ status: 'completed', progress: { paid: 1 } });
    expect(await eventsOf(alice, 'request.paid')).toHaveLength(1);
    await ledgerVerifies();
  });

  it('makes one transfer of 20 concurrent calls of the service, and replays the paying call', async () => {
    const alice = await user();
    const bob = await user(10_000n);
    const created = await h.requests.create(alice.userId, {
      currency: 'CNY',
      shares: [{ payerId: bob.userId, amountMinor: 300n }],
    });
    if (!created.ok) throw new Error(created.code);
    const id = created.request.id;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.requests.pay(bob.userId, id, { idempotencyKey: `k${i}` }),
      ),
    );
    const paid = results.filter((r) => r.ok);
    expect(paid.length).toBeGreaterThanOrEqual(1);
    expect(new Set(paid.map((r) => (r.ok ? r.transfer.id : '')))).toHaveProperty('size', 1);
    expect(await transfersFrom(bob)).toHaveLength(1);
    expect(await available(bob)).toBe('97.00');

    const { rows } = await h.db.pool.query<{ paid_idempotency_key: string }>(
      'SELECT paid_idempotency_key FROM money_request_shares WHERE request_id = $1',
      [id],
    );
    const key = rows[0]?.paid_idempotency_key ?? '';
    const replay = await h.requests.pay(bob.userId, id, { idempotencyKey: key });
    expect(replay.ok && replay.transfer.id).toBe(paid[0]?.ok && paid[0].transfer.id);
    const other = await h.requests.pay(bob.userId, id, { idempotencyKey: 'another' });
    expect(other.ok ? 'ok' : other.code).toBe('share_already_settled');
  });

  it('needs an Idempotency-Key to pay and replays the first answer for it', async () => {
    const alice = await user();
    const bob = await user(10_000n);
    const id = await asked(alice, { shares: [{ payer: bob.userId, amount: cny('1.00') }] });
    const noKey = await h.inject({
      method: 'POST',
      url: `/v1/requests/${id}/pay`,
      headers: bob.bearer,
      payload: {},
    });
    expect(noKey.json().code).toBe('idempotency_key_required');
    const first = await pay(bob, id, {}, 'pay-once');
    const second = await pay(bob, id, {}, 'pay-once');
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    expect(await available(bob)).toBe('99.00');
  });
});

describe('cancelling', () => {
  it('cancels an open request; its pending shares can no longer be paid or declined', async () => {
    const alice = await user();
    const bob = await user(10_000n);
    const carol = await user(10_000n);
    const id = await asked(alice, { total: cny('8.00'), payers: [bob.userId, carol.userId] });
    expect((await pay(bob, id)).statusCode).toBe(200);
    const cancelled = await act(alice, id, 'cancel');
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({
      status: 'cancelled',
      progress: { paid: 1, pending: 1, paid_amount: cny('4.00') },
    });
    expect(cancelled.json().closed_at).not.toBeNull();
    const late = await pay(carol, id);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('money_request_closed');
    expect((await act(carol, id, 'decline')).json().code).toBe('money_request_closed');
    expect((await act(alice, id, 'cancel')).json().code).toBe('money_request_closed');
    expect(await available(carol)).toBe('100.00');
    expect(await available(alice)).toBe('4.00');
  });
});

describe('who may see and act', () => {
  it("answers 404 for another user's request and for a share that is not the caller's", async () => {
    const alice = await user();
    const bob = await user(10_000n);
    const dave = await user(10_000n);
    const id = await asked(alice, { shares: [{ payer: bob.userId, amount: cny('2.00') }] });
    for (const response of [
      await get(dave, id),
      await pay(dave, id),
      await act(dave, id, 'decline'),
      await act(dave, id, 'cancel'),
      // The requester has no share to pay, and a payer cannot cancel the request.
      await pay(alice, id),
      await act(alice, id, 'decline'),
      await act(bob, id, 'cancel'),
      await get(dave, 'mrq_01JD3Z8W6Q2X4T9V5N7M3K1H0G'),
    ]) {
      expect(response.statusCode, response.body).toBe(404);
      expect(response.json().code).toBe('money_request_not_found');
    }
    expect(await available(dave)).toBe('100.00');
    expect((await get(alice, id)).json().progress.pending).toBe(1);
  });

  it('needs a session', async () => {
    const response = await h.inject({ method: 'GET', url: '/v1/requests?role=sent' });
    expect(response.statusCode).toBe(401);
    const create = await h.inject({
      method: 'POST',
      url: '/v1/requests',
      payload: { total: cny('1.00'), payers: ['usr_01JD3Z8W6Q2X4T9V5N7M3K1H0G'] },
    });
    expect(create.statusCode).toBe(401);
  });

  it('lists sent and received requests, newest first, a page at a time', async () => {
    const alice = await user();
    const bob = await user();
    const first = await asked(alice, { shares: [{ payer: bob.userId, amount: cny('1.00') }] });
    h.clock.advanceMs(1000);
    const second = await asked(alice, { shares: [{ payer: bob.userId, amount: cny('2.00') }] });
    const list = (who: SignedInUser, query: string) =>
      h.inject({ method: 'GET', url: `/v1/requests?${query}`, headers: who.bearer });
    const sent = (await list(alice, 'role=sent')).json();
    expect(sent.data.map((r: { id: string }) => r.id)).toEqual([second, first]);
    expect(sent.has_more).toBe(false);
    const page = (await list(bob, 'role=received&limit=1')).json();
    expect(page.data.map((r: { id: string }) => r.id)).toEqual([second]);
    expect(page.data[0].role).toBe('payer');
    expect(page.has_more).toBe(true);
    const next = (await list(bob, `role=received&limit=1&starting_after=${second}`)).json();
    expect(next.data.map((r: { id: string }) => r.id)).toEqual([first]);
    expect(next.has_more).toBe(false);
    expect((await list(bob, 'role=sent')).json().data).toEqual([]);
    expect((await list(bob, '')).statusCode).toBe(400);
  });
});

describe('bad input', () => {
  const unknownUser = 'usr_01JD3Z8W6Q2X4T9V5N7M3K1H0G';

  it('refuses each kind of bad request with its code and writes nothing', async () => {
    const alice = await user();
    const bob = await user();
    const carol = await user();
    const unverifiedLogin = `+86136${String(Date.now()).slice(-8)}`;
    const registered = await h.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { phone: unverifiedLogin, password: PASSWORD, display_name: 'U', locale: 'en' },
    });
    const unverified = registered.json().user.id as string;
    const many = Array.from(
      { length: REQUEST_PAYERS_MAX + 1 },
      (_, i) => `usr_01JD3Z8W6Q2X4T9V5N7M3K${String(i).padStart(2, '0')}`,
    );
    const share = (payer: string, amount = '1.00') => ({ payer, amount: cny(amount) });
    const cases: Array<[string, Record<string, unknown>, number, string, string?]> = [
      ['no shares', { shares: [] }, 400, 'validation_failed', 'shares'],
      ['no payers', { total: cny('1.00'), payers: [] }, 400, 'validation_failed', 'payers'],
      ['nothing', {}, 400, 'validation_failed'],
      [
        'both forms',
        { shares: [share(bob.userId)], total: cny('1.00'), payers: [bob.userId] },
        400,
        'validation_failed',
      ],
      ['21 payers', { total: cny('100.00'), payers: many }, 400, 'too_many_payers', 'payers'],
      ['21 shares', { shares: many.map((p) => share(p)) }, 400, 'too_many_payers', 'shares'],
      [
        'the requester',
        { shares: [share(bob.userId), share(alice.userId)] },
        400,
        'cannot_pay_self',
        'shares[1].payer',
      ],
      [
        'a payer twice',
        { total: cny('3.00'), payers: [bob.userId, carol.userId, bob.userId] },
        400,
        'duplicate_payer',
        'payers[2]',
      ],
      [
        'an unverified payer',
        { shares: [share(bob.userId), share(unverified)] },
        409,
        'recipient_not_verified',
        'shares[1].payer',
      ],
      [
        'an unknown payer',
        { total: cny('2.00'), payers: [bob.userId, unknownUser] },
        404,
        'recipient_not_found',
        'payers[1]',
      ],
      [
        'too many decimals',
        { shares: [share(bob.userId, '1.005')] },
        400,
        'amount_too_many_decimals',
        'shares[0].amount.amount',
      ],
      [
        'too many decimals in a total',
        { total: cny('1.001'), payers: [bob.userId] },
        400,
        'amount_too_many_decimals',
        'total.amount',
      ],
      ['a zero share', { shares: [share(bob.userId, '0.00')] }, 400, 'validation_failed'],
      [
        'mixed currencies',
        {
          shares: [
            share(bob.userId),
            { payer: carol.userId, amount: { amount: '1.00', currency: 'USD' } },
          ],
        },
        400,
        'validation_failed',
        'shares[1].amount.currency',
      ],
      [
        'a currency not enabled',
        { total: { amount: '3.00', currency: 'EUR' }, payers: [bob.userId] },
        400,
        'currency_not_enabled',
        'total.currency',
      ],
      [
        'a total smaller than the payers',
        { total: cny('0.01'), payers: [bob.userId, carol.userId] },
        400,
        'split_amount_too_small',
        'total.amount',
      ],
      [
        'an unknown field',
        { total: cny('1.00'), payers: [bob.userId], tip: 1 },
        400,
        'validation_failed',
      ],
    ];
    for (const [name, body, status, code, param] of cases) {
      const response = await ask(alice, body);
      expect(response.statusCode, `${name}: ${response.body}`).toBe(status);
      expect(response.json().code, name).toBe(code);
      if (param !== undefined) expect(response.json().param, name).toBe(param);
    }
    const { rows } = await h.db.pool.query('SELECT 1 FROM money_requests WHERE requester_id = $1', [
      alice.userId,
    ]);
    expect(rows).toHaveLength(0);
    expect(await eventsOf(bob, 'request.received')).toEqual([]);
    expect(await eventsOf(carol, 'request.received')).toEqual([]);
  });

  it('refuses a requester whose contact is not verified', async () => {
    const login = `+86135${String(Date.now()).slice(-8)}`;
    await h.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { phone: login, password: PASSWORD, display_name: 'U', locale: 'en' },
    });
    const requester = await h.signIn(login);
    const bob = await user();
    const response = await ask(requester, { total: cny('1.00'), payers: [bob.userId] });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('contact_not_verified');
  });
});

describe('the pure core', () => {
  const me = 'usr_me';
  const currencies = ['CNY'];

  it.each([
    [
      'an even split',
      { total: money(1000n, 'CNY'), payerIds: ['a', 'b', 'c'] },
      [334n, 333n, 333n],
    ],
    ['one payer', { total: money(1n, 'CNY'), payerIds: ['a'] }, [1n]],
    [
      'uneven shares',
      {
        currency: 'CNY',
        shares: [
          { payerId: 'a', amountMinor: 5n },
          { payerId: 'b', amountMinor: 7n },
        ],
      },
      [5n, 7n],
    ],
  ])('plans %s', (_name, input, amounts) => {
    const planned = planShares(me, input, currencies);
    expect(planned.ok).toBe(true);
    if (!planned.ok) return;
    expect(planned.plan.shares.map((s) => s.amountMinor)).toEqual(amounts);
    expect(planned.plan.totalMinor).toBe(amounts.reduce((a, b) => a + b, 0n));
  });

  it.each([
    ['the requester', { total: money(100n, 'CNY'), payerIds: ['a', me] }, 'cannot_pay_self'],
    ['a duplicate', { total: money(100n, 'CNY'), payerIds: ['a', 'a'] }, 'duplicate_payer'],
    [
      'too small a total',
      { total: money(2n, 'CNY'), payerIds: ['a', 'b', 'c'] },
      'split_amount_too_small',
    ],
    ['a disabled currency', { total: money(100n, 'USD'), payerIds: ['a'] }, 'currency_not_enabled'],
    [
      'too many payers',
      { total: money(100n, 'CNY'), payerIds: Array.from({ length: 21 }, (_, i) => `p${i}`) },
      'too_many_payers',
    ],
  ])('refuses %s', (_name, input, code) => {
    const planned = planShares(me, input, currencies);
    expect(planned.ok ? 'ok' : planned.code).toBe(code);
  });

  it('throws on an empty list, a programmer error the routes prevent', () => {
    expect(() => planShares(me, { currency: 'CNY', shares: [] }, currencies)).toThrow();
  });

  it('keys attempts apart, with a space no Idempotency-Key header can carry', () => {
    expect(shareTransferKey('mrq_X', 0)).not.toBe(shareTransferKey('mrq_X', 1));
    expect(shareTransferKey('mrq_X', 0)).toContain(' ');
  });

  it('states the payer limit in the code table', () => {
    expect(walletCodes.too_many_payers.title.en).toContain(String(REQUEST_PAYERS_MAX));
  });
});
