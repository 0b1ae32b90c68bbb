/**
 * Goal: merchants are opened by users and reviewed by operators; their servers call the merchant
 * API with scoped API keys only (and users the user routes with sessions only); users scan and
 * pay payment intents exactly once, the fee going to fee revenue in the same chain; refunds never
 * add up to more than was paid, also under concurrency, and fail cleanly when the merchant's
 * balance is short. Every refusal changes nothing, and the ledger verifies afterwards.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/audit/index.js';
import { verifyWebhookSignature } from '../src/events/index.js';
import { newId } from '../src/lib/ids.js';
import { crc16CcittFalse } from '../src/merchants/index.js';
import { createIdentityHarness, type IdentityHarness, type SignedInUser } from './identity-app.js';
import { signInOperator } from './operator-fixture.js';
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
const { user, card, shop, confirm, refund, balanceOf, available } = fixtures;

function createIntent(s: Shop, amount: string, extra: Record<string, unknown> = {}) {
  return fixtures.createIntent(s, amount, { description: 'Latte', ...extra });
}

describe('merchants and API keys', () => {
  it('opens a merchant with the user’s card and shows the secret once', async () => {
    const s = await shop();
    const got = await h.inject({
      method: 'GET',
      url: `/v1/merchants/${s.id}`,
      headers: s.owner.bearer,
    });
    expect(got.json()).toMatchObject({ status: 'active', fee_rate: '0.60', mcc: '5814' });
    const keys = await h.inject({
      method: 'GET',
      url: `/v1/merchants/${s.id}/api-keys`,
      headers: s.owner.bearer,
    });
    expect(keys.json().data).toHaveLength(1);
    expect(JSON.stringify(keys.json())).not.toContain(s.key);
    expect(keys.json().data[0].last4).toBe(s.key.slice(-4));
    const { rows } = await h.db.pool.query('SELECT * FROM merchant_api_keys');
    expect(JSON.stringify(rows)).not.toContain(s.key);
  });

  it('refuses a card that is not the user’s, and hides other users’ merchants', async () => {
    const owner = await user();
    const other = await user();
    const response = await h.inject({
      method: 'POST',
      url: '/v1/merchants',
      headers: owner.bearer,
      payload: {
        name_zh: '店',
        name_en: 'Shop',
        mcc: '5411',
        city: 'Beijing',
        country: 'CN',
        settlement_card_id: await card(other),
      },
    });
    expect(response.json()).toMatchObject({ status: 404, code: 'settlement_card_not_found' });
    const s = await shop();
    for (const url of [`/v1/merchants/${s.id}`, `/v1/merchants/${s.id}/api-keys`]) {
      const seen = await h.inject({ method: 'GET', url, headers: other.bearer });
      expect(seen.json().code).toBe('merchant_not_found');
    }
  });

  it('keeps API keys and sessions apart, checks scopes, and refuses revoked keys', async () => {
    const s = await shop();
    const bySession = await h.inject({
      method: 'GET',
      url: '/v1/payment-intents',
      headers: s.owner.bearer,
    });
    expect(bySession.json()).toMatchObject({ status: 401, code: 'api_key_required' });
    const byKey = await h.inject({ method: 'GET', url: '/v1/wallets', headers: s.auth });
    expect(byKey.json()).toMatchObject({ status: 401, code: 'unauthenticated' });
    const none = await h.inject({ method: 'GET', url: '/v1/payment-intents' });
    expect(none.json().code).toBe('api_key_required');
    const forged = await h.inject({
      method: 'GET',
      url: '/v1/payment-intents',
      headers: { authorization: `Bearer sk_test_${'A'.repeat(43)}` },
    });
    expect(forged.json()).toMatchObject({ status: 401, code: 'api_key_invalid' });
    const readOnly = await h.inject({
      method: 'POST',
      url: `/v1/merchants/${s.id}/api-keys`,
      headers: s.owner.bearer,
      payload: { name: 'reporting', scopes: ['payment_intents:read'] },
    });
    const reader = { authorization: `Bearer ${readOnly.json().secret}` };
    expect(
      (await h.inject({ method: 'GET', url: '/v1/payment-intents', headers: reader })).statusCode,
    ).toBe(200);
    const write = await h.inject({
      method: 'POST',
      url: '/v1/payment-intents',
      headers: reader,
      payload: { amount: { amount: '1.00', currency: 'CNY' } },
    });
    expect(write.json()).toMatchObject({ status: 403, code: 'api_key_scope_missing' });
    const revoked = await h.inject({
      method: 'DELETE',
      url: `/v1/merchants/${s.id}/api-keys/${readOnly.json().id}`,
      headers: s.owner.bearer,
    });
    expect(revoked.json().revoked_at).not.toBeNull();
    const after = await h.inject({ method: 'GET', url: '/v1/payment-intents', headers: reader });
    expect(after.json().code).toBe('api_key_invalid');
  });

  it('waits for an operator when merchants are reviewed', async () => {
    const reviewed = await createIdentityHarness({ autoApproveMerchants: false });
    try {
      const on = merchantFixtures(reviewed);
      const owner = await on.user();
      const cardId = await on.card(owner, { token: 'tok', brand: 'visa', last4: '4242' });
      const created = await reviewed.inject({
        method: 'POST',
        url: '/v1/merchants',
        headers: owner.bearer,
        payload: {
          name_zh: '书店',
          name_en: 'Books',
          mcc: '5942',
          city: 'Hangzhou',
          country: 'CN',
          settlement_card_id: cardId,
        },
      });
      expect(created.json().status).toBe('pending_review');
      const key = await reviewed.inject({
        method: 'POST',
        url: `/v1/merchants/${created.json().id}/api-keys`,
        headers: owner.bearer,
        payload: { name: 'server' },
      });
      const intent = await reviewed.inject({
        method: 'POST',
        url: '/v1/payment-intents',
        headers: { authorization: `Bearer ${key.json().secret}` },
        payload: { amount: { amount: '1.00', currency: 'CNY' } },
      });
      expect(intent.json()).toMatchObject({ status: 403, code: 'merchant_not_active' });
      const approve = await reviewed.inject({
        method: 'POST',
        url: `/v1/admin/merchants/${created.json().id}/approve`,
        headers: owner.bearer,
      });
      expect(approve.json().code).toBe('operator_required');
      const { passwordOnly, withMfa } = await signInOperator(reviewed);
      const withoutMfa = await reviewed.inject({
        method: 'POST',
        url: `/v1/admin/merchants/${created.json().id}/approve`,
        headers: passwordOnly.bearer,
      });
      expect(withoutMfa.json().code).toBe('operator_mfa_required');
      const approved = await reviewed.inject({
        method: 'POST',
        url: `/v1/admin/merchants/${created.json().id}/approve`,
        headers: withMfa.bearer,
      });
      expect(approved.json()).toMatchObject({ status: 'active', id: created.json().id });
      const again = await reviewed.inject({
        method: 'POST',
        url: `/v1/admin/merchants/${created.json().id}/approve`,
        headers: withMfa.bearer,
      });
      expect(again.json()).toMatchObject({ status: 409, code: 'merchant_status_unchanged' });
      const paid = await reviewed.inject({
        method: 'POST',
        url: '/v1/payment-intents',
        headers: { authorization: `Bearer ${key.json().secret}` },
        payload: { amount: { amount: '1.00', currency: 'CNY' } },
      });
      expect(paid.statusCode, paid.body).toBe(201);
      const suspended = await reviewed.inject({
        method: 'POST',
        url: `/v1/admin/merchants/${created.json().id}/suspend`,
        headers: withMfa.bearer,
      });
      expect(suspended.json().status).toBe('suspended');
      // Both decisions are in the audit log, by the operator, about the merchant's owner.
      const { rows } = await reviewed.db.pool.query(
        `SELECT action, actor_type, actor_id, subject_user_id, detail FROM audit_log
          WHERE action LIKE 'merchant.%' ORDER BY seq`,
      );
      expect(rows).toEqual([
        {
          action: 'merchant.approved',
          actor_type: 'operator',
          actor_id: withMfa.userId,
          subject_user_id: owner.userId,
          detail: { merchant_id: created.json().id },
        },
        {
          action: 'merchant.suspended',
          actor_type: 'operator',
          actor_id: withMfa.userId,
          subject_user_id: owner.userId,
          detail: { merchant_id: created.json().id },
        },
      ]);
      expect((await verifyAuditChain(reviewed.db.pool)).ok).toBe(true);
    } finally {
      await reviewed.app.close();
    }
  });
});

describe('payment intents and scans', () => {
  it('is scanned from its dynamic QR, paid once with the fee in the same chain, and seen by both', async () => {
    const s = await shop();
    const payer = await user(50_000n);
    const created = await createIntent(s, '100.00', { metadata: { order: 'A-1' } });
    expect(created.statusCode, created.body).toBe(201);
    const intent = created.json();
    expect(intent).toMatchObject({ status: 'requires_payment', metadata: { order: 'A-1' } });
    const scanned = await h.inject({
      method: 'POST',
      url: '/v1/scans',
      headers: payer.bearer,
      payload: { payload: intent.qr_payload },
    });
    expect(scanned.json()).toMatchObject({
      kind: 'payment_intent',
      payment_intent: intent.id,
      amount: { amount: '100.00', currency: 'CNY' },
      merchant: { id: s.id, name_zh: '荷包咖啡', name_en: 'Hebao Coffee' },
    });
    const paid = await confirm(payer, intent.id);
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({
      status: 'succeeded',
      payer_id: payer.userId,
      fee: { amount: '0.60' },
      amount_received: { amount: '100.00' },
    });
    expect(await available(payer)).toBe('400.00');
    expect(await balanceOf(s.id)).toBe(9_940n);
    const again = await confirm(payer, intent.id);
    expect(again.json()).toMatchObject({ status: 409, code: 'payment_intent_not_payable' });
    const used = await h.inject({
      method: 'POST',
      url: '/v1/scans',
      headers: payer.bearer,
      payload: { payload: intent.qr_payload },
    });
    expect(used.json().code).toBe('qr_used');
    const seen = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents/${intent.id}`,
      headers: s.auth,
    });
    expect(seen.json().status).toBe('succeeded');
    const events = await h.inject({ method: 'GET', url: '/v1/events', headers: payer.bearer });
    expect((events.json().data as Array<{ type: string }>).map((e) => e.type)).toContain(
      'payment.succeeded',
    );
  });

  it('is paid exactly once when 20 users confirm it at the same moment', async () => {
    const s = await shop();
    const payers = await Promise.all(Array.from({ length: 20 }, () => user(10_000n)));
    const intent = (await createIntent(s, '10.00')).json();
    const results = await Promise.all(payers.map((p) => confirm(p, intent.id)));
    const codes = results.map((r) => (r.statusCode === 200 ? 'ok' : r.json().code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
    expect(codes.filter((c) => c !== 'ok').every((c) => c === 'payment_intent_not_payable')).toBe(
      true,
    );
    expect(await balanceOf(s.id)).toBe(994n);
    const left = await Promise.all(payers.map(available));
    expect(left.filter((a) => a === '90.00')).toHaveLength(1);
    expect(left.filter((a) => a === '100.00')).toHaveLength(19);
  });

  it('marks every intent of a shared ledger batch paid, with each payer’s and merchant’s events', async () => {
    const s = await shop();
    const payers = await Promise.all(Array.from({ length: 30 }, () => user(10_000n)));
    const intents = await Promise.all(payers.map(() => createIntent(s, '3.00')));
    const results = await Promise.all(payers.map((p, i) => confirm(p, intents[i]!.json().id)));
    expect(results.map((r) => r.json().status)).toEqual(payers.map(() => 'succeeded'));
    expect(await balanceOf(s.id)).toBe(30n * 298n);
    const { rows } = await h.db.pool.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM webhook_events WHERE owner = $1 GROUP BY type`,
      [s.id],
    );
    expect(rows).toEqual([{ type: 'payment_intent.succeeded', n: 30 }]);
    const { rows: told } = await h.db.pool.query<{ n: number }>(
      `SELECT count(DISTINCT user_id)::int AS n FROM user_events
        WHERE type = 'payment.succeeded' AND user_id = ANY($1)`,
      [payers.map((p) => p.userId)],
    );
    expect(told[0]!.n).toBe(30);
  });

  it('gives the intent back when the wallet is short, and nothing moves', async () => {
    const s = await shop();
    const payer = await user(500n);
    const intent = (await createIntent(s, '10.00')).json();
    const short = await confirm(payer, intent.id);
    expect(short.json()).toMatchObject({ status: 402, code: 'insufficient_funds' });
    const after = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents/${intent.id}`,
      headers: s.auth,
    });
    expect(after.json()).toMatchObject({ status: 'requires_payment', payer_id: null });
    const limits = await h.inject({ method: 'GET', url: '/v1/me/limits', headers: payer.bearer });
    expect(limits.json().daily.used).toBe('0.00');
    await h.fund(payer.userId, 1_000n);
    expect((await confirm(payer, intent.id)).json().status).toBe('succeeded');
  });

  it('needs step-up above the exemption', async () => {
    const s = await shop();
    const payer = await user(100_000n);
    const intent = (await createIntent(s, '500.00')).json();
    const refused = await confirm(payer, intent.id);
    expect(refused.json()).toMatchObject({ code: 'step_up_required' });
    const after = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents/${intent.id}`,
      headers: s.auth,
    });
    expect(after.json().status).toBe('requires_payment');
  });

  it('expires, cancels, and hides another merchant’s intents', async () => {
    const s = await shop();
    const other = await shop();
    const payer = await user(10_000n);
    const intent = (await createIntent(s, '1.00', { expires_in: 60 })).json();
    for (const [method, url] of [
      ['GET', `/v1/payment-intents/${intent.id}`],
      ['POST', `/v1/payment-intents/${intent.id}/cancel`],
    ] as const) {
      const response = await h.inject({ method, url, headers: other.auth });
      expect(response.json()).toMatchObject({ status: 404, code: 'payment_intent_not_found' });
    }
    h.clock.advanceMs(61_000);
    const late = await confirm(payer, intent.id);
    expect(late.json().code).toBe('payment_intent_expired');
    const scanned = await h.inject({
      method: 'POST',
      url: '/v1/scans',
      headers: payer.bearer,
      payload: { payload: intent.qr_payload },
    });
    expect(scanned.json().code).toBe('qr_expired');
    const open = (await createIntent(s, '1.00')).json();
    const cancelled = await h.inject({
      method: 'POST',
      url: `/v1/payment-intents/${open.id}/cancel`,
      headers: s.auth,
    });
    expect(cancelled.json().status).toBe('canceled');
    expect((await confirm(payer, open.id)).json().code).toBe('payment_intent_not_payable');
    const again = await h.inject({
      method: 'POST',
      url: `/v1/payment-intents/${open.id}/cancel`,
      headers: s.auth,
    });
    expect(again.json().code).toBe('payment_intent_not_cancelable');
  });

  it('reads a static code, and refuses damaged, foreign and unknown codes', async () => {
    const s = await shop();
    const payer = await user();
    const qr = await h.inject({
      method: 'GET',
      url: `/v1/merchants/${s.id}/qr`,
      headers: s.owner.bearer,
    });
    const payload = qr.json().payload as string;
    const scan = (text: string) =>
      h.inject({
        method: 'POST',
        url: '/v1/scans',
        headers: payer.bearer,
        payload: { payload: text },
      });
    expect((await scan(payload)).json()).toMatchObject({
      kind: 'merchant',
      amount: null,
      currency: 'CNY',
    });
    const svg = await h.inject({
      method: 'GET',
      url: `/v1/merchants/${s.id}/qr?format=svg`,
      headers: s.owner.bearer,
    });
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    const png = await h.inject({
      method: 'GET',
      url: `/v1/merchants/${s.id}/qr?format=png`,
      headers: s.owner.bearer,
    });
    expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    const flipped = payload.slice(0, 20) + (payload[20] === 'A' ? 'B' : 'A') + payload.slice(21);
    expect((await scan(flipped)).json().code).toBe('qr_crc_mismatch');
    const promptPay =
      '00020101021129370016A000000677010111011300669245317755802TH54076000.0053037646304';
    expect((await scan(`${promptPay}9B3B`)).json().code).toBe('qr_unknown');
    expect((await scan('hello')).json().code).toBe('qr_malformed');
    const unknown = payload.replace(s.id, newId('mch', h.clock.nowMs())).slice(0, -4);
    expect((await scan(unknown + crc16CcittFalse(unknown))).json()).toMatchObject({
      status: 404,
      code: 'qr_unknown',
    });
  });
});

describe('payment links', () => {
  function lookUp(who: SignedInUser | undefined, body: Record<string, unknown>) {
    return h.inject({
      method: 'POST',
      url: '/v1/scans',
      ...(who === undefined ? {} : { headers: who.bearer }),
      payload: body,
    });
  }

  it('opens a payment link by its intent id, answered as the scan of its code', async () => {
    const s = await shop();
    const payer = await user(10_000n);
    const intent = (await createIntent(s, '12.50')).json();
    expect(new URL(intent.payment_link).pathname).toBe(`/pay/${intent.id}`);
    const byId = await lookUp(payer, { payment_intent: intent.id });
    expect(byId.statusCode, byId.body).toBe(200);
    expect(byId.json()).toEqual((await lookUp(payer, { payload: intent.qr_payload })).json());
    expect(byId.json()).toMatchObject({
      kind: 'payment_intent',
      payment_intent: intent.id,
      amount: { amount: '12.50', currency: 'CNY' },
      description: 'Latte',
      merchant: { id: s.id, name_en: 'Hebao Coffee' },
      person: null,
    });
    // Links are shared: anyone signed in may look one up, the merchant's owner too.
    expect((await lookUp(s.owner, { payment_intent: intent.id })).statusCode).toBe(200);

    expect((await confirm(payer, intent.id)).json().status).toBe('succeeded');
    const used = await lookUp(payer, { payment_intent: intent.id });
    expect(used.json()).toMatchObject({ status: 409, code: 'qr_used' });

    const lapsing = (await createIntent(s, '1.00', { expires_in: 60 })).json();
    const cancelled = (await createIntent(s, '1.00')).json();
    const cancel = await h.inject({
      method: 'POST',
      url: `/v1/payment-intents/${cancelled.id}/cancel`,
      headers: s.auth,
    });
    expect(cancel.json().status).toBe('canceled');
    expect((await lookUp(payer, { payment_intent: cancelled.id })).json().code).toBe('qr_expired');
    h.clock.advanceMs(61_000);
    expect((await lookUp(payer, { payment_intent: lapsing.id })).json()).toMatchObject({
      status: 410,
      code: 'qr_expired',
    });
  });

  it('treats an intent reserved for another payer, and an unknown one, as unknown', async () => {
    const s = await shop();
    const payer = await user(10_000n);
    const stranger = await user(10_000n);
    const intent = (await createIntent(s, '3.00')).json();
    await h.db.pool.query('UPDATE payment_intents SET reserved_for = $2 WHERE id = $1', [
      intent.id,
      payer.userId,
    ]);
    expect((await lookUp(payer, { payment_intent: intent.id })).statusCode).toBe(200);
    for (const body of [{ payment_intent: intent.id }, { payload: intent.qr_payload }]) {
      const hidden = await lookUp(stranger, body);
      expect(hidden.json()).toMatchObject({ status: 404, code: 'qr_unknown' });
    }
    const unknown = await lookUp(payer, { payment_intent: newId('pi', h.clock.nowMs()) });
    expect(unknown.json()).toMatchObject({
      status: 404,
      code: 'qr_unknown',
      param: 'payment_intent',
    });
    // Reserved or not, it is no less unknown once it is over.
    await h.db.pool.query(`UPDATE payment_intents SET status = 'canceled' WHERE id = $1`, [
      intent.id,
    ]);
    expect((await lookUp(stranger, { payment_intent: intent.id })).json().code).toBe('qr_unknown');
    expect((await lookUp(payer, { payment_intent: intent.id })).json().code).toBe('qr_expired');
  });

  it('takes exactly one of payload and payment_intent, from signed-in users only', async () => {
    const s = await shop();
    const payer = await user();
    const intent = (await createIntent(s, '1.00')).json();
    const both = await lookUp(payer, { payload: intent.qr_payload, payment_intent: intent.id });
    expect(both.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(both.json().detail).toContain('more than 1');
    const neither = await lookUp(payer, {});
    expect(neither.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(neither.json().detail).toContain('fewer than 1');
    const malformed = await lookUp(payer, { payment_intent: 'pi_nope' });
    expect(malformed.json()).toMatchObject({
      status: 400,
      code: 'validation_failed',
      param: 'payment_intent',
    });
    const anonymous = await lookUp(undefined, { payment_intent: intent.id });
    expect(anonymous.json()).toMatchObject({ status: 401, code: 'unauthenticated' });
    const byKey = await h.inject({
      method: 'POST',
      url: '/v1/scans',
      headers: s.auth,
      payload: { payment_intent: intent.id },
    });
    expect(byKey.json()).toMatchObject({ status: 401, code: 'unauthenticated' });
  });
});

describe('paying a static code', () => {
  function payMerchant(payer: SignedInUser, body: Record<string, unknown>) {
    return h.inject({
      method: 'POST',
      url: '/v1/merchant-payments',
      headers: { ...payer.bearer, 'idempotency-key': randomUUID() },
      payload: body,
    });
  }

  it('pays the amount the payer typed, with a receipt the merchant can refund', async () => {
    const s = await shop();
    const payer = await user(10_000n);
    const paid = await payMerchant(payer, {
      merchant: s.id,
      amount: { amount: '12.34', currency: 'CNY' },
      note: 'Two buns',
    });
    expect(paid.statusCode, paid.body).toBe(201);
    expect(paid.json()).toMatchObject({
      status: 'succeeded',
      description: 'Two buns',
      amount: { amount: '12.34' },
      fee: { amount: '0.07' },
      metadata: { source: 'static_code' },
    });
    expect(await available(payer)).toBe('87.66');
    expect(await balanceOf(s.id)).toBe(1_227n);
    expect((await refund(s, paid.json().id, '1.00')).json().status).toBe('succeeded');
  });

  it('refuses a short wallet, another currency and unknown merchants, moving nothing', async () => {
    const s = await shop();
    const payer = await user(500n);
    const short = await payMerchant(payer, {
      merchant: s.id,
      amount: { amount: '10.00', currency: 'CNY' },
    });
    expect(short.json()).toMatchObject({ status: 402, code: 'insufficient_funds' });
    const listed = await h.inject({ method: 'GET', url: '/v1/payment-intents', headers: s.auth });
    expect(listed.json().data[0]).toMatchObject({ status: 'canceled', payer_id: null });
    const usd = await payMerchant(payer, {
      merchant: s.id,
      amount: { amount: '1.00', currency: 'USD' },
    });
    expect(usd.json().code).toBe('payment_intent_currency_invalid');
    const nobody = await payMerchant(payer, {
      merchant: newId('mch', h.clock.nowMs()),
      amount: { amount: '1.00', currency: 'CNY' },
    });
    expect(nobody.json()).toMatchObject({ status: 404, code: 'merchant_not_found' });
    expect(await available(payer)).toBe('5.00');
    expect(await balanceOf(s.id)).toBe(0n);
  });
});

describe('personal collection codes', () => {
  it('names the user to pay; the payer then sends a P2P transfer', async () => {
    const payee = await user();
    const payer = await user(10_000n);
    const code = await h.inject({
      method: 'GET',
      url: '/v1/me/collection-code',
      headers: payee.bearer,
    });
    expect(code.statusCode, code.body).toBe(200);
    const image = await h.inject({
      method: 'GET',
      url: '/v1/me/collection-code?format=svg',
      headers: payee.bearer,
    });
    expect(image.body).toContain('<svg');
    const scanned = await h.inject({
      method: 'POST',
      url: '/v1/scans',
      headers: payer.bearer,
      payload: { payload: code.json().payload },
    });
    expect(scanned.json()).toMatchObject({
      kind: 'person',
      person: { id: payee.userId },
      merchant: null,
      amount: null,
    });
    const paid = await h.inject({
      method: 'POST',
      url: '/v1/transfers',
      headers: { ...payer.bearer, 'idempotency-key': randomUUID() },
      payload: {
        recipient: scanned.json().person.id,
        amount: { amount: '8.00', currency: 'CNY' },
        confirm_new_payee: true,
      },
    });
    expect(paid.json().status).toBe('completed');
    // A code naming a user who does not exist is unknown.
    const forged = (code.json().payload as string)
      .replace(payee.userId, newId('usr', h.clock.nowMs()))
      .slice(0, -4);
    const unknown = await h.inject({
      method: 'POST',
      url: '/v1/scans',
      headers: payer.bearer,
      payload: { payload: forged + crc16CcittFalse(forged) },
    });
    expect(unknown.json().code).toBe('qr_unknown');
  });
});

describe('refunds', () => {
  async function paidIntent(s: Shop, amount: string) {
    const payer = await user(1_000_000n);
    const intent = (await createIntent(s, amount)).json();
    expect((await confirm(payer, intent.id)).json().status).toBe('succeeded');
    return { payer, intent };
  }

  it('refunds in parts up to what was paid, from the merchant’s balance', async () => {
    const s = await shop();
    await paidIntent(s, '50.00');
    const { payer, intent } = await paidIntent(s, '100.00');
    expect((await refund(s, intent.id, '30.00')).json()).toMatchObject({
      status: 'succeeded',
      amount: { amount: '30.00' },
    });
    expect((await refund(s, intent.id, '70.01')).json()).toMatchObject({
      status: 409,
      code: 'refund_exceeds_payment',
    });
    expect((await refund(s, intent.id)).json().amount.amount).toBe('70.00');
    expect((await refund(s, intent.id, '0.01')).json().code).toBe('refund_exceeds_payment');
    expect(await available(payer)).toBe('10000.00');
    const listed = await h.inject({
      method: 'GET',
      url: `/v1/refunds?payment_intent=${intent.id}`,
      headers: s.auth,
    });
    expect(listed.json().data).toHaveLength(2);
    const events = await h.inject({ method: 'GET', url: '/v1/events', headers: payer.bearer });
    expect(
      (events.json().data as Array<{ type: string }>).filter((e) => e.type === 'refund.received'),
    ).toHaveLength(2);
  });

  it('never refunds more than was paid under 10 concurrent refunds', async () => {
    const s = await shop();
    await paidIntent(s, '100.00');
    const { intent } = await paidIntent(s, '100.00');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => refund(s, intent.id, '30.00')),
    );
    const ok = results.filter((r) => r.statusCode === 201);
    expect(ok).toHaveLength(3);
    expect(
      results
        .filter((r) => r.statusCode !== 201)
        .every((r) => r.json().code === 'refund_exceeds_payment'),
    ).toBe(true);
    const seen = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents/${intent.id}`,
      headers: s.auth,
    });
    expect(seen.json().amount_refunded.amount).toBe('90.00');
  });

  it('fails cleanly when the merchant’s balance cannot cover it', async () => {
    const s = await shop();
    const { intent } = await paidIntent(s, '100.00');
    // The fee stays with Hebao, so the balance is 99.40: a full refund is 0.60 short.
    const short = await refund(s, intent.id);
    expect(short.json()).toMatchObject({ status: 402, code: 'merchant_insufficient_funds' });
    const seen = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents/${intent.id}`,
      headers: s.auth,
    });
    expect(seen.json().amount_refunded.amount).toBe('0.00');
    const failed = await h.inject({ method: 'GET', url: '/v1/refunds', headers: s.auth });
    expect(failed.json().data[0]).toMatchObject({
      status: 'failed',
      failure_code: 'merchant_insufficient_funds',
    });
    expect((await refund(s, intent.id, '99.40')).json().status).toBe('succeeded');
  });

  it('refuses unpaid, foreign and year-old payments', async () => {
    const s = await shop();
    const other = await shop();
    const unpaid = (await createIntent(s, '5.00')).json();
    expect((await refund(s, unpaid.id)).json().code).toBe('payment_intent_not_refundable');
    const { intent } = await paidIntent(s, '5.00');
    expect((await refund(other, intent.id)).json()).toMatchObject({
      status: 404,
      code: 'payment_intent_not_found',
    });
    const mine = await refund(s, intent.id, '1.00');
    const theirs = await h.inject({
      method: 'GET',
      url: `/v1/refunds/${mine.json().id}`,
      headers: other.auth,
    });
    expect(theirs.json().code).toBe('refund_not_found');
    h.clock.advanceMs(366 * 24 * 3_600_000);
    expect((await refund(s, intent.id, '1.00')).json().code).toBe('refund_window_closed');
  });
});

describe('webhooks', () => {
  it('signs payment and refund events to the merchant’s endpoint, with a delivery log', async () => {
    const s = await shop();
    const other = await shop();
    const received: Array<{ body: string; signature: string }> = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ body, signature: String(request.headers['hebao-signature']) });
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      const created = await h.inject({
        method: 'POST',
        url: '/v1/webhook-endpoints',
        headers: s.auth,
        payload: { url, event_types: ['payment_intent.succeeded', 'refund.succeeded'] },
      });
      expect(created.statusCode, created.body).toBe(201);
      const secret = created.json().secret as string;
      const listed = await h.inject({
        method: 'GET',
        url: '/v1/webhook-endpoints',
        headers: s.auth,
      });
      expect(JSON.stringify(listed.json())).not.toContain(secret);
      const foreign = await h.inject({
        method: 'GET',
        url: `/v1/webhook-endpoints/${created.json().id}`,
        headers: other.auth,
      });
      expect(foreign.json()).toMatchObject({ status: 404, code: 'webhook_endpoint_not_found' });
      const bySession = await h.inject({
        method: 'GET',
        url: '/v1/webhook-endpoints',
        headers: s.owner.bearer,
      });
      expect(bySession.json().code).toBe('api_key_required');
      const privateUrl = await h.inject({
        method: 'POST',
        url: '/v1/webhook-endpoints',
        headers: s.auth,
        payload: { url: 'http://10.1.2.3/hooks', event_types: ['refund.succeeded'] },
      });
      expect(privateUrl.json()).toMatchObject({
        status: 400,
        code: 'webhook_url_forbidden_address',
      });

      const payer = await user(10_000n);
      const intent = (await createIntent(s, '20.00', { metadata: { order: 'W-1' } })).json();
      expect((await confirm(payer, intent.id)).json().status).toBe('succeeded');
      expect((await refund(s, intent.id, '5.00')).json().status).toBe('succeeded');
      expect(await h.webhooks.deliverDue()).toBe(2);
      const events = received.map((r) => {
        const check = verifyWebhookSignature(r.signature, r.body, secret, h.clock.nowMs() / 1000);
        expect(check.ok).toBe(true);
        return JSON.parse(r.body) as { type: string; data: Record<string, { id: string }> };
      });
      expect(events.map((e) => e.type).sort()).toEqual([
        'payment_intent.succeeded',
        'refund.succeeded',
      ]);
      const paid = events.find((e) => e.type === 'payment_intent.succeeded')!;
      expect(paid.data['payment_intent']).toMatchObject({
        id: intent.id,
        status: 'succeeded',
        amount: { amount: '20.00', currency: 'CNY' },
        metadata: { order: 'W-1' },
      });
      const log = await h.inject({ method: 'GET', url: '/v1/webhook-deliveries', headers: s.auth });
      expect(log.json().data).toHaveLength(2);
      expect(log.json().data.every((d: { state: string }) => d.state === 'succeeded')).toBe(true);
      const resent = await h.inject({
        method: 'POST',
        url: `/v1/webhook-deliveries/${log.json().data[0].id}/resend`,
        headers: s.auth,
      });
      expect(resent.json().attempt_count).toBe(2);
      expect(received).toHaveLength(3);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
