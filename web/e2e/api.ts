/**
 * What the tests do outside the browser, through the same HTTP API: a merchant's server (payment
 * intents, charges with its API key), the development inbox (verification codes), and reads as
 * a signed-in user with the browser's own session.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import QRCode from 'qrcode';
import { inject } from 'vitest';

export interface MoneyWire {
  readonly amount: string;
  readonly currency: string;
}

export interface PaymentIntent {
  readonly id: string;
  readonly status: string;
  readonly amount: MoneyWire;
  readonly amount_refunded: MoneyWire;
  readonly description: string | null;
  readonly qr_payload: string;
  readonly payment_link: string;
}

export interface Charge {
  readonly id: string;
  readonly status: string;
  readonly amount: MoneyWire;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body}`);
  }
}

async function answer<T>(response: Response): Promise<T> {
  const body = await response.text();
  if (!response.ok) throw new HttpError(response.status, body);
  return JSON.parse(body) as T;
}

/** A request from the demo merchant's server, with its secret API key. */
export async function asMerchant<T>(
  path: string,
  body?: unknown,
  options: { readonly idempotent?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${inject('demoMerchant').apiKey}`,
    accept: 'application/json',
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotent === true) headers['idempotency-key'] = randomUUID();
  const response = await fetch(`${inject('baseUrl')}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return answer<T>(response);
}

/** A payment the demo merchant asks for: a payment link and a dynamic QR code. */
export function createIntent(amount: string, description: string): Promise<PaymentIntent> {
  return asMerchant<PaymentIntent>('/v1/payment-intents', {
    amount: { amount, currency: 'CNY' },
    description,
  });
}

export function getIntent(id: string): Promise<PaymentIntent> {
  return asMerchant<PaymentIntent>(`/v1/payment-intents/${id}`);
}

/** Charges the payer whose payment code the till scanned. */
export function charge(paymentCode: string, amount: string): Promise<Charge> {
  return asMerchant<Charge>(
    '/v1/charges',
    { payment_code: paymentCode, amount: { amount, currency: 'CNY' }, description: 'Till 1' },
    { idempotent: true },
  );
}

/**
 * Writes a QR code of `payload` as a PNG file, as a phone's camera would see it printed, to
 * `test-results/qr/<name>.png`; returns the path.
 */
export async function qrPng(payload: string, name: string): Promise<string> {
  mkdirSync('test-results/qr', { recursive: true });
  const file = `test-results/qr/${name}.png`;
  await QRCode.toFile(file, payload, { type: 'png', width: 400, margin: 4 });
  return file;
}

interface InboxMessage {
  readonly body: string;
  readonly delivered_at: string;
}

/** The newest six-digit code the development sender delivered to `to` after `since`. */
export async function latestCode(to: string, since: Date): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const inbox = await answer<{ data: InboxMessage[] }>(
      await fetch(`${inject('baseUrl')}/v1/dev/inbox?to=${encodeURIComponent(to)}`),
    );
    const fresh = inbox.data.find((m) => new Date(m.delivered_at) >= since);
    const code = /\b(\d{6})\b/.exec(fresh?.body ?? '')?.[1];
    if (code !== undefined) return code;
    if (Date.now() > deadline) throw new Error(`no code was sent to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Reads `path` as the user signed in on `page` (with that browser context's cookies). */
export async function asUser<T>(page: Page, path: string): Promise<T> {
  const response = await page.request.get(path, { headers: { accept: 'application/json' } });
  const body = await response.text();
  if (!response.ok()) throw new HttpError(response.status(), body);
  return JSON.parse(body) as T;
}

/** A phone number no one has used: +86 139 then eight random digits. */
export function newPhone(): string {
  const digits = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  return `+86139${digits}`;
}
