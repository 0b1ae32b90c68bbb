/**
 * Goal: the history shows every movement a user made or received — P2P (both sides), top-ups,
 * withdrawals, conversions, payments to merchants and their refunds — and only theirs: receipts carry a status timeline taken from the
 * stored timestamps, filters and cursors select exactly the right rows, the CSV export escapes
 * what users typed and streams any number of rows in bounded memory, the monthly statement adds
 * up to the ledger's balances, and the spending insights total outgoing completed money by
 * category.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { historyRoutes, type HistoryRouteDeps } from '../src/http/routes/wallet/history.js';
import { newId, ulidBody } from '../src/lib/ids.js';
import { ensureSystemAccount, ensureWalletAccount } from '../src/wallet/index.js';
import {
  createHistory,
  csvChunks,
  csvRow,
  HISTORY_EXPORT_CHUNK_CHARS,
  csvText,
  ID_TIME_SLACK_MS,
  idWindow,
  monthPeriod,
  statementTypeOf,
  timelineOf,
  type History,
  type HistoryEntry,
} from '../src/wallet/history.js';
import { IDENTITY_T0, type IdentityHarness, type SignedInUser } from './identity-app.js';
import { createIdentityHarness } from './identity-app.js';
import { merchantFixtures, type Shop } from './merchant-fixtures.js';

const TIME_ZONE = loadConfig({}).timeZone;

let h: IdentityHarness;
let history: History;

/** The routes read the history when a request comes, by which time it exists. */
const lateDeps: HistoryRouteDeps = {
  get history() {
    return history;
  },
};

beforeAll(async () => {
  h = await createIdentityHarness({
    exemptDailyCount: 1000,
    routes: [
      async (app) => {
        // Once the wallet plugin registers these routes itself, this registers nothing.
        if (!app.hasRoute({ method: 'GET', url: '/v1/statements/:month' })) {
          historyRoutes(app, lateDeps);
        }
      },
    ],
  });
  history = createHistory({ pool: h.db.pool, clock: h.clock, timeZone: TIME_ZONE });
  // Tier 1 may pay at most 1,000 CNY since opening; these tests move more than that.
  await h.db.pool.query(
    `UPDATE payment_limits SET per_transaction_minor = 100000000, daily_minor = 100000000,
       period_minor = 100000000 WHERE tier = 1`,
  );
  const rate = await h.fx.setRate(null, {
    base: 'USD',
    quote: 'CNY',
    mid: '7.2',
    spreadBps: 50,
  });
  expect(rate.ok).toBe(true);
});
afterAll(async () => {
  await h.app.close();
});

interface Person extends SignedInUser {
  readonly login: string;
}

async function user(balanceMinor = 0n): Promise<Person> {
  const login = await h.createUser();
  const me = await h.signIn(login);
  if (balanceMinor > 0n) await h.fund(me.userId, balanceMinor);
  return { ...me, login };
}

/** A new session, for when the clock has moved past the old one's idle timeout. */
async function again(who: Person): Promise<Person> {
  return { ...(await h.signIn(who.login)), login: who.login };
}

const cny = (amount: string) => ({ amount, currency: 'CNY' });

async function pay(
  from: SignedInUser,
  to: SignedInUser,
  amount: string,
  extra: Record<string, unknown> = {},
) {
  return h.inject({
    method: 'POST',
    url: '/v1/transfers',
    headers: { ...from.bearer, 'idempotency-key': randomUUID() },
    payload: { recipient: to.userId, amount: cny(amount), confirm_new_payee: true, ...extra },
  });
}

async function paid(from: SignedInUser, to: SignedInUser, amount: string, extra = {}) {
  const response = await pay(from, to, amount, extra);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string; status: string }>();
}

function get(who: SignedInUser | undefined, url: string) {
  return h.inject({ method: 'GET', url, headers: who?.bearer ?? {} });
}

async function receipt(who: SignedInUser, id: string) {
  const response = await get(who, `/v1/transactions/${id}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{
    id: string;
    type: string;
    direction: string;
    status: string;
    counterparty_id: string | null;
    amount: { amount: string; currency: string };
    failure_code: string | null;
    timeline: Array<{ status: string; at: string; failure_code: string | null }>;
    transfer: { hold_reason: string | null; release_at: string | null } | null;
    card: { id: string; brand: string; last4: string } | null;
    conversion: { sell: { amount: string }; buy: { amount: string } } | null;
    merchant: {
      id: string;
      name_zh: string;
      name_en: string;
      payment_intent_id: string;
      refund_id: string | null;
    } | null;
  }>();
}

const steps = (r: { timeline: Array<{ status: string }> }) => r.timeline.map((s) => s.status);
const iso = (ms: number) => new Date(ms).toISOString();

/** Total (posted) balances by currency, as the user sees them. */
async function totals(who: SignedInUser): Promise<Record<string, string>> {
  const response = await get(who, '/v1/wallets');
  const wallets = response.json<{ data: Array<{ currency: string; total: { amount: string } }> }>();
  return Object.fromEntries(wallets.data.map((w) => [w.currency, w.total.amount]));
}

/**
 * A top-up or withdrawal the way the funding service makes one, without a gateway: the record,
 * its hold in the ledger (pending), then, a minute later, the hold posted (succeeded) or voided
 * (failed) with the final status.
 */
async function funding(
  kind: 'topup' | 'withdrawal',
  who: SignedInUser,
  amountMinor: bigint,
  outcome: 'succeeded' | 'failed' | 'pending',
): Promise<{ id: string; cardId: string }> {
  const cardId = newId('crd', h.clock.nowMs());
  const at = new Date(h.clock.nowMs());
  await h.db.pool.query(
    `INSERT INTO cards (id, user_id, token, brand, last4, exp_month, exp_year, created_at)
     VALUES ($1, $2, 'tok_test', 'visa', '4242', 12, 2030, $3)`,
    [cardId, who.userId, at],
  );
  const id = newId('trf', h.clock.nowMs());
  const table = kind === 'topup' ? 'topups' : 'withdrawals';
  const extraColumns = kind === 'withdrawal' ? ', confirmation, limit_reserved_at' : '';
  const extraValues = kind === 'withdrawal' ? `, 'exempt', $5` : '';
  await h.db.pool.query(
    `INSERT INTO ${table} (id, user_id, card_id, amount_minor, currency, status, idempotency_key,
       created_at, updated_at${extraColumns})
     VALUES ($1, $2, $3, $4, 'CNY', 'processing', $1, $5, $5${extraValues})`,
    [id, who.userId, cardId, amountMinor, at],
  );
  const owner = (await h.identity.getUser(who.userId))!;
  const wallet = await ensureWalletAccount(h.db.pool, h.ledger, owner, 'CNY', at);
  const clearing = await ensureSystemAccount(h.ledger, 'bank_clearing', 'CNY');
  const [held] = await h.ledger.submit([
    {
      id,
      debitAccountId: kind === 'topup' ? clearing : wallet,
      creditAccountId: kind === 'topup' ? wallet : clearing,
      amountMinor,
      currency: 'CNY',
      code: kind,
      flags: { pending: true },
    },
  ]);
  expect(held?.code).toBe('ok');
  await h.db.pool.query(`UPDATE ${table} SET status = 'pending', updated_at = $2 WHERE id = $1`, [
    id,
    at,
  ]);
  if (outcome === 'pending') return { id, cardId };
  h.clock.advanceMs(60_000);
  const [resolved] = await h.ledger.submit([
    {
      id: newId('trf', h.clock.nowMs()),
      pendingId: id,
      flags: outcome === 'succeeded' ? { postPending: true } : { voidPending: true },
    },
  ]);
  expect(resolved?.code).toBe('ok');
  await h.db.pool.query(
    `UPDATE ${table} SET status = $2, failure_code = $3, updated_at = $4, completed_at = $4
      WHERE id = $1`,
    [id, outcome, outcome === 'failed' ? 'card_declined' : null, new Date(h.clock.nowMs())],
  );
  return { id, cardId };
}

async function convert(who: SignedInUser, sellCny: string) {
  const quote = await h.fx.quote(who.userId, {
    sell: { amountMinor: BigInt(sellCny.replace('.', '')), currency: 'CNY' },
    buyCurrency: 'USD',
  });
  if (!quote.ok) throw new Error(quote.code);
  const converted = await h.fx.convert(who.userId, quote.quote.id, randomUUID());
  if (!converted.ok) throw new Error(converted.code);
  return converted.conversion;
}

describe('receipts', () => {
  it('shows an instant transfer to both sides, with created and completed', async () => {
    const alice = await user(10_000n);
    const bob = await user();
    h.clock.advanceMs(1000);
    const { id } = await paid(alice, bob, '12.00', { note: 'tea' });
    const mine = await receipt(alice, id);
    expect(mine).toMatchObject({
      id,
      type: 'p2p',
      direction: 'outgoing',
      status: 'completed',
      counterparty_id: bob.userId,
      amount: cny('12.00'),
      note: 'tea',
      category: 'transfers',
      failure_code: null,
      card: null,
      conversion: null,
      merchant: null,
      transfer: { payer_id: alice.userId, payee_id: bob.userId, arrival: 'instant' },
    });
    expect(mine.timeline).toEqual([
      { status: 'created', at: iso(h.clock.nowMs()), failure_code: null },
      { status: 'completed', at: iso(h.clock.nowMs()), failure_code: null },
    ]);
    const theirs = await receipt(bob, id);
    expect(theirs).toMatchObject({ direction: 'incoming', counterparty_id: alice.userId });
    expect(steps(theirs)).toEqual(['created', 'completed']);
  });

  it('shows a held transfer as held, then completed when released', async () => {
    let alice = await user(10_000n);
    const bob = await user();
    const createdMs = h.clock.nowMs();
    const { id, status } = await paid(alice, bob, '30.00', { arrival: 'delay_2h' });
    expect(status).toBe('held');
    const held = await receipt(alice, id);
    expect(held.status).toBe('held');
    expect(steps(held)).toEqual(['created', 'held']);
    expect(held.transfer).toMatchObject({
      hold_reason: 'delay_2h',
      release_at: iso(createdMs + 2 * 3_600_000),
    });
    h.clock.advanceMs(2 * 3_600_000 + 1000);
    expect(await h.wallet.releaseDue()).toBeGreaterThanOrEqual(1);
    alice = await again(alice);
    const released = await receipt(alice, id);
    expect(released.timeline).toEqual([
      { status: 'created', at: iso(createdMs), failure_code: null },
      { status: 'held', at: iso(createdMs), failure_code: null },
      { status: 'completed', at: iso(h.clock.nowMs()), failure_code: null },
    ]);
  });

  it('shows a cancelled transfer as held, then cancelled', async () => {
    const alice = await user(10_000n);
    const bob = await user();
    const { id } = await paid(alice, bob, '30.00', { arrival: 'delay_24h' });
    h.clock.advanceMs(5000);
    const cancelled = await h.inject({
      method: 'POST',
      url: `/v1/transfers/${id}/cancel`,
      headers: alice.bearer,
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const mine = await receipt(alice, id);
    expect(mine.status).toBe('cancelled');
    expect(steps(mine)).toEqual(['created', 'held', 'cancelled']);
    expect(mine.timeline[2]!.at).toBe(iso(h.clock.nowMs()));
    expect(steps(await receipt(bob, id))).toEqual(['created', 'held', 'cancelled']);
  });

  it('shows a failed transfer with its failure code', async () => {
    const alice = await user(1_000n);
    const bob = await user();
    expect((await pay(alice, bob, '10.01')).statusCode).toBe(402);
    const failed = await history.list(alice.userId, { limit: 10 }, { status: 'failed' });
    expect(failed.data).toHaveLength(1);
    const mine = await receipt(alice, failed.data[0]!.id);
    expect(mine.failure_code).toBe('insufficient_funds');
    expect(mine.timeline.map((s) => [s.status, s.failure_code])).toEqual([
      ['created', null],
      ['failed', 'insufficient_funds'],
    ]);
  });

  it('shows top-ups and withdrawals with their card and pending step', async () => {
    const carol = await user(5_000n);
    const topup = await funding('topup', carol, 20_000n, 'succeeded');
    const declined = await funding('withdrawal', carol, 3_000n, 'failed');
    const open = await funding('withdrawal', carol, 1_000n, 'pending');
    const t = await receipt(carol, topup.id);
    expect(t).toMatchObject({
      type: 'topup',
      direction: 'incoming',
      status: 'completed',
      category: 'top_ups',
      counterparty_id: topup.cardId,
      card: { id: topup.cardId, brand: 'visa', last4: '4242' },
      transfer: null,
    });
    expect(steps(t)).toEqual(['created', 'pending', 'completed']);
    expect(Date.parse(t.timeline[2]!.at) - Date.parse(t.timeline[1]!.at)).toBe(60_000);
    const w = await receipt(carol, declined.id);
    expect(w).toMatchObject({ type: 'withdrawal', direction: 'outgoing', status: 'failed' });
    expect(w.timeline.map((s) => [s.status, s.failure_code])).toEqual([
      ['created', null],
      ['pending', null],
      ['failed', 'card_declined'],
    ]);
    const p = await receipt(carol, open.id);
    expect([p.status, steps(p)]).toEqual(['pending', ['created', 'pending']]);
    expect(await totals(carol)).toEqual({ CNY: '250.00' });
  });

  it('shows a conversion as two movements, one per currency, with one receipt', async () => {
    const dan = await user(100_000n);
    const conversion = await convert(dan, '72.00');
    const page = await history.list(dan.userId, { limit: 10 }, { type: 'conversion' });
    expect(page.data.map((e) => [e.id, e.direction, e.currency])).toEqual(
      [
        [conversion.buyTransferId, 'incoming', 'USD'],
        [conversion.id, 'outgoing', 'CNY'],
      ].sort((a, b) => (a[0]! < b[0]! ? 1 : -1)),
    );
    for (const id of [conversion.id, conversion.buyTransferId]) {
      const r = await receipt(dan, id);
      expect(r).toMatchObject({
        type: 'conversion',
        category: 'currency_exchange',
        counterparty_id: null,
        conversion: {
          sell: cny('72.00'),
          buy: { amount: (Number(conversion.buy.amountMinor) / 100).toFixed(2), currency: 'USD' },
        },
      });
      expect(steps(r)).toEqual(['created', 'completed']);
    }
  });

  it("answers 404 for another user's movement, and 401 without a session", async () => {
    const alice = await user(10_000n);
    const bob = await user();
    const carol = await user();
    const { id } = await paid(alice, bob, '1.00');
    const foreign = await get(carol, `/v1/transactions/${id}`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'transfer_not_found', param: 'id' });
    expect((await get(undefined, `/v1/transactions/${id}`)).statusCode).toBe(401);
    expect((await get(alice, '/v1/transactions/trf_nope')).statusCode).toBe(400);
    expect(await history.receipt(carol.userId, id)).toBeUndefined();
  });
});

describe('the list', () => {
  it('filters by type, direction, status, counterparty, currency, amount, date and note', async () => {
    const erin = await user(100_000n);
    const frank = await user(10_000n);
    const t1 = (await paid(erin, frank, '10.00', { note: 'Coffee beans' })).id;
    h.clock.advanceMs(60_000);
    const top = (await funding('topup', erin, 5_000n, 'succeeded')).id;
    h.clock.advanceMs(60_000);
    const t2 = (await paid(frank, erin, '5.00', { note: '100% coffee' })).id;
    h.clock.advanceMs(60_000);
    const conversion = await convert(erin, '7.20');
    const ids = async (filter: Parameters<History['list']>[2], limit = 20) =>
      (await history.list(erin.userId, { limit }, filter)).data.map((e) => e.id);
    const fx = [conversion.id, conversion.buyTransferId].sort().reverse();
    expect(await ids({})).toEqual([...fx, t2, top, t1]);
    expect(await ids({ type: 'p2p' })).toEqual([t2, t1]);
    expect(await ids({ type: 'topup' })).toEqual([top]);
    expect(await ids({ type: 'withdrawal' })).toEqual([]);
    expect(await ids({ direction: 'incoming', type: 'p2p' })).toEqual([t2]);
    expect(await ids({ status: 'completed', currency: 'USD' })).toEqual([conversion.buyTransferId]);
    expect(await ids({ counterpartyId: frank.userId })).toEqual([t2, t1]);
    expect(await ids({ currency: 'CNY', amountMinorGte: 1000n })).toEqual([top, t1]);
    expect(await ids({ currency: 'CNY', amountMinorLte: 720n })).toEqual([conversion.id, t2]);
    expect(await ids({ noteContains: 'COFFEE' })).toEqual([t2, t1]);
    expect(await ids({ noteContains: '0%' })).toEqual([t2]);
    expect(await ids({ noteContains: '_' })).toEqual([]);
    const now = h.clock.nowMs();
    expect(await ids({ createdGte: new Date(now - 200_000) })).toEqual([...fx, t2, top]);
    expect(await ids({ createdLt: new Date(now - 200_000) })).toEqual([t1]);
    expect(await ids({ createdGte: new Date(now + 1) })).toEqual([]);
  });

  it('pages newest first with starting_after and ending_before, bounded', async () => {
    const gina = await user(100_000n);
    const hal = await user();
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      h.clock.advanceMs(1000);
      sent.unshift((await paid(gina, hal, '1.00')).id);
    }
    const first = await history.list(gina.userId, { limit: 2 });
    expect([first.data.map((e) => e.id), first.hasMore]).toEqual([sent.slice(0, 2), true]);
    const second = await history.list(gina.userId, { limit: 2, startingAfter: sent[1] });
    expect(second.data.map((e) => e.id)).toEqual(sent.slice(2, 4));
    const last = await history.list(gina.userId, { limit: 2, startingAfter: sent[3] });
    expect([last.data.map((e) => e.id), last.hasMore]).toEqual([sent.slice(4), false]);
    const back = await history.list(gina.userId, { limit: 2, endingBefore: sent[4] });
    expect(back.data.map((e) => e.id)).toEqual(sent.slice(2, 4));
    const huge = await history.list(gina.userId, { limit: 1_000_000 });
    expect(huge.data).toHaveLength(5);
  });

  it('keeps every id within the slack of its creation time, so date ranges are id ranges', async () => {
    const { rows } = await h.db.pool.query<{ id: string; created_at: Date }>(
      // Intents nobody paid are rows without a user.
      'SELECT id, created_at FROM wallet_history WHERE user_id IS NOT NULL',
    );
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const idMs = [...row.id.slice(4, 14)].reduce(
        (ms, c) => ms * 32 + '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(c),
        0,
      );
      expect(Math.abs(idMs - row.created_at.getTime())).toBeLessThan(ID_TIME_SLACK_MS);
    }
    const window = idWindow({}, { createdGte: new Date(IDENTITY_T0) });
    expect(window.idGte! < `trf_${ulidBody(IDENTITY_T0, new Uint8Array(10))}`).toBe(true);
  });
});

describe('merchant payments and refunds', () => {
  const merchants = merchantFixtures(() => h);

  function shopWith(mcc: string, nameEn: string, nameZh: string): Promise<Shop> {
    return merchants.shop({
      merchant: { name_zh: nameZh, name_en: nameEn, mcc, city: 'Shanghai', country: 'CN' },
    });
  }

  async function paidIntent(s: Shop, payer: SignedInUser, amount: string, extra = {}) {
    const created = await merchants.createIntent(s, amount, extra);
    expect(created.statusCode, created.body).toBe(201);
    const confirmed = await merchants.confirm(payer, created.json().id);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    return confirmed.json<{ id: string; status: string }>();
  }

  async function transferOf(table: 'payment_intents' | 'refunds', id: string): Promise<string> {
    const { rows } = await h.db.pool.query<{ transfer_id: string }>(
      `SELECT transfer_id FROM ${table} WHERE id = $1`,
      [id],
    );
    return rows[0]!.transfer_id;
  }

  function currentMonth(): string {
    const format = new Intl.DateTimeFormat('en-CA', {
      timeZone: TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
    });
    return format.format(new Date(h.clock.nowMs()));
  }

  it('lists payments and refunds newest first, with receipts for the payer alone, counted in insights and the statement', async () => {
    const coffee = await shopWith('5814', 'Hebao Coffee', '荷包咖啡');
    const market = await shopWith('5411', 'Hebao Market', '荷包超市');
    const hotel = await shopWith('7011', 'Hebao Hotel', '荷包酒店');
    let payer = await user(100_000n);
    const month = currentMonth();

    // A dynamic QR payment, a static-code payment, a partial refund, a hold captured in part.
    const latte = await paidIntent(coffee, payer, '25.00', { description: 'Latte' });
    expect(latte.status).toBe('succeeded');
    h.clock.advanceMs(1000);
    const staticPaid = await h.inject({
      method: 'POST',
      url: '/v1/merchant-payments',
      headers: { ...payer.bearer, 'idempotency-key': randomUUID() },
      payload: { merchant: market.id, amount: cny('12.34'), note: 'Apples' },
    });
    expect(staticPaid.statusCode, staticPaid.body).toBe(201);
    h.clock.advanceMs(1000);
    const refunded = await merchants.refund(coffee, latte.id, '5.00');
    expect(refunded.json()).toMatchObject({ status: 'succeeded' });
    h.clock.advanceMs(1000);
    const room = await paidIntent(hotel, payer, '80.00', { capture_method: 'manual' });
    expect(room.status).toBe('requires_capture');

    const ids = {
      room: await transferOf('payment_intents', room.id),
      refund: await transferOf('refunds', refunded.json().id),
      apples: await transferOf('payment_intents', staticPaid.json().id),
      latte: await transferOf('payment_intents', latte.id),
    };
    const rows = (e: HistoryEntry) => [
      e.id,
      e.type,
      e.direction,
      e.counterpartyId,
      e.amountMinor,
      e.status,
      e.category,
      e.note,
    ];
    const listed = await history.list(payer.userId, { limit: 10 });
    expect(listed.data.map(rows)).toEqual([
      [ids.room, 'merchant_payment', 'outgoing', hotel.id, 8_000n, 'held', 'merchants', null],
      [ids.refund, 'refund', 'incoming', coffee.id, 500n, 'completed', 'refunds', null],
      [
        ids.apples,
        'merchant_payment',
        'outgoing',
        market.id,
        1_234n,
        'completed',
        'groceries',
        'Apples',
      ],
      [
        ids.latte,
        'merchant_payment',
        'outgoing',
        coffee.id,
        2_500n,
        'completed',
        'dining',
        'Latte',
      ],
    ]);
    // Each merchant row names its merchant (one read for the page); the others name none.
    expect(listed.data.map((e) => e.merchantName?.en)).toEqual([
      'Hebao Hotel',
      'Hebao Coffee',
      'Hebao Market',
      'Hebao Coffee',
    ]);
    const held = await receipt(payer, ids.room);
    expect(steps(held)).toEqual(['created', 'held']);

    h.clock.advanceMs(1000);
    const captured = await h.inject({
      method: 'POST',
      url: `/v1/payment-intents/${room.id}/capture`,
      headers: { ...hotel.auth, 'idempotency-key': randomUUID() },
      payload: { amount: '60.00' },
    });
    expect(captured.statusCode, captured.body).toBe(200);
    payer = await again(payer);

    // Filters, over HTTP too.
    const typed = async (query: string) =>
      (await get(payer, `/v1/transactions?${query}`))
        .json<{ data: Array<{ id: string }> }>()
        .data.map((e) => e.id);
    expect(await typed('type=merchant_payment')).toEqual([ids.room, ids.apples, ids.latte]);
    expect(await typed('type=refund')).toEqual([ids.refund]);
    expect(await typed(`counterparty=${coffee.id}`)).toEqual([ids.refund, ids.latte]);
    expect(await typed('direction=outgoing&status=completed')).toEqual([
      ids.room,
      ids.apples,
      ids.latte,
    ]);

    // Receipts, with the merchant.
    const coffeeNames = { id: coffee.id, name_zh: '荷包咖啡', name_en: 'Hebao Coffee' };
    const latteReceipt = await receipt(payer, ids.latte);
    expect(latteReceipt).toMatchObject({
      type: 'merchant_payment',
      direction: 'outgoing',
      status: 'completed',
      amount: cny('25.00'),
      category: 'dining',
      transfer: null,
      card: null,
      conversion: null,
      merchant: { ...coffeeNames, payment_intent_id: latte.id, refund_id: null },
      merchant_name: { zh: '荷包咖啡', en: 'Hebao Coffee' },
    });
    expect(steps(latteReceipt)).toEqual(['created', 'completed']);
    const refundReceipt = await receipt(payer, ids.refund);
    expect(refundReceipt).toMatchObject({
      type: 'refund',
      direction: 'incoming',
      amount: cny('5.00'),
      failure_code: null,
      merchant: { ...coffeeNames, payment_intent_id: latte.id, refund_id: refunded.json().id },
    });
    expect(steps(refundReceipt)).toEqual(['created', 'completed']);
    expect((await receipt(payer, ids.apples)).merchant).toEqual({
      id: market.id,
      name_zh: '荷包超市',
      name_en: 'Hebao Market',
      payment_intent_id: staticPaid.json().id,
      refund_id: null,
    });
    const roomReceipt = await receipt(payer, ids.room);
    expect([roomReceipt.status, roomReceipt.amount, steps(roomReceipt)]).toEqual([
      'completed',
      cny('60.00'),
      ['created', 'held', 'completed'],
    ]);
    expect(roomReceipt.timeline[2]!.at).toBe(iso(h.clock.nowMs()));

    // Nobody else reads them: not another user, not the merchant's owner.
    const stranger = await user();
    for (const id of Object.values(ids)) {
      for (const who of [stranger, coffee.owner, hotel.owner]) {
        expect((await get(who, `/v1/transactions/${id}`)).statusCode).toBe(404);
      }
    }
    expect((await history.list(coffee.owner.userId, { limit: 10 })).data).toEqual([]);

    // Insights: spending by the merchants' categories; the refund is not netted.
    const insights = await get(payer, `/v1/insights/spending?month=${month}`);
    expect(insights.json().currencies).toEqual([
      {
        currency: 'CNY',
        total: cny('97.34'),
        categories: [
          { category: 'merchants', amount: cny('60.00'), count: 1 },
          { category: 'dining', amount: cny('25.00'), count: 1 },
          { category: 'groceries', amount: cny('12.34'), count: 1 },
        ],
      },
    ]);

    // The statement has lines of their own, and still adds up.
    const statement = (await get(payer, `/v1/statements/${month}`)).json();
    const [mine] = statement.currencies as Array<Record<string, { amount: string } | unknown[]>>;
    expect(mine).toEqual({
      currency: 'CNY',
      opening_balance: cny('0.00'),
      closing_balance: cny('907.66'),
      money_in: cny('1005.00'),
      money_out: cny('97.34'),
      by_type: [
        { type: 'merchant_payment', money_in: cny('0.00'), money_out: cny('97.34') },
        { type: 'refund', money_in: cny('5.00'), money_out: cny('0.00') },
        { type: 'other', money_in: cny('1000.00'), money_out: cny('0.00') },
      ],
    });
    expect(await totals(payer)).toEqual({ CNY: '907.66' });
    expect(statement.transactions.map((t: { id: string; type: string }) => [t.id, t.type])).toEqual(
      [
        [ids.room, 'merchant_payment'],
        [ids.refund, 'refund'],
        [ids.apples, 'merchant_payment'],
        [ids.latte, 'merchant_payment'],
      ],
    );
  });

  it('lists a cancelled hold as cancelled, and a payment that failed not at all', async () => {
    const hotel = await shopWith('7011', 'Hebao Hotel', '荷包酒店');
    const cinema = await shopWith('7832', 'Hebao Cinema', '荷包影院');
    const payer = await user(10_000n);
    const room = await paidIntent(hotel, payer, '30.00', { capture_method: 'manual' });
    // 90.00 is within the exempt amount, more than the 70.00 left beside the hold.
    const short = await merchants.createIntent(cinema, '90.00');
    const refused = await merchants.confirm(payer, short.json().id);
    expect(refused.json()).toMatchObject({ status: 402, code: 'insufficient_funds' });
    h.clock.advanceMs(1000);
    const cancelled = await h.inject({
      method: 'POST',
      url: `/v1/payment-intents/${room.id}/cancel`,
      headers: hotel.auth,
    });
    expect(cancelled.json()).toMatchObject({ status: 'canceled' });
    const listed = await history.list(payer.userId, { limit: 10 });
    expect(listed.data.map((e) => [e.type, e.status, e.amountMinor, e.category])).toEqual([
      ['merchant_payment', 'cancelled', 3_000n, 'merchants'],
    ]);
    const r = await receipt(payer, listed.data[0]!.id);
    expect(steps(r)).toEqual(['created', 'held', 'cancelled']);
    expect(r.timeline[2]!.at).toBe(iso(h.clock.nowMs()));
    expect(await totals(payer)).toEqual({ CNY: '100.00' });
  });

  it('reads a page of a long merchant history from the (payer, transfer) indexes', async () => {
    const coffee = await shopWith('5814', 'Hebao Coffee', '荷包咖啡');
    const payer = await user();
    const others = await user();
    const bulkMs = IDENTITY_T0 - 40 * 24 * 3_600_000;
    // One row in a hundred is the payer's: the (payer, transfer) indexes beat the transfer id's.
    const payers = [payer.userId, ...Array<string>(99).fill(others.userId)];
    await insertMerchantPayments(payers, coffee.id, 20_000, bulkMs);
    await h.db.pool.query('ANALYZE payment_intents');
    await h.db.pool.query('ANALYZE refunds');
    const cursor = `trf_${ulidBody(bulkMs + 10_000, new Uint8Array(10))}`;
    const plan = await h.db.pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM wallet_history WHERE user_id = $1 AND id < $2
        ORDER BY id DESC LIMIT 51`,
      [payer.userId, cursor],
    );
    const planText = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(planText).toContain('Merge Append');
    expect(planText).toContain('payment_intents_payer_transfer');
    expect(planText).toContain('refunds_payer');
    expect(planText).not.toContain('Seq Scan');
    expect(planText).not.toMatch(/->\s+Sort\b/);
    const page = await history.list(payer.userId, { limit: 50, startingAfter: cursor });
    expect(page.data).toHaveLength(50);
    expect(page.data.map((e) => e.type)).toContain('refund');
    for (const e of page.data) expect(e.id < cursor).toBe(true);
    // A merchant payment was made when its transfer id says (the bulk ids carry `bulkMs`).
    const newest = page.data.find((e) => e.type === 'merchant_payment')!;
    expect(newest.createdAt.getTime()).toBe(bulkMs);
  });

  it('sorts merchant categories by MCC and ledger codes under their lines', async () => {
    const { rows } = await h.db.pool.query<{ mcc: string; category: string }>(
      `SELECT mcc, hebao_mcc_category(mcc) AS category
         FROM unnest($1::text[]) AS mcc`,
      [['5812', '5499', '4121', '5542', '5651', '5999', '4900', '7995', '7011', '0742']],
    );
    expect(rows.map((r) => r.category)).toEqual([
      'dining',
      'groceries',
      'transport',
      'transport',
      'shopping',
      'shopping',
      'bills',
      'entertainment',
      'merchants',
      'merchants',
    ]);
    expect(
      ['merchant_payment', 'merchant_authorization', 'merchant_capture', 'merchant_refund'].map(
        statementTypeOf,
      ),
    ).toEqual(['merchant_payment', 'merchant_payment', 'merchant_payment', 'refund']);
    expect(statementTypeOf('merchant_fee')).toBe('other');
  });
});

describe('CSV', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+2', "'=1+2"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['', ''],
  ])('escapes the note %j', (note, field) => {
    expect(csvText(note)).toBe(field);
  });

  it('cuts the file into chunks of whole lines, far below a large object', () => {
    const entry: HistoryEntry = {
      id: 'trf_01KAR4Y7Z0000000000000000A',
      type: 'p2p',
      direction: 'incoming',
      counterpartyId: 'usr_01KAR4Y7Z0000000000000000B',
      amountMinor: 1n,
      currency: 'CNY',
      status: 'completed',
      note: '转账备注'.repeat(35),
      category: 'transfers',
      createdAt: new Date(IDENTITY_T0),
      completedAt: new Date(IDENTITY_T0),
      merchantName: null,
    };
    const chunks = csvChunks(Array.from({ length: 1000 }, () => entry));
    expect(chunks.join('')).toBe(csvRow(entry).repeat(1000));
    for (const chunk of chunks) {
      expect(chunk.endsWith('\r\n')).toBe(true);
      expect(chunk.length).toBeLessThan(HISTORY_EXPORT_CHUNK_CHARS + 300);
    }
    expect(csvChunks([])).toEqual([]);
  });

  it('writes one line per movement, the amount signed', () => {
    const entry: HistoryEntry = {
      id: 'trf_01KAR4Y7Z0000000000000000A',
      type: 'p2p',
      direction: 'outgoing',
      counterpartyId: 'usr_01KAR4Y7Z0000000000000000B',
      amountMinor: 1250n,
      currency: 'CNY',
      status: 'completed',
      note: '-5, really',
      category: 'transfers',
      createdAt: new Date(IDENTITY_T0),
      completedAt: null,
      merchantName: null,
    };
    expect(csvRow(entry)).toBe(
      `${entry.id},2026-11-23T02:00:00.000Z,,p2p,outgoing,completed,-12.50,CNY,${entry.counterpartyId},transfers,"'-5, really"\r\n`,
    );
    expect(csvRow({ ...entry, direction: 'incoming', note: null })).toContain(',12.50,CNY,');
  });

  it('exports over HTTP as an attachment, escaped, only the range asked for', async () => {
    const ivy = await user(10_000n);
    const jack = await user();
    const startMs = h.clock.nowMs();
    const formula = (await paid(ivy, jack, '1.00', { note: '=HYPERLINK("http://x","y")' })).id;
    h.clock.advanceMs(1000);
    const lines = (await paid(ivy, jack, '2.00', { note: 'a, "b"\nc' })).id;
    h.clock.advanceMs(1000);
    await paid(ivy, jack, '3.00');
    const response = await get(
      ivy,
      `/v1/transactions/export.csv?from=${iso(startMs)}&to=${iso(startMs + 2000)}`,
    );
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="hebao-transactions-2026-\d\d-\d\d-to-2026-\d\d-\d\d\.csv"$/,
    );
    expect(response.body).toBe(
      '\uFEFFid,created_at,completed_at,type,direction,status,amount,currency,counterparty_id,category,note\r\n' +
        `${lines},${iso(startMs + 1000)},${iso(startMs + 1000)},p2p,outgoing,completed,-2.00,CNY,${jack.userId},transfers,"a, ""b""\nc"\r\n` +
        `${formula},${iso(startMs)},${iso(startMs)},p2p,outgoing,completed,-1.00,CNY,${jack.userId},transfers,"'=HYPERLINK(""http://x"",""y"")"\r\n`,
    );
    const backwards = await get(
      ivy,
      `/v1/transactions/export.csv?from=${iso(startMs)}&to=${iso(startMs)}`,
    );
    expect(backwards.json()).toMatchObject({ code: 'validation_failed', param: 'to' });
    expect((await get(undefined, '/v1/transactions/export.csv')).statusCode).toBe(401);
    const others = await get(jack, `/v1/transactions/export.csv`);
    expect(others.body.split('\r\n').filter((l) => l.includes(',outgoing,'))).toEqual([]);
  });

  it('streams 100,000 rows over HTTP in bounded memory', async () => {
    const kim = await user();
    const lee = await user();
    const count = 100_000;
    const bulkMs = IDENTITY_T0 - 30 * 24 * 3_600_000;
    await insertTransfers(kim.userId, lee.userId, count, bulkMs);
    await h.db.pool.query('ANALYZE wallet_transfers');
    const plan = await h.db.pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM wallet_history WHERE user_id = $1 AND id < $2
        ORDER BY id DESC LIMIT 251`,
      [kim.userId, `trf_${ulidBody(bulkMs + 60_000, new Uint8Array(10))}`],
    );
    const planText = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(planText).toContain('Merge Append');
    expect(planText).not.toContain('Seq Scan');

    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    // Start from a collected heap (the way Jest's leak detection gets `gc`), so that the baseline
    // is what is alive rather than the earlier tests' garbage, which V8 sweeps when it likes.
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const sampler = setInterval(sample, 5);
    const started = Date.now();
    try {
      const result = await streamCsv(port, '/v1/transactions/export.csv', kim.bearer, sample);
      const growthMb = (peak - baseline) / 2 ** 20;
      console.log(
        `CSV export: ${result.lines - 1} rows, ${(result.bytes / 2 ** 20).toFixed(1)} MB in ` +
          `${Date.now() - started} ms; RSS baseline ${(baseline / 2 ** 20).toFixed(0)} MB, ` +
          `peak ${(peak / 2 ** 20).toFixed(0)} MB, growth ${growthMb.toFixed(1)} MB`,
      );
      expect(result.chunked).toBe(true);
      expect(result.first.startsWith('\uFEFFid,created_at,')).toBe(true);
      expect(result.lines).toBe(count + 1);
      expect(result.last).toMatch(
        /^trf_\w+,[^,]+,[^,]+,p2p,outgoing,completed,-1\.01,CNY,usr_\w+,transfers,"bulk, ""row"" 1 (lorem ipsum ){10}"$/,
      );
      // Typically 3–7 MB; V8 sometimes lets garbage reach 50–70 MB before a full collection.
      expect(growthMb).toBeLessThan(100);
    } finally {
      clearInterval(sampler);
    }
  });
});

/**
 * Completed P2P transfers straight into the table (history needs no ledger): one time prefix for
 * all ids and the row number as their random part, so that the id order is the row order.
 */
async function insertTransfers(payerId: string, payeeId: string, count: number, atMs: number) {
  await h.db.pool.query(
    `INSERT INTO wallet_transfers (id, payer_id, payee_id, amount_minor, currency, note, arrival,
       status, confirmation, idempotency_key, limit_reserved_at, created_at, updated_at,
       completed_at)
     SELECT 'trf_' || $3::text || upper(lpad(to_hex(g), 16, '0')), $1::text, $2::text, 100 + g,
            'CNY', 'bulk, "row" ' || g || ' ' || repeat('lorem ipsum ', 10), 'instant',
            'completed', 'exempt', 'bulk-' || g, $4::timestamptz, at, at, at
       FROM generate_series(1, $5::int) g,
            LATERAL (SELECT $4::timestamptz + g * interval '1 millisecond' AS at) t`,
    [payerId, payeeId, ulidBody(atMs, new Uint8Array(10)).slice(0, 10), new Date(atMs), count],
  );
}

/**
 * `count` paid intents of `merchantId`, by each of `payerIds` in turn, a millisecond apart from
 * `atMs`, and a refund of every seventh, straight into the tables (the view reads nothing else).
 */
async function insertMerchantPayments(
  payerIds: readonly string[],
  merchantId: string,
  count: number,
  atMs: number,
) {
  const idTime = ulidBody(atMs, new Uint8Array(10)).slice(0, 10);
  const at = new Date(atMs);
  await h.db.pool.query(
    `INSERT INTO payment_intents (id, merchant_id, amount_minor, currency, description, metadata,
       capture_method, status, reference, expires_at, payer_id, transfer_id,
       amount_received_minor, created_at, updated_at, paid_at)
     SELECT 'pi_' || $3::text || upper(lpad(to_hex(g), 16, '0')), $2::text, 100 + g, 'CNY',
            'bulk ' || g, '{}', 'automatic', 'succeeded', 'BULK' || $3::text || g, at,
            ($1::text[])[1 + g % cardinality($1::text[])], 'trf_' || $3::text || upper(lpad(to_hex(g * 2), 16, '0')), 100 + g, at,
            at, at
       FROM generate_series(1, $5::int) g,
            LATERAL (SELECT $4::timestamptz + g * interval '1 millisecond' AS at) t`,
    [payerIds, merchantId, idTime, at, count],
  );
  await h.db.pool.query(
    `INSERT INTO refunds (id, payment_intent_id, merchant_id, amount_minor, currency, status,
       transfer_id, created_at, updated_at)
     SELECT 'ref_' || $2::text || upper(lpad(to_hex(g), 16, '0')),
            'pi_' || $2::text || upper(lpad(to_hex(g), 16, '0')), $1::text, 1, 'CNY',
            'succeeded', 'trf_' || $2::text || upper(lpad(to_hex(g * 2 + 1), 16, '0')), at, at
       FROM generate_series(7, $4::int, 7) g,
            LATERAL (SELECT $3::timestamptz + g * interval '1 millisecond' AS at) t`,
    [merchantId, idTime, at, count],
  );
}

interface StreamedCsv {
  readonly lines: number;
  readonly bytes: number;
  readonly chunked: boolean;
  readonly first: string;
  readonly last: string;
}

/**
 * GETs a file and counts its lines as the bytes arrive (a line ends at every 0x0A), keeping only
 * its first and last few hundred bytes, never the body.
 */
function streamCsv(
  port: number,
  path: string,
  headers: Record<string, string>,
  onData: () => void,
): Promise<StreamedCsv> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      let lines = 0;
      let bytes = 0;
      let head = Buffer.alloc(0);
      let tail = Buffer.alloc(0);
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (head.length < 200) head = Buffer.concat([head, chunk.subarray(0, 200)]);
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        tail = Buffer.concat([tail, chunk.subarray(-300)]).subarray(-300);
        onData();
      });
      res.on('end', () =>
        resolve({
          lines,
          bytes,
          chunked: res.headers['transfer-encoding'] === 'chunked',
          first: head.toString('utf8'),
          last: tail.toString('utf8').trimEnd().split('\r\n').at(-1) ?? '',
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('months', () => {
  it('begins a month at local midnight in the time zone', () => {
    const now = Date.UTC(2030, 0, 1);
    expect(monthPeriod('2026-11', 'Asia/Shanghai', now)).toEqual({
      start: new Date('2026-10-31T16:00:00.000Z'),
      end: new Date('2026-11-30T16:00:00.000Z'),
    });
    expect(monthPeriod('2026-12', 'UTC', now)).toEqual({
      start: new Date('2026-12-01T00:00:00.000Z'),
      end: new Date('2027-01-01T00:00:00.000Z'),
    });
    // New York changes to summer time on 8 March 2026: March is 31 days less one hour long.
    expect(monthPeriod('2026-03', 'America/New_York', now)).toEqual({
      start: new Date('2026-03-01T05:00:00.000Z'),
      end: new Date('2026-04-01T04:00:00.000Z'),
    });
    expect(monthPeriod('2030-02', 'UTC', now)).toBeUndefined();
    expect(() => monthPeriod('2026-13', 'UTC', now)).toThrow();
  });

  it('counts ledger codes under their movement type', () => {
    expect(
      ['p2p_held', 'p2p_cancel', 'topup', 'fx_buy', 'test_funding', 'hasOwnProperty'].map(
        statementTypeOf,
      ),
    ).toEqual(['p2p', 'p2p', 'topup', 'conversion', 'other', 'other']);
  });

  it('orders a timeline of a movement that is still under way', () => {
    const at = new Date(IDENTITY_T0);
    const later = new Date(IDENTITY_T0 + 5000);
    const entry: HistoryEntry = {
      id: 'trf_01KAR4Y7Z0000000000000000A',
      type: 'p2p',
      direction: 'outgoing',
      counterpartyId: null,
      amountMinor: 1n,
      currency: 'CNY',
      status: 'releasing',
      note: null,
      category: 'transfers',
      createdAt: at,
      completedAt: null,
      merchantName: null,
    };
    expect(
      timelineOf({ entry, updatedAt: later, failureCode: null, movedAt: at, waited: true }),
    ).toEqual([
      { status: 'created', at, failureCode: null },
      { status: 'held', at, failureCode: null },
      { status: 'releasing', at: later, failureCode: null },
    ]);
    expect(
      timelineOf({
        entry: { ...entry, status: 'processing' },
        updatedAt: at,
        failureCode: null,
        movedAt: null,
        waited: false,
      }),
    ).toEqual([{ status: 'created', at, failureCode: null }]);
  });
});

describe('statements and insights', () => {
  it('adds up to the ledger: opening + in − out = closing, month after month', async () => {
    // Runs last: it moves the clock into the next month.
    let mia = await user(50_000n);
    let ned = await user(10_000n);
    await funding('topup', mia, 20_000n, 'succeeded');
    await paid(mia, ned, '20.00');
    await paid(ned, mia, '5.00');
    const held = await paid(mia, ned, '7.00', { arrival: 'delay_24h' });
    await funding('withdrawal', mia, 3_000n, 'failed');
    await convert(mia, '36.00');
    const november = await get(mia, '/v1/statements/2026-11');
    expect(november.statusCode, november.body).toBe(200);
    expect(november.json()).toMatchObject({
      month: '2026-11',
      time_zone: TIME_ZONE,
      has_more: false,
    });
    const nov = november.json().currencies as Array<Record<string, unknown>>;
    expect(nov).toEqual([
      {
        currency: 'CNY',
        opening_balance: cny('0.00'),
        closing_balance: cny('642.00'),
        money_in: cny('705.00'),
        money_out: cny('63.00'),
        by_type: [
          { type: 'p2p', money_in: cny('5.00'), money_out: cny('27.00') },
          { type: 'topup', money_in: cny('200.00'), money_out: cny('0.00') },
          { type: 'conversion', money_in: cny('0.00'), money_out: cny('36.00') },
          { type: 'other', money_in: cny('500.00'), money_out: cny('0.00') },
        ],
      },
      expect.objectContaining({
        currency: 'USD',
        opening_balance: { amount: '0.00', currency: 'USD' },
      }),
    ]);
    expect(november.json().transactions.length).toBe(7);
    const insightsNov = await get(mia, '/v1/insights/spending?month=2026-11');
    expect(insightsNov.statusCode, insightsNov.body).toBe(200);
    expect(insightsNov.json().currencies).toEqual([
      {
        currency: 'CNY',
        total: cny('56.00'),
        categories: [
          { category: 'currency_exchange', amount: cny('36.00'), count: 1 },
          { category: 'transfers', amount: cny('20.00'), count: 1 },
        ],
      },
    ]);

    // Into December: the held transfer is released, more money moves.
    h.clock.advanceMs(10 * 24 * 3_600_000);
    expect(await h.wallet.releaseDue()).toBeGreaterThanOrEqual(1);
    mia = await again(mia);
    ned = await again(ned);
    expect((await receipt(mia, held.id)).status).toBe('completed');
    await paid(mia, ned, '9.00');
    h.clock.advanceMs(1000);
    await funding('withdrawal', mia, 10_000n, 'succeeded');
    const december = (await get(mia, '/v1/statements/2026-12')).json();
    const dec = december.currencies as Array<{
      currency: string;
      opening_balance: { amount: string };
      closing_balance: { amount: string };
      money_in: { amount: string };
      money_out: { amount: string };
    }>;
    const wallets = await totals(mia);
    for (const c of dec) {
      const before = nov.find((n) => n.currency === c.currency)!;
      expect(c.opening_balance).toEqual(before.closing_balance);
      expect(c.closing_balance.amount).toBe(wallets[c.currency]);
      const sum =
        Number(c.opening_balance.amount) + Number(c.money_in.amount) - Number(c.money_out.amount);
      expect(sum.toFixed(2)).toBe(c.closing_balance.amount);
    }
    expect(dec.find((c) => c.currency === 'CNY')).toMatchObject({
      closing_balance: cny('533.00'),
      money_out: cny('109.00'),
    });
    expect(december.transactions.map((t: { type: string }) => t.type)).toEqual([
      'withdrawal',
      'p2p',
    ]);
    const nedDecember = (await get(ned, '/v1/statements/2026-12')).json();
    expect(nedDecember.currencies[0].by_type).toEqual([
      { type: 'p2p', money_in: cny('16.00'), money_out: cny('0.00') },
    ]);
    expect((await get(mia, '/v1/insights/spending?month=2026-12')).json().currencies).toEqual([
      {
        currency: 'CNY',
        total: cny('109.00'),
        categories: [
          { category: 'withdrawals', amount: cny('100.00'), count: 1 },
          { category: 'transfers', amount: cny('9.00'), count: 1 },
        ],
      },
    ]);
    expect((await get(mia, '/v1/insights/spending?month=2026-10')).json().currencies).toEqual([]);
  });

  it('refuses a month that has not begun, a bad month or time zone, and no session', async () => {
    const olga = await user();
    const future = await get(olga, '/v1/statements/2099-01');
    expect(future.json()).toMatchObject({ code: 'validation_failed', param: 'month' });
    expect((await get(olga, '/v1/statements/2026-13')).statusCode).toBe(400);
    expect((await get(olga, '/v1/insights/spending')).statusCode).toBe(400);
    const zone = await get(olga, '/v1/statements/2026-11?time_zone=Mars%2FOlympus');
    expect(zone.json()).toMatchObject({ code: 'validation_failed', param: 'time_zone' });
    const utc = await get(olga, '/v1/statements/2026-11?time_zone=UTC');
    expect(utc.json()).toMatchObject({
      time_zone: 'UTC',
      period_start: '2026-11-01T00:00:00.000Z',
      currencies: [],
      transactions: [],
    });
    expect((await get(undefined, '/v1/statements/2026-11')).statusCode).toBe(401);
    expect((await get(undefined, '/v1/insights/spending?month=2026-11')).statusCode).toBe(401);
  });
});
