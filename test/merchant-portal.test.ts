/**
 * Goal: the merchant portal reaches the merchant API under /v1/portal/merchants/{id} with the
 * owner's session only: cookie writes need the CSRF token, API keys are refused, another user's
 * merchant looks like an unknown one, and the public merchant API still takes only API keys. The
 * portal's sales summary and filtered payment list agree with what was paid and refunded through
 * the API.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityHarness } from './identity-app.js';
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

const { user, shop, createIntent, confirm, refund } = merchantFixtures(() => h);

const portal = (s: Shop, path: string) => `/v1/portal/merchants/${s.id}${path}`;

/** Creates an intent through the portal with the owner's cookie and CSRF token. */
function portalIntent(s: Shop, amount: string) {
  return h.inject({
    method: 'POST',
    url: portal(s, '/payment-intents'),
    headers: { cookie: s.owner.cookies, 'x-csrf-token': s.owner.csrf },
    payload: { amount: { amount, currency: 'CNY' }, description: 'Flat white' },
  });
}

describe('portal access', () => {
  it('lets the owner use the merchant API with a cookie session', async () => {
    const s = await shop();
    const created = await portalIntent(s, '18.00');
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ merchant_id: s.id, status: 'requires_payment' });
    const byKey = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents/${created.json().id}`,
      headers: s.auth,
    });
    expect(byKey.json().id).toBe(created.json().id);
    const list = await h.inject({
      method: 'GET',
      url: portal(s, '/payment-intents'),
      headers: { cookie: s.owner.cookies },
    });
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((i: { id: string }) => i.id)).toContain(created.json().id);
  });

  it('takes a bearer session token too, with no CSRF token', async () => {
    const s = await shop();
    const settlements = await h.inject({
      method: 'GET',
      url: portal(s, '/settlements'),
      headers: s.owner.bearer,
    });
    expect(settlements.statusCode, settlements.body).toBe(200);
    const endpoints = await h.inject({
      method: 'POST',
      url: portal(s, '/webhook-endpoints'),
      headers: s.owner.bearer,
      payload: { url: 'http://127.0.0.1:9/hooks', event_types: ['payment_intent.succeeded'] },
    });
    expect(endpoints.statusCode, endpoints.body).toBe(201);
    expect(endpoints.json().secret).toMatch(/^whsec_/);
  });

  it('answers another user’s merchant like an unknown one', async () => {
    const s = await shop();
    const other = await user();
    const theirs = await h.inject({
      method: 'GET',
      url: portal(s, '/payment-intents'),
      headers: other.bearer,
    });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().code).toBe('merchant_not_found');
    const unknown = await h.inject({
      method: 'GET',
      url: '/v1/portal/merchants/mch_00000000000000000000000000/payment-intents',
      headers: other.bearer,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('merchant_not_found');
  });

  it('answers 401 without a session', async () => {
    const s = await shop();
    const response = await h.inject({ method: 'GET', url: portal(s, '/sales-summary') });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('unauthenticated');
  });

  it('refuses the merchant’s API key', async () => {
    const s = await shop();
    const response = await h.inject({
      method: 'GET',
      url: portal(s, '/payment-intents'),
      headers: s.auth,
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'unauthenticated' });
    expect(response.json().detail).toContain('not an API key');
  });

  it('refuses a cookie write without the CSRF token, before doing anything', async () => {
    const s = await shop();
    const response = await h.inject({
      method: 'POST',
      url: portal(s, '/payment-intents'),
      headers: { cookie: s.owner.cookies },
      payload: { amount: { amount: '1.00', currency: 'CNY' } },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('csrf_token_invalid');
    const list = await h.inject({
      method: 'GET',
      url: `/v1/payment-intents`,
      headers: s.auth,
    });
    expect(list.json().data).toHaveLength(0);
  });

  it('keeps the public merchant API for API keys only', async () => {
    const s = await shop();
    const response = await h.inject({
      method: 'GET',
      url: '/v1/payment-intents',
      headers: s.owner.bearer,
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('api_key_required');
  });

  it('keeps user routes out of the portal', async () => {
    const s = await shop();
    const response = await h.inject({
      method: 'GET',
      url: portal(s, '/me/collection-code'),
      headers: s.owner.bearer,
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('route_not_found');
  });

  it('leaves the copies out of the OpenAPI document and documents the portal routes', async () => {
    const document = (await h.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    const portalPaths = Object.keys(document.paths).filter((p) => p.startsWith('/v1/portal/'));
    expect(portalPaths.sort()).toEqual([
      '/v1/portal/merchants/{merchant_id}/payments',
      '/v1/portal/merchants/{merchant_id}/sales-summary',
      '/v1/portal/merchants/{merchant_id}/webhook-event-types',
    ]);
  });
});

describe('portal sales', () => {
  it('sums today’s and this month’s payments and refunds like settlements', async () => {
    const s = await shop();
    const payer = await user(100_000n);
    const paidIds: string[] = [];
    for (const amount of ['100.00', '50.00']) {
      const intent = await createIntent(s, amount);
      const paid = await confirm(payer, intent.json().id as string);
      expect(paid.statusCode, paid.body).toBe(200);
      paidIds.push(intent.json().id as string);
    }
    const open = await portalIntent(s, '9.99');
    expect(open.statusCode).toBe(201);
    const refunded = await refund(s, paidIds[0]!, '30.00');
    expect(refunded.statusCode, refunded.body).toBe(201);
    const fromPortal = await h.inject({
      method: 'POST',
      url: portal(s, '/refunds'),
      headers: {
        cookie: s.owner.cookies,
        'x-csrf-token': s.owner.csrf,
        'idempotency-key': randomUUID(),
      },
      payload: { payment_intent: paidIds[1] },
    });
    expect(fromPortal.statusCode, fromPortal.body).toBe(201);
    expect(fromPortal.json().amount).toEqual({ amount: '50.00', currency: 'CNY' });

    const summary = await h.inject({
      method: 'GET',
      url: portal(s, '/sales-summary'),
      headers: s.owner.bearer,
    });
    expect(summary.statusCode, summary.body).toBe(200);
    // Fees at 0.60 %: 0.60 + 0.30.
    const totals = {
      gross: { amount: '150.00', currency: 'CNY' },
      fees: { amount: '0.90', currency: 'CNY' },
      refunds: { amount: '80.00', currency: 'CNY' },
      net: { amount: '69.10', currency: 'CNY' },
      payment_count: 2,
      refund_count: 2,
    };
    const body = summary.json();
    expect(body.currency).toBe('CNY');
    expect(body.today).toMatchObject(totals);
    expect(body.month).toMatchObject(totals);
    expect(body.month.month).toBe(body.today.day.slice(0, 7));
    expect(body.days.at(-1)).toEqual(body.today);
    expect(body.days[0].day).toBe(`${body.month.month}-01`);
    for (const day of body.days.slice(0, -1)) expect(day.payment_count).toBe(0);
  });

  it('answers zeros for a merchant without sales', async () => {
    const s = await shop();
    const summary = await h.inject({
      method: 'GET',
      url: portal(s, '/sales-summary'),
      headers: s.owner.bearer,
    });
    expect(summary.json().today.net).toEqual({ amount: '0.00', currency: 'CNY' });
  });

  it('filters payments by status and day, with paging', async () => {
    const s = await shop();
    const payer = await user(100_000n);
    const paid = await createIntent(s, '12.00');
    await confirm(payer, paid.json().id as string);
    await portalIntent(s, '1.00');
    await portalIntent(s, '2.00');
    const get = (query: string) =>
      h.inject({ method: 'GET', url: portal(s, `/payments?${query}`), headers: s.owner.bearer });

    const succeeded = await get('status=succeeded');
    expect(succeeded.json().data.map((i: { id: string }) => i.id)).toEqual([paid.json().id]);
    const firstPage = await get('status=requires_payment&limit=1');
    expect(firstPage.json()).toMatchObject({ has_more: true });
    const after = firstPage.json().data[0].id as string;
    const secondPage = await get(`status=requires_payment&limit=1&starting_after=${after}`);
    expect(secondPage.json()).toMatchObject({ has_more: false });
    const amounts = [firstPage, secondPage].map((p) => p.json().data[0].amount.amount as string);
    expect(amounts.sort()).toEqual(['1.00', '2.00']);

    const summary = await h.inject({
      method: 'GET',
      url: portal(s, '/sales-summary'),
      headers: s.owner.bearer,
    });
    const today = summary.json().today.day as string;
    expect((await get(`from=${today}&to=${today}`)).json().data).toHaveLength(3);
    expect((await get('from=2000-01-01&to=2000-01-31')).json().data).toHaveLength(0);
    const invalid = await get('from=2024-02-30');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: 'validation_failed', param: 'from' });
  });

  it('lists the webhook event types', async () => {
    const s = await shop();
    const response = await h.inject({
      method: 'GET',
      url: portal(s, '/webhook-event-types'),
      headers: s.owner.bearer,
    });
    expect(response.json().data).toContain('payment_intent.succeeded');
  });
});
