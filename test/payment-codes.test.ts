/**
 * Goal: user payment codes through the HTTP API. A phone is provisioned behind the payment PIN
 * and gets its secret once; codes made offline by the pure module from that secret pay merchants
 * through their API keys, each code once (also under concurrency), from the current or previous
 * step only, never from a revoked device or another device's secret; wrong codes lock a device
 * for a while. Within the payer's daily allowance the code is the payer's consent; above it the
 * charge waits for the payer to confirm in the app. Refusals move no money, and the ledger
 * verifies afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { parseKeyring } from '../src/lib/encryption.js';
import { newId } from '../src/lib/ids.js';
import { limits } from '../src/limits.js';
import {
  createCharges,
  generatePaymentCode,
  newPaymentCodeSecret,
  type Charges,
} from '../src/merchants/index.js';
import { defaultRiskPolicy } from '../src/risk/index.js';
import type { IdentityHarness, SignedInUser } from './identity-app.js';
import {
  closeMerchantHarness,
  createMerchantHarness,
  merchantFixtures,
  type Shop,
} from './merchant-fixtures.js';

const PIN = '135792';
const WRONG_PIN = '680246';
const STEP_MS = 60_000;

let h: IdentityHarness;
beforeAll(async () => {
  // The tier caps are tested elsewhere; here they stay out of the way of the code allowance (and
  // step-up keeps the configuration's daily exemptions).
  h = await createMerchantHarness({});
});
afterAll(() => closeMerchantHarness(h));

const fixtures = merchantFixtures(() => h);
const { balanceOf } = fixtures;

async function user(balanceMinor = 0n, options: { readonly pin?: boolean } = {}) {
  const me = await fixtures.user(balanceMinor);
  if (options.pin !== false) await fixtures.setPin(me, PIN);
  return me;
}

function shop(scopes?: readonly string[]): Promise<Shop> {
  return fixtures.shop({
    merchant: {
      name_zh: '荷包便利店',
      name_en: 'Hebao Mart',
      mcc: '5411',
      city: 'Shanghai',
      country: 'CN',
    },
    keyName: 'till',
    ...(scopes === undefined ? {} : { scopes }),
  });
}

interface Device {
  readonly id: string;
  readonly tokenId: number;
  readonly secret: Uint8Array;
}

function provisionRequest(me: SignedInUser, body: Record<string, unknown> = { pin: PIN }) {
  return h.inject({
    method: 'POST',
    url: '/v1/payment-codes/devices',
    headers: me.bearer,
    payload: body,
  });
}

async function provision(me: SignedInUser): Promise<Device> {
  const response = await provisionRequest(me, { pin: PIN, name: 'Test phone' });
  expect(response.statusCode, response.body).toBe(201);
  const body = response.json<{ id: string; token_id: number; secret: string }>();
  return { id: body.id, tokenId: body.token_id, secret: Buffer.from(body.secret, 'base64url') };
}

/** The code the phone shows now (or at `atMs`), made by the same pure module the app uses. */
function codeOf(device: Device, atMs = h.clock.nowMs()): Promise<string> {
  return generatePaymentCode({ secret: device.secret, tokenId: device.tokenId, at: atMs });
}

function charge(s: Shop, code: string, amount: string, key: string = randomUUID()) {
  return h.inject({
    method: 'POST',
    url: '/v1/charges',
    headers: { ...s.auth, 'idempotency-key': key },
    payload: { payment_code: code, amount: { amount, currency: 'CNY' }, description: 'Groceries' },
  });
}

async function feeRevenue(): Promise<bigint> {
  const { rows } = await h.db.pool.query<{ balance: bigint }>(
    `SELECT credits_posted - debits_posted AS balance FROM ledger_accounts
      WHERE code = 'fee_revenue' AND currency = 'CNY'`,
  );
  return rows[0]?.balance ?? 0n;
}

/** The payer's code allowance, and the tier limits it counted, stand at nothing (given back). */
async function expectNothingCounted(payer: SignedInUser): Promise<void> {
  const { rows: allowance } = await h.db.pool.query(
    'SELECT used_minor FROM payment_code_allowances WHERE user_id = $1',
    [payer.userId],
  );
  expect(allowance[0].used_minor).toBe(0n);
  const { rows: usage } = await h.db.pool.query(
    'SELECT DISTINCT used_minor FROM payment_usage WHERE user_id = $1',
    [payer.userId],
  );
  expect(usage).toEqual([{ used_minor: 0n }]);
}

/** A step-up confirmation of the payer's for paying `amount` CNY to the merchant. */
async function confirmationFor(payer: SignedInUser, merchantId: string, amount: string) {
  const token = await h.inject({
    method: 'POST',
    url: '/v1/me/confirmations',
    headers: payer.bearer,
    payload: { amount: { amount, currency: 'CNY' }, payee: merchantId, pin: PIN },
  });
  expect(token.statusCode, token.body).toBe(201);
  return token.json().confirmation as string;
}

/** The payer confirms a charge's intent in the app, with step-up. */
async function confirmInApp(
  payer: SignedInUser,
  merchantId: string,
  intentId: string,
  amount: string,
) {
  const confirmation = await confirmationFor(payer, merchantId, amount);
  return fixtures.confirm(payer, intentId, { confirmation });
}

/** Moves the clock to the start of the next 60-second step, so a test's codes stay fresh. */
function nextStep(): void {
  h.clock.advanceMs(STEP_MS - (h.clock.nowMs() % STEP_MS));
}

describe('provisioning a phone', () => {
  it('needs the payment PIN and shows the secret once, stored only encrypted', async () => {
    const me = await user();
    const none = await provisionRequest(me, {});
    expect(none.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    const wrong = await provisionRequest(me, { pin: WRONG_PIN });
    expect(wrong.json()).toMatchObject({ status: 403, code: 'pin_wrong' });
    const noPin = await user(0n, { pin: false });
    expect((await provisionRequest(noPin)).json()).toMatchObject({ code: 'pin_not_set' });

    const created = await provisionRequest(me, { pin: PIN, name: 'My phone' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const body = created.json<{ id: string; token_id: number; secret: string; name: string }>();
    expect(body.id).toMatch(/^pcd_/);
    expect(body.name).toBe('My phone');
    expect(Number.isInteger(body.token_id)).toBe(true);
    expect(body.token_id).toBeGreaterThanOrEqual(0);
    expect(body.token_id).toBeLessThan(10 ** 10);
    expect(Buffer.from(body.secret, 'base64url')).toHaveLength(20);

    const listed = await h.inject({
      method: 'GET',
      url: '/v1/payment-codes/devices',
      headers: me.bearer,
    });
    expect(listed.json().data).toEqual([
      expect.objectContaining({ id: body.id, revoked_at: null, last_used_at: null }),
    ]);
    expect(listed.body).not.toContain(body.secret);
    expect(listed.body).not.toContain('token_id');
    const { rows } = await h.db.pool.query('SELECT * FROM payment_code_devices WHERE id = $1', [
      body.id,
    ]);
    const stored = JSON.stringify(rows, (_, v: unknown) => (typeof v === 'bigint' ? `${v}` : v));
    expect(stored).not.toContain(body.secret);
    expect(stored).not.toContain(Buffer.from(body.secret, 'base64url').toString('hex'));
    expect(rows[0].secret_encrypted).toMatch(/^v1\./);
  });

  it('bounds the active devices, and revokes only the user’s own', async () => {
    const me = await user();
    const other = await user();
    const devices: Device[] = [];
    for (let i = 0; i < limits.paymentCodeDevicesPerUserMax; i++) devices.push(await provision(me));
    const tooMany = await provisionRequest(me);
    expect(tooMany.json()).toMatchObject({ status: 409, code: 'payment_code_devices_too_many' });

    const foreign = await h.inject({
      method: 'DELETE',
      url: `/v1/payment-codes/devices/${devices[0]!.id}`,
      headers: other.bearer,
    });
    expect(foreign.json()).toMatchObject({ status: 404, code: 'payment_code_device_not_found' });
    const revoked = await h.inject({
      method: 'DELETE',
      url: `/v1/payment-codes/devices/${devices[0]!.id}`,
      headers: me.bearer,
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json().revoked_at).not.toBeNull();
    await provision(me);
  });

  it('takes sessions only, and API keys only for charges', async () => {
    const s = await shop();
    const me = await user();
    const byKey = await h.inject({
      method: 'POST',
      url: '/v1/payment-codes/devices',
      headers: s.auth,
      payload: { pin: PIN },
    });
    expect(byKey.json()).toMatchObject({ status: 401, code: 'unauthenticated' });
    const listByKey = await h.inject({
      method: 'GET',
      url: '/v1/payment-codes/devices',
      headers: s.auth,
    });
    expect(listByKey.json()).toMatchObject({ status: 401, code: 'unauthenticated' });
    const bySession = await h.inject({
      method: 'POST',
      url: '/v1/charges',
      headers: { ...me.bearer, 'idempotency-key': randomUUID() },
      payload: { payment_code: '88'.padEnd(18, '0'), amount: { amount: '1.00', currency: 'CNY' } },
    });
    expect(bySession.json()).toMatchObject({ status: 401, code: 'api_key_required' });
    const none = await h.inject({ method: 'GET', url: `/v1/charges/${newId('chg', 0)}` });
    expect(none.json()).toMatchObject({ status: 401, code: 'api_key_required' });

    const refundsOnly = await shop(['refunds:read']);
    const scoped = await charge(refundsOnly, '88'.padEnd(18, '0'), '1.00');
    expect(scoped.json()).toMatchObject({ status: 403, code: 'api_key_scope_missing' });
    const noKey = await h.inject({
      method: 'POST',
      url: '/v1/charges',
      headers: s.auth,
      payload: { payment_code: '88'.padEnd(18, '0'), amount: { amount: '1.00', currency: 'CNY' } },
    });
    expect(noKey.json()).toMatchObject({ status: 400, code: 'idempotency_key_required' });
  });
});

describe('charging a payment code', () => {
  it('pays the merchant from the code’s user, takes the fee, and shows the charge', async () => {
    const s = await shop();
    const payer = await user(100_00n);
    const device = await provision(payer);
    nextStep();
    const feesBefore = await feeRevenue();
    const response = await charge(s, await codeOf(device), '12.34');
    expect(response.statusCode, response.body).toBe(201);
    const created = response.json();
    expect(created).toMatchObject({
      merchant_id: s.id,
      status: 'succeeded',
      amount: { amount: '12.34', currency: 'CNY' },
      fee: { amount: '0.07', currency: 'CNY' },
      failure_code: null,
      payer_id: payer.userId,
      description: 'Groceries',
    });
    expect(created.id).toMatch(/^chg_/);
    expect(await balanceOf(payer.userId)).toBe(100_00n - 12_34n);
    expect(await balanceOf(s.id)).toBe(12_34n - 7n);
    expect((await feeRevenue()) - feesBefore).toBe(7n);

    const got = await h.inject({
      method: 'GET',
      url: `/v1/charges/${created.id}`,
      headers: s.auth,
    });
    expect(got.json()).toEqual(created);
    const intent = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents/${created.payment_intent}`,
      headers: s.auth,
    });
    expect(intent.json()).toMatchObject({ status: 'succeeded', payer_id: payer.userId });
    const { rows: events } = await h.db.pool.query(
      `SELECT type, data FROM user_events WHERE user_id = $1 AND type = 'payment.succeeded'`,
      [payer.userId],
    );
    expect(events).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ charge_id: created.id }) }),
    ]);
    const devices = await h.inject({
      method: 'GET',
      url: '/v1/payment-codes/devices',
      headers: payer.bearer,
    });
    expect(devices.json().data[0].last_used_at).not.toBeNull();

    const otherShop = await shop();
    const foreign = await h.inject({
      method: 'GET',
      url: `/v1/charges/${created.id}`,
      headers: otherShop.auth,
    });
    expect(foreign.json()).toMatchObject({ status: 404, code: 'charge_not_found' });
  });

  it('accepts each code once, and replays a charge for its Idempotency-Key', async () => {
    const s = await shop();
    const payer = await user(100_00n);
    const device = await provision(payer);
    nextStep();
    const code = await codeOf(device);
    const key = randomUUID();
    const first = await charge(s, code, '5.00', key);
    expect(first.statusCode, first.body).toBe(201);
    const replay = await charge(s, code, '5.00', key);
    expect(replay.json()).toEqual(first.json());
    const again = await charge(s, code, '5.00');
    expect(again.json()).toMatchObject({
      status: 409,
      code: 'payment_code_used',
      param: 'payment_code',
    });
    expect(await balanceOf(payer.userId)).toBe(95_00n);
    // The previous step's code is older than the one used, so it is refused too.
    const previous = await codeOf(device, h.clock.nowMs() - STEP_MS);
    expect((await charge(s, previous, '5.00')).json().code).toBe('payment_code_used');
  });

  it('accepts the previous step, and refuses a code two steps old', async () => {
    const s = await shop();
    const payer = await user(100_00n);
    const device = await provision(payer);
    nextStep();
    const shown = await codeOf(device);
    h.clock.advanceMs(STEP_MS);
    const late = await charge(s, shown, '1.00');
    expect(late.statusCode, late.body).toBe(201);
    expect(late.json().status).toBe('succeeded');

    const stale = await codeOf(device);
    h.clock.advanceMs(2 * STEP_MS);
    const expired = await charge(s, stale, '1.00');
    expect(expired.json()).toMatchObject({ status: 400, code: 'payment_code_invalid' });
    expect(await balanceOf(payer.userId)).toBe(99_00n);
  });

  it('refuses codes of another secret, of revoked devices, and malformed ones', async () => {
    const s = await shop();
    const payer = await user(100_00n);
    const device = await provision(payer);
    const thief = await user(100_00n);
    const thiefs = await provision(thief);
    nextStep();
    // The token id is no secret (anyone can recover it from a code); the secret is.
    for (const secret of [thiefs.secret, newPaymentCodeSecret()]) {
      const forged = await generatePaymentCode({
        secret,
        tokenId: device.tokenId,
        at: h.clock.nowMs(),
      });
      expect((await charge(s, forged, '1.00')).json()).toMatchObject({
        status: 400,
        code: 'payment_code_invalid',
      });
    }
    const unknown = await generatePaymentCode({
      secret: device.secret,
      tokenId: (device.tokenId + 1) % 10 ** 10,
      at: h.clock.nowMs(),
    });
    expect((await charge(s, unknown, '1.00')).json().code).toBe('payment_code_invalid');

    for (const code of [
      '12345',
      '88123456789012345a',
      '8812345678901234567',
      ' 881234567890123456',
    ]) {
      expect((await charge(s, code, '1.00')).json(), code).toMatchObject({
        status: 400,
        code: 'payment_code_malformed',
      });
    }
    const wechat = `13${(await codeOf(device)).slice(2)}`;
    expect((await charge(s, wechat, '1.00')).json()).toMatchObject({
      status: 400,
      code: 'payment_code_unknown_prefix',
    });

    const revoke = await h.inject({
      method: 'DELETE',
      url: `/v1/payment-codes/devices/${device.id}`,
      headers: payer.bearer,
    });
    expect(revoke.statusCode).toBe(200);
    const revoked = await charge(s, await codeOf(device), '1.00');
    expect(revoked.json()).toMatchObject({ status: 400, code: 'payment_code_invalid' });
    expect(await balanceOf(payer.userId)).toBe(100_00n);
    expect(await balanceOf(s.id)).toBe(0n);
  });

  it('locks a device after a few wrong codes, its right codes too, for a while', async () => {
    const s = await shop();
    const payer = await user(100_00n);
    const device = await provision(payer);
    nextStep();
    for (let i = 0; i < limits.paymentCodeFailuresLock; i++) {
      const guess = await generatePaymentCode({
        secret: newPaymentCodeSecret(),
        tokenId: device.tokenId,
        at: h.clock.nowMs(),
      });
      expect((await charge(s, guess, '1.00')).json().code).toBe('payment_code_invalid');
    }
    const right = await charge(s, await codeOf(device), '1.00');
    expect(right.json()).toMatchObject({ status: 400, code: 'payment_code_invalid' });
    h.clock.advanceMs(limits.paymentCodeLockMs);
    const later = await charge(s, await codeOf(device), '1.00');
    expect(later.statusCode, later.body).toBe(201);
    expect(await balanceOf(payer.userId)).toBe(99_00n);
  });

  it('lets exactly one of ten concurrent charges with one code through', async () => {
    const s = await shop();
    const payer = await user(100_00n);
    const device = await provision(payer);
    nextStep();
    const code = await codeOf(device);
    const responses = await Promise.all(Array.from({ length: 10 }, () => charge(s, code, '3.00')));
    const codes = responses.map((r) => (r.statusCode === 201 ? 'ok' : r.json().code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
    expect(codes.filter((c) => c === 'payment_code_used')).toHaveLength(9);
    expect(await balanceOf(payer.userId)).toBe(97_00n);
    const { rows } = await h.db.pool.query(
      'SELECT count(*)::int AS n FROM charges WHERE device_id = $1',
      [device.id],
    );
    expect(rows[0].n).toBe(1);
  });

  it('fails cleanly on insufficient funds: nothing moves, the code is used up', async () => {
    const s = await shop();
    const payer = await user(10_00n);
    const device = await provision(payer);
    nextStep();
    const code = await codeOf(device);
    const refused = await charge(s, code, '50.00');
    expect(refused.json()).toMatchObject({ status: 402, code: 'insufficient_funds' });
    expect(await balanceOf(payer.userId)).toBe(10_00n);
    expect(await balanceOf(s.id)).toBe(0n);
    expect((await charge(s, code, '5.00')).json().code).toBe('payment_code_used');

    const { rows } = await h.db.pool.query(
      `SELECT c.status, c.failure_code, p.status AS intent_status, p.limit_reserved_at
         FROM charges c JOIN payment_intents p ON p.id = c.payment_intent_id
        WHERE c.device_id = $1`,
      [device.id],
    );
    expect(rows).toEqual([
      {
        status: 'failed',
        failure_code: 'insufficient_funds',
        intent_status: 'canceled',
        limit_reserved_at: null,
      },
    ]);
    // The allowance and the tier limits it counted were given back.
    await expectNothingCounted(payer);

    nextStep();
    const fits = await charge(s, await codeOf(device), '10.00');
    expect(fits.json().status).toBe('succeeded');
    expect(await balanceOf(payer.userId)).toBe(0n);
    // The merchant's webhooks say so too: one failed charge, then one that succeeded.
    const { rows: events } = await h.db.pool.query<{ type: string; status: string }>(
      `SELECT type, data->'charge'->>'status' AS status FROM webhook_events
        WHERE owner = $1 AND type LIKE 'charge.%' ORDER BY id`,
      [s.id],
    );
    expect(events).toEqual([
      { type: 'charge.failed', status: 'failed' },
      { type: 'charge.succeeded', status: 'succeeded' },
    ]);
    // A charge is a paid intent like any other, so the merchant hears of the intent too.
    const { rows: intentEvents } = await h.db.pool.query<{ type: string; status: string }>(
      `SELECT type, data->'payment_intent'->>'status' AS status FROM webhook_events
        WHERE owner = $1 AND type LIKE 'payment_intent.%' ORDER BY id`,
      [s.id],
    );
    expect(intentEvents).toEqual([{ type: 'payment_intent.succeeded', status: 'succeeded' }]);
  });
});

describe('recovery', () => {
  /** The charges service of the test app, over another ledger when given. */
  function chargesOver(ledger = h.ledger): Charges {
    const config = loadConfig({});
    return createCharges({
      pool: h.db.pool,
      clock: h.clock,
      ledger,
      identity: h.services,
      risk: defaultRiskPolicy,
      payments: h.payments,
      dataKeys: parseKeyring(config.dataKeys),
      timeZone: config.timeZone,
    });
  }

  it('fails a charge a crash left processing, and gives back what it counted', async () => {
    const s = await shop();
    const payer = await user(100_00n);
    const device = await provision(payer);
    nextStep();
    // The process dies between committing the charge and handing its payment to the ledger.
    const crashing = chargesOver({
      ...h.ledger,
      transferChain: () => Promise.reject(new Error('process died')),
    });
    const merchant = (await h.merchants.get(s.id))!;
    await expect(
      crashing.charge(merchant, {
        paymentCode: await codeOf(device),
        amount: { amountMinor: 20_00n, currency: 'CNY' },
        description: undefined,
        metadata: {},
      }),
    ).rejects.toThrow('process died');
    const stuck = async () =>
      (
        await h.db.pool.query(
          `SELECT c.status, c.failure_code, p.status AS intent_status
             FROM charges c JOIN payment_intents p ON p.id = c.payment_intent_id
            WHERE c.device_id = $1`,
          [device.id],
        )
      ).rows;
    expect(await stuck()).toEqual([
      { status: 'processing', failure_code: null, intent_status: 'processing' },
    ]);
    const charges = chargesOver();
    expect(await charges.recoverUnsettled()).toBe(0);
    h.clock.advanceMs(limits.merchantUnsettledAfterMs + 1);
    // The payment intents' job gets there first and reopens the intent; the charge still fails.
    expect(await h.payments.recoverUnsettled()).toBeGreaterThanOrEqual(1);
    expect(await charges.recoverUnsettled()).toBe(1);
    expect(await stuck()).toEqual([
      { status: 'failed', failure_code: 'abandoned', intent_status: 'canceled' },
    ]);
    await expectNothingCounted(payer);
    expect(await balanceOf(payer.userId)).toBe(100_00n);
    expect(await charges.recoverUnsettled()).toBe(0);
  });
});

describe('the allowance for code payments', () => {
  it('pays up to 1,000 CNY a day at once, then waits for the payer to confirm', async () => {
    const s = await shop();
    const payer = await user(2_000_00n);
    const device = await provision(payer);
    for (let i = 0; i < 5; i++) {
      nextStep();
      const paid = await charge(s, await codeOf(device), '200.00');
      expect(paid.json().status, paid.body).toBe('succeeded');
    }
    nextStep();
    const waiting = await charge(s, await codeOf(device), '0.01');
    expect(waiting.statusCode, waiting.body).toBe(201);
    const pending = waiting.json();
    expect(pending).toMatchObject({ status: 'requires_confirmation', paid_at: null });
    expect(await balanceOf(payer.userId)).toBe(1_000_00n);
    const { rows: events } = await h.db.pool.query(
      `SELECT data FROM user_events WHERE user_id = $1 AND type = 'payment.requires_confirmation'`,
      [payer.userId],
    );
    expect(events).toEqual([
      {
        data: expect.objectContaining({
          charge_id: pending.id,
          payment_intent_id: pending.payment_intent,
          amount_minor: '1',
        }),
      },
    ]);

    const withoutToken = await fixtures.confirm(payer, pending.payment_intent, {
      confirmation: 'hbu_not-a-real-token',
    });
    expect(withoutToken.json().code).toBe('confirmation_invalid');
    const confirmed = await confirmInApp(payer, s.id, pending.payment_intent, '0.01');
    expect(confirmed.json()).toMatchObject({ status: 'succeeded', payer_id: payer.userId });
    const got = await h.inject({
      method: 'GET',
      url: `/v1/charges/${pending.id}`,
      headers: s.auth,
    });
    expect(got.json()).toMatchObject({ status: 'succeeded' });
    expect(got.json().paid_at).not.toBeNull();
    expect(await balanceOf(payer.userId)).toBe(1_000_00n - 1n);

    // The next calendar day has a fresh allowance.
    h.clock.advanceMs(24 * 3_600_000);
    nextStep();
    const tomorrow = await charge(s, await codeOf(device), '200.00');
    expect(tomorrow.json().status).toBe('succeeded');
  });

  it('asks for confirmation above the per-charge threshold, and lapses unconfirmed', async () => {
    const s = await shop();
    const payer = await user(1_000_00n);
    const device = await provision(payer);
    nextStep();
    const big = await charge(s, await codeOf(device), '200.01');
    expect(big.json()).toMatchObject({ status: 'requires_confirmation' });
    expect(await balanceOf(payer.userId)).toBe(1_000_00n);
    h.clock.advanceMs(limits.paymentCodeConfirmTtlSeconds * 1000);
    const lapsed = await h.inject({
      method: 'GET',
      url: `/v1/charges/${big.json().id}`,
      headers: s.auth,
    });
    expect(lapsed.json()).toMatchObject({ status: 'canceled' });
    const late = await confirmInApp(payer, s.id, big.json().payment_intent, '200.01');
    expect(late.json()).toMatchObject({ status: 409, code: 'payment_intent_expired' });
    // A waiting charge used none of the allowance.
    nextStep();
    const small = await charge(s, await codeOf(device), '200.00');
    expect(small.json().status).toBe('succeeded');
    expect(await balanceOf(payer.userId)).toBe(800_00n);
  });
});

describe('declining a charge', () => {
  function decline(who: SignedInUser | Shop | undefined, chargeId: string) {
    const headers = who === undefined ? {} : 'auth' in who ? who.auth : who.bearer;
    return h.inject({ method: 'POST', url: `/v1/charges/${chargeId}/decline`, headers });
  }

  function chargeOf(s: Shop, chargeId: string) {
    return h.inject({ method: 'GET', url: `/v1/charges/${chargeId}`, headers: s.auth });
  }

  /** A charge above the per-charge threshold, waiting for the payer to confirm it. */
  async function waitingCharge(s: Shop, device: Device) {
    nextStep();
    const waiting = await charge(s, await codeOf(device), '200.01');
    expect(waiting.json().status, waiting.body).toBe('requires_confirmation');
    return waiting.json() as { id: string; payment_intent: string };
  }

  it('fails the charge, cancels its intent and tells the merchant; nothing moves', async () => {
    const s = await shop();
    const payer = await user(1_000_00n);
    const device = await provision(payer);
    const waiting = await waitingCharge(s, device);

    const declined = await decline(payer, waiting.id);
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json()).toMatchObject({
      id: waiting.id,
      status: 'failed',
      failure_code: 'declined_by_payer',
      payer_id: payer.userId,
      amount: { amount: '200.01', currency: 'CNY' },
    });
    expect(declined.json()).not.toHaveProperty('metadata');
    expect(declined.json()).not.toHaveProperty('fee');
    expect((await chargeOf(s, waiting.id)).json()).toMatchObject({
      status: 'failed',
      failure_code: 'declined_by_payer',
    });
    const intent = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents/${waiting.payment_intent}`,
      headers: s.auth,
    });
    expect(intent.json()).toMatchObject({ status: 'canceled', payer_id: null });
    const { rows: events } = await h.db.pool.query(
      `SELECT type, data->'charge'->>'status' AS status,
              data->'charge'->>'failure_code' AS failure_code
         FROM webhook_events WHERE owner = $1 AND type LIKE 'charge.%' ORDER BY type`,
      [s.id],
    );
    expect(events).toEqual([
      { type: 'charge.failed', status: 'failed', failure_code: 'declined_by_payer' },
      { type: 'charge.requires_confirmation', status: 'requires_confirmation', failure_code: null },
    ]);
    // The payer's other devices are told: the charge no longer waits.
    const { rows: told } = await h.db.pool.query(
      `SELECT data FROM user_events WHERE user_id = $1 AND type = 'payment.declined'`,
      [payer.userId],
    );
    expect(told).toEqual([
      {
        data: {
          charge_id: waiting.id,
          payment_intent_id: waiting.payment_intent,
          merchant_id: s.id,
          amount_minor: expect.stringMatching(/^[0-9]+$/),
          currency: 'CNY',
        },
      },
    ]);

    // Too late to pay it, or to decline it again.
    const late = await confirmInApp(payer, s.id, waiting.payment_intent, '200.01');
    expect(late.json()).toMatchObject({ status: 409, code: 'payment_intent_not_payable' });
    expect((await decline(payer, waiting.id)).json()).toMatchObject({
      status: 409,
      code: 'charge_not_pending',
    });
    expect(await balanceOf(payer.userId)).toBe(1_000_00n);
    expect(await balanceOf(s.id)).toBe(0n);
    // A waiting charge counted nothing, so the whole day's allowance is still there.
    for (let i = 0; i < 5; i++) {
      nextStep();
      expect((await charge(s, await codeOf(device), '200.00')).json().status).toBe('succeeded');
    }
    const { rows: allowance } = await h.db.pool.query(
      'SELECT used_minor FROM payment_code_allowances WHERE user_id = $1',
      [payer.userId],
    );
    expect(allowance).toEqual([{ used_minor: 1_000_00n }]);
  });

  it('is the payer’s alone: other users, merchants and strangers get nothing', async () => {
    const s = await shop();
    const payer = await user(1_000_00n);
    const other = await user(1_000_00n);
    const waiting = await waitingCharge(s, await provision(payer));
    const foreign = await decline(other, waiting.id);
    expect(foreign.json()).toMatchObject({ status: 404, code: 'charge_not_found', param: 'id' });
    const unknown = await decline(payer, newId('chg', h.clock.nowMs()));
    expect(unknown.json()).toMatchObject({ status: 404, code: 'charge_not_found' });
    expect((await decline(undefined, waiting.id)).json()).toMatchObject({
      status: 401,
      code: 'unauthenticated',
    });
    expect((await decline(s, waiting.id)).json()).toMatchObject({
      status: 401,
      code: 'unauthenticated',
    });
    const malformed = await decline(payer, 'chg_nope');
    expect(malformed.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((await chargeOf(s, waiting.id)).json().status).toBe('requires_confirmation');
  });

  it('refuses charges no longer waiting: paid, confirmed or lapsed', async () => {
    const s = await shop();
    const payer = await user(1_000_00n);
    const device = await provision(payer);
    nextStep();
    const paid = await charge(s, await codeOf(device), '10.00');
    expect(paid.json().status).toBe('succeeded');
    expect((await decline(payer, paid.json().id)).json()).toMatchObject({
      status: 409,
      code: 'charge_not_pending',
    });
    const confirmed = await waitingCharge(s, device);
    const ok = await confirmInApp(payer, s.id, confirmed.payment_intent, '200.01');
    expect(ok.json().status).toBe('succeeded');
    expect((await decline(payer, confirmed.id)).json().code).toBe('charge_not_pending');
    expect((await chargeOf(s, confirmed.id)).json().status).toBe('succeeded');
    const lapsed = await waitingCharge(s, device);
    h.clock.advanceMs(limits.paymentCodeConfirmTtlSeconds * 1000);
    expect((await decline(payer, lapsed.id)).json().code).toBe('charge_not_pending');
    expect((await chargeOf(s, lapsed.id)).json()).toMatchObject({
      status: 'canceled',
      failure_code: null,
    });
    expect(await balanceOf(payer.userId)).toBe(1_000_00n - 10_00n - 200_01n);
  });

  it('lets exactly one of a confirmation and a decline sent at once win', async () => {
    const s = await shop();
    const payer = await user(10_000_00n);
    const device = await provision(payer);
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round++) {
      const waiting = await waitingCharge(s, device);
      const confirmation = await confirmationFor(payer, s.id, '200.01');
      const [confirmed, declined] = await Promise.all([
        fixtures.confirm(payer, waiting.payment_intent, { confirmation }),
        decline(payer, waiting.id),
      ]);
      const final = (await chargeOf(s, waiting.id)).json();
      if (confirmed.statusCode === 200) {
        expect(declined.json()).toMatchObject({ status: 409, code: 'charge_not_pending' });
        expect(final).toMatchObject({ status: 'succeeded', failure_code: null });
        outcomes.push('confirmed');
      } else {
        expect(confirmed.json(), confirmed.body).toMatchObject({
          status: 409,
          code: 'payment_intent_not_payable',
        });
        expect(declined.statusCode, declined.body).toBe(200);
        expect(final).toMatchObject({ status: 'failed', failure_code: 'declined_by_payer' });
        outcomes.push('declined');
      }
    }
    const confirmedCount = outcomes.filter((o) => o === 'confirmed').length;
    expect(await balanceOf(payer.userId)).toBe(10_000_00n - BigInt(confirmedCount) * 200_01n);
  });
});
