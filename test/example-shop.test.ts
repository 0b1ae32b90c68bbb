/**
 * Goal: the example shop (examples/shop/) works against a real Hebao over HTTP — it creates a
 * payment intent for an order, a user scans and pays its QR code, and the shop learns of the
 * payment from a webhook whose signature it verifies itself; forged or replayed webhooks change
 * nothing.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startShop, verifySignature } from '../examples/shop/shop.js';
import { createIdentityHarness, type IdentityHarness } from './identity-app.js';
import { merchantFixtures } from './merchant-fixtures.js';

let h: IdentityHarness;
let hebaoUrl: string;

beforeAll(async () => {
  h = await createIdentityHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  hebaoUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await h.app.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const fixtures = merchantFixtures(() => h);

async function merchantKey(): Promise<string> {
  const { key } = await fixtures.shop({
    card: { token: 'tok', brand: 'visa', last4: '4242' },
    merchant: {
      name_zh: '小店',
      name_en: 'Example Shop',
      mcc: '5999',
      city: 'Shenzhen',
      country: 'CN',
    },
    keyName: 'shop',
  });
  return key;
}

it('sells an order paid by QR code and learns of the payment by a verified webhook', async () => {
  const apiKey = await merchantKey();
  const port = await freePort();
  const endpoint = await h.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers: { authorization: `Bearer ${apiKey}` },
    payload: {
      url: `http://127.0.0.1:${port}/webhooks/hebao`,
      event_types: ['payment_intent.succeeded'],
    },
  });
  expect(endpoint.statusCode, endpoint.body).toBe(201);
  const webhookSecret = endpoint.json().secret as string;
  const shop = await startShop({
    hebaoUrl,
    apiKey,
    webhookSecret,
    port,
    now: () => h.clock.nowMs() / 1000,
  });
  try {
    const placed = await fetch(`${shop.url}/orders`, {
      method: 'POST',
      body: JSON.stringify({ item: 'Tea', amount: '18.00' }),
    });
    expect(placed.status).toBe(201);
    const order = (await placed.json()) as { id: string; qr_payload: string; qr_svg: string };
    expect(order.qr_svg).toContain('<svg');

    const buyer = await fixtures.user(5_000n);
    const scanned = await h.inject({
      method: 'POST',
      url: '/v1/scans',
      headers: buyer.bearer,
      payload: { payload: order.qr_payload },
    });
    expect(scanned.json()).toMatchObject({ kind: 'payment_intent', amount: { amount: '18.00' } });
    const paid = await fixtures.confirm(buyer, scanned.json().payment_intent);
    expect(paid.json().status).toBe('succeeded');

    const before = (await (await fetch(`${shop.url}/orders/${order.id}`)).json()) as {
      status: string;
    };
    expect(before.status).toBe('awaiting_payment');
    expect(await h.webhooks.deliverDue()).toBe(1);
    const after = (await (await fetch(`${shop.url}/orders/${order.id}`)).json()) as {
      status: string;
    };
    expect(after.status).toBe('paid');

    // A forged event is refused by the shop's own check.
    const forged = JSON.stringify({
      id: 'evt_forged',
      type: 'payment_intent.succeeded',
      data: { payment_intent: { metadata: { order_id: order.id } } },
    });
    const t = Math.floor(h.clock.nowMs() / 1000);
    const refused = await fetch(`${shop.url}/webhooks/hebao`, {
      method: 'POST',
      headers: { 'hebao-signature': `t=${t},v1=${'0'.repeat(64)}` },
      body: forged,
    });
    expect(refused.status).toBe(400);
    expect(verifySignature(`t=${t},v1=${'0'.repeat(64)}`, forged, webhookSecret, t)).toBe(false);
  } finally {
    await shop.close();
  }
});
