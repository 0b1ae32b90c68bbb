/**
 * Goal: a payment intent with manual capture holds its amount on the payer's wallet when it is
 * confirmed, and then resolves exactly once: captured in full or in part (the rest and its limit
 * usage going back to the payer, the fee taken on what was captured), cancelled by the merchant,
 * or cancelled by the recovery job after the ledger expired the hold. Concurrent captures, and a
 * capture racing a cancellation, resolve it once; refunds never exceed what was captured; every
 * refusal moves nothing; and the ledger verifies afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/lib/ids.js';
import { limits } from '../src/limits.js';
import { ensureWalletAccount } from '../src/wallet/index.js';
import type { IdentityHarness, SignedInUser } from './identity-app.js';
import {
  closeMerchantHarness,
  createMerchantHarness,
  merchantFixtures,
  type Shop,
} from './merchant-fixtures.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await createMerchantHarness();
});
afterAll(() => closeMerchantHarness(h));

const fixtures = merchantFixtures(() => h);
const { user, confirm, refund, available } = fixtures;

function shop(): Promise<Shop> {
  return fixtures.shop({
    merchant: {
      name_zh: '荷包酒店',
      name_en: 'Hebao Hotel',
      mcc: '7011',
      city: 'Shanghai',
      country: 'CN',
    },
  });
}

async function manualIntent(s: Shop, amount: string): Promise<{ id: string }> {
  const created = await fixtures.createIntent(s, amount, { capture_method: 'manual' });
  expect(created.statusCode, created.body).toBe(201);
  expect(created.json()).toMatchObject({ capture_method: 'manual', status: 'requires_payment' });
  return created.json();
}

/** A manual intent of `amount` confirmed by a new payer holding `balanceMinor`. */
async function held(s: Shop, amount: string, balanceMinor = 50_000n) {
  const payer = await user(balanceMinor);
  const intent = await manualIntent(s, amount);
  const confirmed = await confirm(payer, intent.id);
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  return { payer, intent: confirmed.json() };
}

function capture(s: Shop, intentId: string, amount?: string) {
  return h.inject({
    method: 'POST',
    url: `/v1/payment-intents/${intentId}/capture`,
    headers: { ...s.auth, 'idempotency-key': randomUUID() },
    payload: amount === undefined ? {} : { amount },
  });
}

function cancel(s: Shop, intentId: string) {
  return h.inject({
    method: 'POST',
    url: `/v1/payment-intents/${intentId}/cancel`,
    headers: s.auth,
  });
}

async function intentOf(s: Shop, intentId: string) {
  const response = await h.inject({
    method: 'GET',
    url: `/v1/payment-intents/${intentId}`,
    headers: s.auth,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

/** Posted and pending balances of the merchant's account (pending: what holds promise it). */
async function merchantBalance(s: Shop): Promise<{ posted: bigint; pending: bigint }> {
  const { rows } = await h.db.pool.query<{ posted: bigint; pending: bigint }>(
    `SELECT credits_posted - debits_posted AS posted, credits_pending AS pending
       FROM ledger_accounts WHERE owner = $1`,
    [s.id],
  );
  return rows[0] ?? { posted: 0n, pending: 0n };
}

/** What the payer's limits count today and over the period. */
async function limitsUsed(who: SignedInUser): Promise<{ daily: string; period: string }> {
  const response = await h.inject({ method: 'GET', url: '/v1/me/limits', headers: who.bearer });
  expect(response.statusCode, response.body).toBe(200);
  return { daily: response.json().daily.used, period: response.json().period.used };
}

async function webhookTypes(s: Shop): Promise<string[]> {
  const { rows } = await h.db.pool.query<{ type: string }>(
    'SELECT type FROM webhook_events WHERE owner = $1',
    [s.id],
  );
  // Events of one instant have ids in no particular order.
  return rows.map((r) => r.type).sort();
}

describe('manual capture', () => {
  it('holds the amount at confirmation and captures it in full, with the fee', async () => {
    const s = await shop();
    const { payer, intent } = await held(s, '100.00');
    expect(intent).toMatchObject({
      status: 'requires_capture',
      capture_method: 'manual',
      amount_capturable: { amount: '100.00', currency: 'CNY' },
      amount_received: { amount: '0.00' },
      capture_before: new Date(
        h.clock.nowMs() + limits.paymentAuthorizationTtlSeconds * 1000,
      ).toISOString(),
      payer_id: payer.userId,
      conversion: null,
    });
    expect(await available(payer)).toBe('400.00');
    expect(await merchantBalance(s)).toEqual({ posted: 0n, pending: 10_000n });
    expect(await limitsUsed(payer)).toEqual({ daily: '100.00', period: '100.00' });
    expect(await webhookTypes(s)).toEqual(['payment_intent.requires_capture']);

    const captured = await capture(s, intent.id);
    expect(captured.statusCode, captured.body).toBe(200);
    expect(captured.json()).toMatchObject({
      status: 'succeeded',
      amount_received: { amount: '100.00' },
      amount_capturable: { amount: '0.00' },
      fee: { amount: '0.60' },
    });
    expect(captured.json().paid_at).not.toBeNull();
    expect(await available(payer)).toBe('400.00');
    expect(await merchantBalance(s)).toEqual({ posted: 9_940n, pending: 0n });
    expect(await limitsUsed(payer)).toEqual({ daily: '100.00', period: '100.00' });
    expect(await webhookTypes(s)).toEqual([
      'payment_intent.requires_capture',
      'payment_intent.succeeded',
    ]);
    const events = await h.inject({ method: 'GET', url: '/v1/events', headers: payer.bearer });
    expect((events.json().data as Array<{ type: string }>).map((e) => e.type)).toContain(
      'payment.succeeded',
    );

    const again = await capture(s, intent.id);
    expect(again.json()).toMatchObject({ status: 409, code: 'payment_intent_not_capturable' });
    expect((await cancel(s, intent.id)).json().code).toBe('payment_intent_not_cancelable');
    expect((await refund(s, intent.id, '30.00')).json().status).toBe('succeeded');
    expect(await available(payer)).toBe('430.00');
  });

  it('captures part of the hold, gives the rest back, and refunds no more than it captured', async () => {
    const s = await shop();
    const { payer, intent } = await held(s, '100.00');
    const tooMuch = await capture(s, intent.id, '100.01');
    expect(tooMuch.json()).toMatchObject({
      status: 409,
      code: 'capture_exceeds_authorization',
      param: 'amount',
    });
    const zero = await capture(s, intent.id, '0.00');
    expect(zero.json()).toMatchObject({ status: 400, code: 'validation_failed', param: 'amount' });
    expect((await intentOf(s, intent.id)).status).toBe('requires_capture');

    const captured = await capture(s, intent.id, '60.00');
    expect(captured.statusCode, captured.body).toBe(200);
    expect(captured.json()).toMatchObject({
      status: 'succeeded',
      amount: { amount: '100.00' },
      amount_received: { amount: '60.00' },
      fee: { amount: '0.36' },
    });
    expect(await available(payer)).toBe('440.00');
    expect(await merchantBalance(s)).toEqual({ posted: 5_964n, pending: 0n });
    expect(await limitsUsed(payer)).toEqual({ daily: '60.00', period: '60.00' });

    expect((await refund(s, intent.id, '60.01')).json().code).toBe('refund_exceeds_payment');
    expect((await refund(s, intent.id, '59.00')).json().status).toBe('succeeded');
    expect((await refund(s, intent.id, '1.01')).json().code).toBe('refund_exceeds_payment');
    expect((await intentOf(s, intent.id)).amount_refunded.amount).toBe('59.00');
    expect(await available(payer)).toBe('499.00');
  });

  it('cancels a hold: the money and the limits go back to the payer', async () => {
    const s = await shop();
    const { payer, intent } = await held(s, '80.00');
    const canceled = await cancel(s, intent.id);
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(canceled.json()).toMatchObject({
      status: 'canceled',
      amount_capturable: { amount: '0.00' },
      amount_received: { amount: '0.00' },
    });
    expect(await available(payer)).toBe('500.00');
    expect(await merchantBalance(s)).toEqual({ posted: 0n, pending: 0n });
    expect(await limitsUsed(payer)).toEqual({ daily: '0.00', period: '0.00' });
    expect(await webhookTypes(s)).toEqual([
      'payment_intent.canceled',
      'payment_intent.requires_capture',
    ]);
    expect((await capture(s, intent.id)).json().code).toBe('payment_intent_not_capturable');
    expect((await cancel(s, intent.id)).json().code).toBe('payment_intent_not_cancelable');
    expect((await refund(s, intent.id)).json().code).toBe('payment_intent_not_refundable');
  });

  it('captures once when the merchant sends 10 captures at the same moment', async () => {
    const s = await shop();
    const { payer, intent } = await held(s, '100.00');
    const results = await Promise.all(Array.from({ length: 10 }, () => capture(s, intent.id)));
    const codes = results.map((r) => (r.statusCode === 200 ? 'ok' : r.json().code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
    expect(codes.filter((c) => c !== 'ok')).toEqual(
      Array.from({ length: 9 }, () => 'payment_intent_not_capturable'),
    );
    expect(await available(payer)).toBe('400.00');
    expect(await merchantBalance(s)).toEqual({ posted: 9_940n, pending: 0n });
  });

  it('lets exactly one of a capture and a cancellation win a race', async () => {
    const s = await shop();
    let captures = 0;
    for (let round = 0; round < 6; round++) {
      const { payer, intent } = await held(s, '10.00', 1_000n);
      const [captured, canceled] = await Promise.all([capture(s, intent.id), cancel(s, intent.id)]);
      if (captured.statusCode === 200) {
        captures += 1;
        expect(canceled.json().code).toBe('payment_intent_not_cancelable');
        expect(await available(payer)).toBe('0.00');
        expect((await intentOf(s, intent.id)).status).toBe('succeeded');
      } else {
        expect(captured.json().code).toBe('payment_intent_not_capturable');
        expect(canceled.statusCode, canceled.body).toBe(200);
        expect(await available(payer)).toBe('10.00');
        expect((await intentOf(s, intent.id)).status).toBe('canceled');
      }
    }
    expect(await merchantBalance(s)).toEqual({ posted: 994n * BigInt(captures), pending: 0n });
  });

  it('refuses foreign, unheld and automatic intents, and keys without the write scope', async () => {
    const s = await shop();
    const other = await shop();
    const { intent } = await held(s, '5.00');
    expect((await capture(other, intent.id)).json()).toMatchObject({
      status: 404,
      code: 'payment_intent_not_found',
    });
    const open = await manualIntent(s, '5.00');
    expect((await capture(s, open.id)).json().code).toBe('payment_intent_not_capturable');
    const automatic = await h.inject({
      method: 'POST',
      url: '/v1/payment-intents',
      headers: s.auth,
      payload: { amount: { amount: '5.00', currency: 'CNY' } },
    });
    expect(automatic.json().capture_method).toBe('automatic');
    const payer = await user(1_000n);
    expect((await confirm(payer, automatic.json().id)).json().status).toBe('succeeded');
    expect((await capture(s, automatic.json().id)).json().code).toBe(
      'payment_intent_not_capturable',
    );
    const readOnly = await h.inject({
      method: 'POST',
      url: `/v1/merchants/${s.id}/api-keys`,
      headers: s.owner.bearer,
      payload: { name: 'reporting', scopes: ['payment_intents:read'] },
    });
    const reader = { ...s, auth: { authorization: `Bearer ${readOnly.json().secret}` } };
    expect((await capture(reader, intent.id)).json()).toMatchObject({
      status: 403,
      code: 'api_key_scope_missing',
    });
    const noKey = await h.inject({
      method: 'POST',
      url: `/v1/payment-intents/${intent.id}/capture`,
      headers: s.auth,
      payload: {},
    });
    expect(noKey.json().code).toBe('idempotency_key_required');
    const headers = { 'idempotency-key': randomUUID() };
    for (const [auth, code] of [
      [{}, 'api_key_required'],
      [s.owner.bearer, 'api_key_required'],
      [{ authorization: `Bearer sk_test_${'A'.repeat(43)}` }, 'api_key_invalid'],
    ] as const) {
      const refused = await h.inject({
        method: 'POST',
        url: `/v1/payment-intents/${intent.id}/capture`,
        headers: { ...headers, ...auth },
        payload: {},
      });
      expect(refused.json()).toMatchObject({ status: 401, code });
    }
    expect((await intentOf(s, intent.id)).status).toBe('requires_capture');
  });

  it('does not pay a held payment through a conversion', async () => {
    const s = await shop();
    const payer = await user(10_000n);
    const intent = await manualIntent(s, '10.00');
    const refused = await confirm(payer, intent.id, { pay_from_currency: 'USD' });
    expect(refused.json()).toMatchObject({
      status: 409,
      code: 'payment_intent_conversion_unsupported',
      param: 'pay_from_currency',
    });
    expect((await intentOf(s, intent.id)).status).toBe('requires_payment');
    expect((await confirm(payer, intent.id, { pay_from_currency: 'CNY' })).json().status).toBe(
      'requires_capture',
    );
  });

  it('keeps the hold when the payer’s wallet is frozen, and captures it once unfrozen', async () => {
    const s = await shop();
    const { payer, intent } = await held(s, '20.00');
    const found = await h.identity.getUser(payer.userId);
    const walletId = await ensureWalletAccount(
      h.db.pool,
      h.ledger,
      found!,
      'CNY',
      new Date(h.clock.nowMs()),
    );
    expect((await h.ledger.freezeAccount(walletId)).code).toBe('ok');
    const frozen = await capture(s, intent.id);
    expect(frozen.json()).toMatchObject({ status: 403, code: 'wallet_frozen' });
    expect((await intentOf(s, intent.id)).status).toBe('requires_capture');
    expect((await h.ledger.unfreezeAccount(walletId)).code).toBe('ok');
    expect((await capture(s, intent.id)).json().status).toBe('succeeded');
  });

  it('gives up a capture claim whose transfer never reached the ledger', async () => {
    const s = await shop();
    const { intent } = await held(s, '15.00');
    // As a crash between the claim and the ledger would leave it.
    await h.db.pool.query(
      `UPDATE payment_intents SET resolution = 'capture', resolution_transfer_id = $2,
              capture_amount_minor = 1500, updated_at = $3
        WHERE id = $1`,
      [intent.id, newId('trf', h.clock.nowMs()), new Date(h.clock.nowMs())],
    );
    expect((await capture(s, intent.id)).json().code).toBe('payment_intent_not_capturable');
    await h.payments.recoverUnsettled();
    expect((await capture(s, intent.id)).json().code).toBe('payment_intent_not_capturable');
    h.clock.advanceMs(limits.merchantUnsettledAfterMs + 1_000);
    await h.payments.recoverUnsettled();
    expect((await capture(s, intent.id)).json().status).toBe('succeeded');
  });
});

describe('holds that run out', () => {
  it('are cancelled by the job once the ledger expired them, giving everything back', async () => {
    const s = await shop();
    const { payer, intent } = await held(s, '90.00');
    const late = await held(s, '30.00');
    expect(await limitsUsed(payer)).toEqual({ daily: '90.00', period: '90.00' });
    h.clock.advanceMs(limits.paymentAuthorizationTtlSeconds * 1000 + 1_000);
    expect(await h.ledger.expireDueHolds()).toBeGreaterThanOrEqual(2);
    await h.payments.recoverUnsettled();
    // Sessions have run out in the meantime.
    const again = await h.signIn(payer.login);
    const seen = await intentOf(s, intent.id);
    expect(seen).toMatchObject({ status: 'canceled', amount_capturable: { amount: '0.00' } });
    expect(await available(again)).toBe('500.00');
    expect((await limitsUsed(again)).period).toBe('0.00');
    expect(await merchantBalance(s)).toEqual({ posted: 0n, pending: 0n });
    expect((await webhookTypes(s)).filter((t) => t === 'payment_intent.canceled')).toHaveLength(2);
    expect((await intentOf(s, late.intent.id)).status).toBe('canceled');
    expect((await capture(s, intent.id)).json()).toMatchObject({
      status: 409,
      code: 'payment_authorization_expired',
    });
  });

  it('refuse a capture that comes too late, cancelling the payment', async () => {
    const s = await shop();
    const { payer, intent } = await held(s, '40.00');
    h.clock.advanceMs(limits.paymentAuthorizationTtlSeconds * 1000 + 1_000);
    // The ledger's worker has not run yet: the hold is due but still on the books.
    const refused = await capture(s, intent.id);
    expect(refused.json()).toMatchObject({ status: 409, code: 'payment_authorization_expired' });
    expect((await intentOf(s, intent.id)).status).toBe('canceled');
    await h.ledger.expireDueHolds();
    const again = await h.signIn(payer.login);
    expect(await available(again)).toBe('500.00');
    expect((await limitsUsed(again)).period).toBe('0.00');
    expect(await merchantBalance(s)).toEqual({ posted: 0n, pending: 0n });
  });
});
