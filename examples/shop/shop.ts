/**
 * A tiny web shop paid through Hebao — what a merchant's developer writes. It uses only Node.js
 * and the `qrcode` package, and talks to Hebao over its public HTTP API:
 *
 * - `POST /orders` `{ item, amount }` creates a payment intent (with the order id in its
 *   metadata) and answers the order with the intent's payment link and QR code (SVG);
 * - `GET /orders/:id` shows whether the order is paid;
 * - `POST /webhooks/hebao` receives Hebao's signed events: it checks the `Hebao-Signature`
 *   header (HMAC-SHA256 of "<timestamp>.<raw body>" with the endpoint's secret, at most 5
 *   minutes old), drops events it has seen (by event id), and marks the order paid on
 *   `payment_intent.succeeded`.
 *
 * Run it next to `npm start`:
 *   HEBAO_API_KEY=sk_test_… HEBAO_WEBHOOK_SECRET=whsec_… npx tsx examples/shop/shop.ts
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import QRCode from 'qrcode';

const TOLERANCE_SECONDS = 300;

/** Whether a Hebao-Signature header signs this raw body with the secret, recently. */
export function verifySignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  nowSeconds: number = Date.now() / 1000,
): boolean {
  const parts = (header ?? '').split(',');
  const t = Number(parts.find((p) => p.startsWith('t='))?.slice(2));
  const signatures = parts.filter((p) => p.startsWith('v1=')).map((p) => p.slice(3));
  if (!Number.isInteger(t) || signatures.length === 0) return false;
  if (Math.abs(nowSeconds - t) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return signatures.some((hex) => {
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export interface Order {
  readonly id: string;
  readonly item: string;
  readonly amount: string;
  status: 'awaiting_payment' | 'paid';
  readonly payment_intent: string;
  readonly payment_link: string;
  readonly qr_payload: string;
  readonly qr_svg: string;
}

export interface ShopOptions {
  readonly hebaoUrl: string;
  readonly apiKey: string;
  readonly webhookSecret: string;
  readonly port?: number;
  /** Unix seconds; the shop's clock for signature freshness. */
  readonly now?: () => number;
}

export async function startShop(options: ShopOptions) {
  const orders = new Map<string, Order>();
  const seenEvents = new Set<string>();
  const now = options.now ?? (() => Date.now() / 1000);

  async function createIntent(item: string, amount: string, orderId: string) {
    const response = await fetch(`${options.hebaoUrl}/v1/payment-intents`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': orderId,
      },
      body: JSON.stringify({
        amount: { amount, currency: 'CNY' },
        description: item,
        metadata: { order_id: orderId },
      }),
    });
    const json = (await response.json()) as Record<string, string>;
    if (!response.ok) throw new Error(`Hebao answered ${response.status} ${json['code']}`);
    return json as { id: string; payment_link: string; qr_payload: string };
  }

  const read = (request: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      request.on('error', reject);
    });

  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://shop').pathname;
    if (request.method === 'POST' && path === '/orders') {
      const { item, amount } = JSON.parse(await read(request)) as { item: string; amount: string };
      const id = `order_${randomUUID()}`;
      const intent = await createIntent(item, amount, id);
      const order: Order = {
        id,
        item,
        amount,
        status: 'awaiting_payment',
        payment_intent: intent.id,
        payment_link: intent.payment_link,
        qr_payload: intent.qr_payload,
        qr_svg: await QRCode.toString(intent.qr_payload, { type: 'svg' }),
      };
      orders.set(id, order);
      return send(response, 201, order);
    }
    if (request.method === 'GET' && path.startsWith('/orders/')) {
      const order = orders.get(path.slice('/orders/'.length));
      return order ? send(response, 200, order) : send(response, 404, { error: 'not found' });
    }
    if (request.method === 'POST' && path === '/webhooks/hebao') {
      const raw = await read(request);
      const header = request.headers['hebao-signature'];
      if (
        !verifySignature(
          typeof header === 'string' ? header : undefined,
          raw,
          options.webhookSecret,
          now(),
        )
      ) {
        return send(response, 400, { error: 'bad signature' });
      }
      const event = JSON.parse(raw) as {
        id: string;
        type: string;
        data: { payment_intent?: { metadata: Record<string, string> } };
      };
      if (seenEvents.has(event.id)) return send(response, 200, { duplicate: true });
      seenEvents.add(event.id);
      const orderId = event.data.payment_intent?.metadata['order_id'];
      const order = orderId === undefined ? undefined : orders.get(orderId);
      if (event.type === 'payment_intent.succeeded' && order !== undefined) order.status = 'paid';
      return send(response, 200, { received: true });
    }
    send(response, 404, { error: 'not found' });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) =>
      send(response, 500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const shop = await startShop({
    hebaoUrl: process.env['HEBAO_URL'] ?? 'http://localhost:3000',
    apiKey: process.env['HEBAO_API_KEY'] ?? '',
    webhookSecret: process.env['HEBAO_WEBHOOK_SECRET'] ?? '',
    port: Number(process.env['PORT'] ?? 4000),
  });
  console.log(`shop at ${shop.url}`);
}
