/**
 * Goal: the sandbox bank behaves like a real card gateway when reached over HTTP through the
 * payment-gateway port: cards tokenize or fail as documented, charges and payouts settle
 * asynchronously with signed callbacks that a receiver can verify, the injected callback faults
 * (duplicate, late, reordered, lost) happen as configured and repeatably for a seed, and the
 * daily statement lists exactly the settled movements. Needs no database.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandboxAdmin,
  createSandboxGateway,
  GatewayError,
  signatureHeader,
  startSandboxBank,
  testCards,
  type GatewayEvent,
  type MovementInput,
  type PaymentGateway,
  type RunningSandboxBank,
  type SandboxAdmin,
} from '../src/gateway/index.js';

const API_KEY = 'sk_test_sandbox_0123456789';
const SECRET = 'whsec_sandbox_0123456789';
/** Settlement is slow enough that a movement is reliably still pending right after creation. */
const SETTLE_MS = 150;
const IDLE_TIMEOUT_MS = 10_000;

/** The bank's clock: real time moved to a fixed day, so that statements have a known date. */
function shiftedClock(startMs: number) {
  const offsetMs = startMs - Date.now();
  let extraMs = 0;
  return {
    nowMs: () => Date.now() + offsetMs + extraMs,
    advanceMs: (ms: number) => {
      extraMs += ms;
    },
  };
}

interface Received {
  readonly rawBody: string;
  readonly signature: string | undefined;
  readonly atMs: number;
}

/** Hebao's side of the callbacks: records every POST and answers 204 (or what it is told to). */
interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Answers the next `count` callbacks with 500. */
  failNext(count: number): void;
  close(): Promise<void>;
}

async function startReceiver(clock: { nowMs(): number }): Promise<Receiver> {
  const received: Received[] = [];
  let failures = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const header = request.headers['hebao-bank-signature'];
      received.push({
        rawBody: Buffer.concat(chunks).toString('utf8'),
        signature: Array.isArray(header) ? header[0] : header,
        atMs: clock.nowMs(),
      });
      response.statusCode = failures > 0 ? 500 : 204;
      failures = Math.max(0, failures - 1);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/gateway/callbacks`,
    received,
    failNext: (count) => {
      failures = count;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const clock = shiftedClock(Date.UTC(2031, 2, 14, 10));
let receiver: Receiver;
let bank: RunningSandboxBank;
let gateway: PaymentGateway;
let admin: SandboxAdmin;
let serial = 0;

beforeAll(async () => {
  receiver = await startReceiver(clock);
  bank = await startSandboxBank({
    port: 0,
    callbackUrl: receiver.url,
    callbackSecret: SECRET,
    apiKey: API_KEY,
    clock,
    delays: { settleMs: SETTLE_MS, callbackDelayMs: 0, callbackRetryBaseMs: 20 },
    log: false,
  });
  gateway = createSandboxGateway({
    baseUrl: bank.url,
    apiKey: API_KEY,
    callbackSecret: SECRET,
    timeoutMs: 2000,
  });
  admin = createSandboxAdmin({ baseUrl: bank.url, apiKey: API_KEY });
});

afterAll(async () => {
  await bank.close();
  await receiver.close();
});

afterEach(async () => {
  await admin.waitIdle(IDLE_TIMEOUT_MS);
  await admin.setFaults({});
});

function reference(): string {
  serial += 1;
  return `top_${serial}_${Date.now()}`;
}

async function tokenize(number: string): Promise<string> {
  const card = await gateway.tokenizeCard({
    number,
    expMonth: 12,
    expYear: 2034,
    cvc: number.startsWith('3') && number.length === 15 ? '1234' : '123',
    holderName: 'Li Lei',
  });
  if (!card.ok) throw new Error(`could not tokenize ${number}: ${card.code}`);
  return card.token;
}

async function charge(number: string, change: Partial<MovementInput> = {}): Promise<string> {
  const created = await gateway.createCharge({
    reference: reference(),
    cardToken: await tokenize(number),
    amountMinor: 1250n,
    currency: 'CNY',
    ...change,
  });
  if (!created.ok) throw new Error(`could not charge ${number}: ${created.code}`);
  return created.id;
}

/** The callbacks received for one movement, in arrival order, each verified. */
function deliveriesOf(objectId: string): GatewayEvent[] {
  return receiver.received.flatMap((delivery) => {
    const verified = gateway.verifyCallback(delivery.rawBody, delivery.signature, clock.nowMs());
    if (!verified.ok) throw new Error(`a callback failed verification: ${verified.reason}`);
    return verified.event.objectId === objectId ? [verified.event] : [];
  });
}

/** A receiver's rule: apply an event only if it is newer than the last applied one. */
function applyInOrder(events: readonly GatewayEvent[]): { applied: string[]; ignored: string[] } {
  const seen = new Set<string>();
  let last = 0;
  const applied: string[] = [];
  const ignored: string[] = [];
  for (const event of events) {
    if (seen.has(event.id) || event.sequence <= last) {
      ignored.push(event.type);
      continue;
    }
    seen.add(event.id);
    last = event.sequence;
    applied.push(event.type);
  }
  return { applied, ignored };
}

describe('card tokenization', () => {
  const usable = testCards.filter((c) => c.behaviour !== 'declined' && c.behaviour !== 'expired');

  it.each(usable.map((c) => [c.number, c]))('tokenizes test card %s', async (_n, card) => {
    const result = await gateway.tokenizeCard({
      number: card.number,
      expMonth: 6,
      expYear: 2033,
      cvc: card.brand === 'amex' ? '1234' : '123',
      holderName: 'Han Meimei',
    });
    expect(result).toEqual({
      ok: true,
      token: expect.stringMatching(/^btk_[0-9A-HJKMNP-TV-Z]{26}$/),
      brand: card.brand,
      last4: card.number.slice(-4),
      expMonth: 6,
      expYear: 2033,
    });
  });

  it.each([
    ['4000000000000002', 'card_declined'],
    ['4000000000000069', 'card_expired'],
  ])('refuses test card %s with %s', async (number, code) => {
    const result = await gateway.tokenizeCard({
      number,
      expMonth: 12,
      expYear: 2034,
      cvc: '123',
      holderName: 'Li Lei',
    });
    expect(result).toEqual({ ok: false, code });
  });

  it.each([
    ['a Luhn failure', '4242424242424241'],
    ['swapped digits', '4242424242424224'],
    ['too few digits', '4242'],
    ['letters', '4242abcd42424242'],
    ['an unknown brand', '9000000000000009'],
    ['an absurd length', '4'.repeat(40)],
  ])('refuses %s as card_number_invalid', async (_what, number) => {
    const result = await gateway.tokenizeCard({
      number,
      expMonth: 12,
      expYear: 2034,
      cvc: '123',
      holderName: 'Li Lei',
    });
    expect(result).toEqual({ ok: false, code: 'card_number_invalid' });
  });

  it('refuses a card past its expiry month and details that are not valid', async () => {
    const base = { number: '4242424242424242', expMonth: 12, expYear: 2034, cvc: '123' };
    const holderName = 'Li Lei';
    expect(await gateway.tokenizeCard({ ...base, holderName, expMonth: 2, expYear: 2031 })).toEqual(
      {
        ok: false,
        code: 'card_expired',
      },
    );
    for (const change of [{ expMonth: 13 }, { expMonth: 1.5 }, { cvc: '12' }, { holderName: '' }]) {
      expect(await gateway.tokenizeCard({ ...base, holderName, ...change })).toEqual({
        ok: false,
        code: 'card_details_invalid',
      });
    }
  });

  it('accepts the number with spaces or hyphens, and never answers with the full number', async () => {
    const spaced = await gateway.tokenizeCard({
      number: '5555 5555-5555 4444',
      expMonth: 1,
      expYear: 2032,
      cvc: '321',
      holderName: 'Li Lei',
    });
    expect(spaced).toMatchObject({ ok: true, brand: 'mastercard', last4: '4444' });
    const raw = await fetch(`${bank.url}/bank/v1/cards`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        number: '4242424242424242',
        exp_month: 1,
        exp_year: 2032,
        cvc: '321',
        holder_name: 'Li Lei',
      }),
    });
    expect(raw.status).toBe(201);
    const text = await raw.text();
    expect(text).not.toContain('4242424242424242');
    // The security code is never echoed (a random token may contain its digits by chance).
    const answer = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(answer)).not.toContain('cvc');
    expect(Object.values(answer)).not.toContain('321');
  });
});

describe('charges', () => {
  it('accepts a charge as pending, settles it, and calls back with signed events', async () => {
    const cardToken = await tokenize('4242424242424242');
    const ref = reference();
    const created = await gateway.createCharge({
      reference: ref,
      cardToken,
      amountMinor: 1250n,
      currency: 'CNY',
    });
    expect(created).toEqual({ ok: true, id: expect.stringMatching(/^bch_/), status: 'pending' });
    if (!created.ok) return;
    expect(await gateway.getCharge(created.id)).toMatchObject({
      ok: true,
      status: 'pending',
      settledAt: null,
    });
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    const settled = await gateway.getCharge(created.id);
    expect(settled).toEqual({
      ok: true,
      id: created.id,
      kind: 'charge',
      status: 'succeeded',
      reference: ref,
      cardToken,
      amountMinor: 1250n,
      currency: 'CNY',
      createdAt: expect.any(Date),
      settledAt: expect.any(Date),
    });
    const events = deliveriesOf(created.id);
    expect(events).toEqual([
      {
        id: expect.stringMatching(/^bev_/),
        type: 'charge.pending',
        objectId: created.id,
        reference: ref,
        amountMinor: 1250n,
        currency: 'CNY',
        createdAt: expect.any(Date),
        sequence: 1,
      },
      expect.objectContaining({ type: 'charge.succeeded', sequence: 2, amountMinor: 1250n }),
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  });

  it('settles an insufficient-funds card as failed, with a charge.failed callback', async () => {
    const id = await charge('4000000000009995');
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    expect(await gateway.getCharge(id)).toMatchObject({
      ok: true,
      status: 'failed',
      failureCode: 'insufficient_funds',
    });
    expect(deliveriesOf(id).map((e) => [e.type, e.failureCode])).toEqual([
      ['charge.pending', undefined],
      ['charge.failed', 'insufficient_funds'],
    ]);
  });

  it('times out on the timeout card; asking again with the same reference answers at once', async () => {
    const impatient = createSandboxGateway({
      baseUrl: bank.url,
      apiKey: API_KEY,
      callbackSecret: SECRET,
      timeoutMs: 200,
    });
    const input: MovementInput = {
      reference: reference(),
      cardToken: await tokenize('4000000000000119'),
      amountMinor: 990n,
      currency: 'CNY',
    };
    const started = Date.now();
    expect(await impatient.createCharge(input)).toEqual({ ok: false, code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
    // The bank did record it: a retry with the same reference returns the same charge.
    const retried = await impatient.createCharge(input);
    expect(retried).toMatchObject({ ok: true, id: expect.stringMatching(/^bch_/) });
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    if (!retried.ok) return;
    expect(await gateway.getCharge(retried.id)).toMatchObject({ status: 'succeeded' });
    expect(deliveriesOf(retried.id).map((e) => e.type)).toEqual([
      'charge.pending',
      'charge.succeeded',
    ]);
  });

  it('is idempotent on the reference, and refuses the reference with other details', async () => {
    const input: MovementInput = {
      reference: reference(),
      cardToken: await tokenize('4242424242424242'),
      amountMinor: 500n,
      currency: 'CNY',
    };
    const first = await gateway.createCharge(input);
    const again = await gateway.createCharge(input);
    expect(first).toMatchObject({ ok: true, status: 'pending' });
    expect(again).toEqual(first);
    expect(await gateway.createCharge({ ...input, amountMinor: 501n })).toEqual({
      ok: false,
      code: 'reference_reused',
    });
    expect(await gateway.createCharge({ ...input, currency: 'USD' })).toEqual({
      ok: false,
      code: 'reference_reused',
    });
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    // After settlement the same request still names the same charge, now with its outcome.
    expect(await gateway.createCharge(input)).toEqual({
      ok: true,
      id: first.ok ? first.id : '',
      status: 'succeeded',
    });
    if (first.ok) expect(deliveriesOf(first.id)).toHaveLength(2);
  });

  it('refuses unknown tokens and invalid amounts, and does not find unknown ids', async () => {
    const cardToken = await tokenize('4242424242424242');
    const base = { reference: reference(), cardToken, currency: 'CNY' } as const;
    expect(await gateway.createCharge({ ...base, cardToken: 'btk_nope', amountMinor: 1n })).toEqual(
      { ok: false, code: 'card_token_unknown' },
    );
    for (const amountMinor of [0n, -100n, 10n ** 18n]) {
      expect(await gateway.createCharge({ ...base, amountMinor })).toEqual({
        ok: false,
        code: 'amount_invalid',
      });
    }
    expect(await gateway.getCharge('bch_01J0000000000000000000000')).toEqual({
      ok: false,
      code: 'not_found',
    });
    expect(await gateway.getCharge('../cards')).toEqual({ ok: false, code: 'not_found' });
    const id = await charge('4242424242424242');
    expect(await gateway.getPayout(id)).toEqual({ ok: false, code: 'not_found' });
  });

  it('needs the API key: a wrong one is a GatewayError, none is a 401 problem', async () => {
    const wrong = createSandboxGateway({
      baseUrl: bank.url,
      apiKey: 'sk_test_wrong_0123456789',
      callbackSecret: SECRET,
      timeoutMs: 2000,
    });
    await expect(wrong.getCharge('bch_x')).rejects.toBeInstanceOf(GatewayError);
    for (const path of ['/charges/bch_x', '/statements/2031-03-14', '/sandbox/faults']) {
      const response = await fetch(`${bank.url}/bank/v1${path}`);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toMatchObject({ code: 'unauthenticated' });
    }
  });

  it('answers problem+json for malformed requests', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${bank.url}/bank/v1/charges`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': type },
        body,
      });
    const cases: Array<[Response, number, string, string | undefined]> = [
      [await post('{'), 400, 'malformed_json', undefined],
      [await post('{"reference":"r"}'), 400, 'validation_failed', 'card_token'],
      [await post('hello', 'text/plain'), 415, 'unsupported_media_type', undefined],
      [await post(JSON.stringify({ x: 'y'.repeat(20_000) })), 413, 'body_too_large', undefined],
    ];
    for (const [response, status, code, param] of cases) {
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ code, ...(param ? { param } : {}) });
    }
    const missing = await fetch(`${bank.url}/bank/v1/nothing`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(missing.status).toBe(404);
  });

  it('reports an unreachable bank as gateway_unavailable', async () => {
    const closed = await startSandboxBank({
      port: 0,
      callbackUrl: receiver.url,
      callbackSecret: SECRET,
      apiKey: API_KEY,
      delays: { settleMs: 0, callbackDelayMs: 0 },
      log: false,
    });
    await closed.close();
    const away = createSandboxGateway({
      baseUrl: closed.url,
      apiKey: API_KEY,
      callbackSecret: SECRET,
      timeoutMs: 2000,
    });
    expect(await away.getCharge('bch_x')).toEqual({ ok: false, code: 'gateway_unavailable' });
    const card = { number: '4242424242424242', expMonth: 1, expYear: 2032, cvc: '1' };
    expect(await away.tokenizeCard({ ...card, holderName: 'Li Lei' })).toEqual({
      ok: false,
      code: 'gateway_unavailable',
    });
    expect(await away.statement('2031-03-14')).toEqual({ ok: false, code: 'gateway_unavailable' });
  });

  it('calls back again with a growing pause while the receiver answers non-2xx', async () => {
    receiver.failNext(2);
    const id = await charge('4242424242424242');
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    const log = (await admin.callbacks()).deliveries.filter((d) => d.objectId === id);
    expect(log.map((d) => [d.type, d.status, d.attempts, d.lastStatusCode])).toEqual([
      ['charge.pending', 'delivered', 3, 204],
      ['charge.succeeded', 'delivered', 1, 204],
    ]);
    // The receiver saw the pending event three times: the same event, freshly signed each time.
    expect(deliveriesOf(id).map((e) => e.type)).toEqual([
      'charge.pending',
      'charge.pending',
      'charge.pending',
      'charge.succeeded',
    ]);
  });
});

describe('callback faults', () => {
  it('delivers every callback twice with the same event id when duplicates are on', async () => {
    await admin.setFaults({ duplicateCallbacks: 1, seed: 7 });
    const id = await charge('4242424242424242');
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    const events = deliveriesOf(id);
    expect(events.map((e) => e.sequence)).toEqual([1, 1, 2, 2]);
    expect(events[0]!.id).toBe(events[1]!.id);
    expect(events[2]!.id).toBe(events[3]!.id);
    expect(applyInOrder(events)).toEqual({
      applied: ['charge.pending', 'charge.succeeded'],
      ignored: ['charge.pending', 'charge.succeeded'],
    });
  });

  it('delivers callbacks late: the status is visible before the callback arrives', async () => {
    await admin.setFaults({ lateCallbacks: 1, lateCallbackMs: 600, seed: 7 });
    const id = await charge('4242424242424242');
    let status = 'pending';
    while (status === 'pending') {
      const current = await gateway.getCharge(id);
      status = current.ok ? current.status : 'missing';
    }
    expect(status).toBe('succeeded');
    expect(deliveriesOf(id).map((e) => e.type)).not.toContain('charge.succeeded');
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    const settled = await gateway.getCharge(id);
    if (!settled.ok || settled.settledAt === null) throw new Error('the charge did not settle');
    const final = receiver.received.find(
      (r) => r.rawBody.includes(`"${id}"`) && r.rawBody.includes('charge.succeeded'),
    );
    expect(final).toBeDefined();
    expect(final!.atMs - settled.settledAt.getTime()).toBeGreaterThanOrEqual(550);
  });

  it('reorders callbacks: the final event arrives first, and sequence tells the receiver', async () => {
    await admin.setFaults({ reorderCallbacks: 1, seed: 7 });
    const id = await charge('4000000000009995');
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    const events = deliveriesOf(id);
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      ['charge.failed', 2],
      ['charge.pending', 1],
    ]);
    expect(applyInOrder(events)).toEqual({
      applied: ['charge.failed'],
      ignored: ['charge.pending'],
    });
  });

  it('loses callbacks: nothing arrives, and polling shows the final status', async () => {
    await admin.setFaults({ loseCallbacks: 1, seed: 7 });
    const id = await charge('4242424242424242');
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    expect(deliveriesOf(id)).toEqual([]);
    expect(await gateway.getCharge(id)).toMatchObject({ ok: true, status: 'succeeded' });
    const log = (await admin.callbacks()).deliveries.filter((d) => d.objectId === id);
    expect(log.map((d) => [d.type, d.status, d.attempts])).toEqual([
      ['charge.pending', 'lost', 0],
      ['charge.succeeded', 'lost', 0],
    ]);
  });

  it('draws the same faults again for the same seed', async () => {
    const pattern = async (): Promise<string> => {
      await admin.setFaults({ duplicateCallbacks: 0.5, loseCallbacks: 0.3, seed: 20310314 });
      const shapes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = await charge('4242424242424242');
        await admin.waitIdle(IDLE_TIMEOUT_MS);
        shapes.push(
          deliveriesOf(id)
            .map((e) => e.sequence)
            .join(''),
        );
      }
      return shapes.join('|');
    };
    const first = await pattern();
    expect(await pattern()).toBe(first);
    // With these settings and this seed the draws are neither all clean nor all faulty.
    expect(first).not.toBe('12|12|12|12');
  });

  it('validates fault settings', async () => {
    const put = (body: unknown) =>
      fetch(`${bank.url}/bank/v1/sandbox/faults`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await put({ lose_callbacks: 1.5 })).status).toBe(400);
    expect((await put({ late_callback_ms: -1 })).status).toBe(400);
    expect((await put({ unknown: 1 })).status).toBe(400);
    const ok = await put({ late_callbacks: 0.25, late_callback_ms: 100 });
    expect(await ok.json()).toEqual({
      duplicate_callbacks: 0,
      late_callbacks: 0.25,
      late_callback_ms: 100,
      reorder_callbacks: 0,
      lose_callbacks: 0,
      seed: 1,
    });
  });
});

describe('callback signatures', () => {
  async function oneDelivery(): Promise<Received> {
    const id = await charge('4242424242424242');
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    const delivery = receiver.received.find((r) => r.rawBody.includes(`"${id}"`));
    if (delivery === undefined) throw new Error('no callback arrived');
    return delivery;
  }

  it('rejects a tampered body, another secret, and a forged signature', async () => {
    const { rawBody, signature } = await oneDelivery();
    const now = clock.nowMs();
    expect(gateway.verifyCallback(rawBody, signature, now).ok).toBe(true);
    const tampered = rawBody.replace('"12.50"', '"99.50"');
    expect(tampered).not.toBe(rawBody);
    expect(gateway.verifyCallback(tampered, signature, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const other = createSandboxGateway({
      baseUrl: bank.url,
      apiKey: API_KEY,
      callbackSecret: 'whsec_someone_else_0123',
      timeoutMs: 2000,
    });
    expect(other.verifyCallback(rawBody, signature, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const forged = signatureHeader('whsec_someone_else_0123', tampered, now);
    expect(gateway.verifyCallback(tampered, forged, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects timestamps more than five minutes away, either way', async () => {
    const { rawBody, signature } = await oneDelivery();
    const now = clock.nowMs();
    for (const skewMs of [6 * 60_000, -6 * 60_000]) {
      expect(gateway.verifyCallback(rawBody, signature, now + skewMs)).toEqual({
        ok: false,
        reason: 'stale_timestamp',
      });
    }
    expect(gateway.verifyCallback(rawBody, signature, now + 4 * 60_000).ok).toBe(true);
  });

  it('rejects missing or garbled headers and signed bodies that are not events', async () => {
    const { rawBody } = await oneDelivery();
    const now = clock.nowMs();
    for (const header of [undefined, '', 'v1=abc', 't=1,v1=zz']) {
      expect(gateway.verifyCallback(rawBody, header, now)).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
    const notAnEvent = '{"id":"bev_1","type":"charge.refunded"}';
    expect(
      gateway.verifyCallback(notAnEvent, signatureHeader(SECRET, notAnEvent, now), now),
    ).toEqual({ ok: false, reason: 'malformed' });
    const notJson = 'hello';
    expect(gateway.verifyCallback(notJson, signatureHeader(SECRET, notJson, now), now)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
});

describe('payouts', () => {
  it('pays out to a card and calls back payout.succeeded', async () => {
    const created = await gateway.createPayout({
      reference: reference(),
      cardToken: await tokenize('6200000000000005'),
      amountMinor: 30_000n,
      currency: 'CNY',
    });
    expect(created).toMatchObject({
      ok: true,
      id: expect.stringMatching(/^bpo_/),
      status: 'pending',
    });
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    if (!created.ok) return;
    expect(await gateway.getPayout(created.id)).toMatchObject({
      ok: true,
      kind: 'payout',
      status: 'succeeded',
      amountMinor: 30_000n,
    });
    expect(await gateway.getCharge(created.id)).toEqual({ ok: false, code: 'not_found' });
    expect(deliveriesOf(created.id).map((e) => [e.type, e.sequence])).toEqual([
      ['payout.pending', 1],
      ['payout.succeeded', 2],
    ]);
  });

  it('fails payouts to a card ending in 0077, while charges on it succeed', async () => {
    const cardToken = await tokenize('4000000000000077');
    const payout = await gateway.createPayout({
      reference: reference(),
      cardToken,
      amountMinor: 100n,
      currency: 'CNY',
    });
    const chargeId = await charge('4000000000000077');
    await admin.waitIdle(IDLE_TIMEOUT_MS);
    if (!payout.ok) throw new Error('payout not accepted');
    expect(await gateway.getPayout(payout.id)).toMatchObject({
      status: 'failed',
      failureCode: 'payout_declined',
    });
    expect(deliveriesOf(payout.id).map((e) => [e.type, e.failureCode])).toEqual([
      ['payout.pending', undefined],
      ['payout.failed', 'payout_declined'],
    ]);
    expect(await gateway.getCharge(chargeId)).toMatchObject({ status: 'succeeded' });
  });

  it('keeps charge and payout references apart', async () => {
    const input: MovementInput = {
      reference: reference(),
      cardToken: await tokenize('4242424242424242'),
      amountMinor: 100n,
      currency: 'CNY',
    };
    const asCharge = await gateway.createCharge(input);
    const asPayout = await gateway.createPayout({ ...input, amountMinor: 200n });
    expect(asCharge).toMatchObject({ ok: true, id: expect.stringMatching(/^bch_/) });
    expect(asPayout).toMatchObject({ ok: true, id: expect.stringMatching(/^bpo_/) });
  });
});

describe('daily statements', () => {
  const statementClock = shiftedClock(Date.UTC(2031, 4, 20, 9));
  let statementBank: RunningSandboxBank;
  let g: PaymentGateway;
  let statementAdmin: SandboxAdmin;
  const refs: Record<string, string> = {};
  const ids: Record<string, string> = {};

  async function move(
    name: string,
    kind: 'charge' | 'payout',
    number: string,
    amountMinor: bigint,
    currency: 'CNY' | 'USD' = 'CNY',
  ): Promise<void> {
    const card = await g.tokenizeCard({
      number,
      expMonth: 12,
      expYear: 2034,
      cvc: '123',
      holderName: 'Li Lei',
    });
    if (!card.ok) throw new Error(card.code);
    refs[name] = `ref_${name}_${Date.now()}`;
    const input = { reference: refs[name], cardToken: card.token, amountMinor, currency };
    const created = kind === 'charge' ? await g.createCharge(input) : await g.createPayout(input);
    if (!created.ok) throw new Error(created.code);
    ids[name] = created.id;
  }

  beforeAll(async () => {
    statementBank = await startSandboxBank({
      port: 0,
      callbackUrl: receiver.url,
      callbackSecret: SECRET,
      apiKey: API_KEY,
      clock: statementClock,
      delays: { settleMs: 20, callbackDelayMs: 0 },
      log: false,
    });
    g = createSandboxGateway({
      baseUrl: statementBank.url,
      apiKey: API_KEY,
      callbackSecret: SECRET,
      timeoutMs: 2000,
    });
    statementAdmin = createSandboxAdmin({ baseUrl: statementBank.url, apiKey: API_KEY });
    await move('a', 'charge', '4242424242424242', 1250n);
    await move('b', 'charge', '5555555555554444', 300n);
    await move('broke', 'charge', '4000000000009995', 700n);
    await move('d', 'payout', '6200000000000005', 500n);
    await move('declined', 'payout', '4000000000000077', 900n);
    await move('usd', 'charge', '4242424242424242', 100n, 'USD');
    await statementAdmin.waitIdle(IDLE_TIMEOUT_MS);
    statementClock.advanceMs(24 * 3_600_000);
    await move('next', 'charge', '4242424242424242', 4200n);
    await statementAdmin.waitIdle(IDLE_TIMEOUT_MS);
  });

  afterAll(async () => {
    await statementBank.close();
  });

  it('lists exactly the settled movements of the day, with totals, as JSON', async () => {
    const statement = await g.statement('2031-05-20');
    expect(statement.ok).toBe(true);
    if (!statement.ok) return;
    expect(statement.date).toBe('2031-05-20');
    expect(statement.final).toBe(true);
    expect(new Set(statement.movements.map((m) => m.id))).toEqual(
      new Set([ids['a'], ids['b'], ids['d'], ids['usd']]),
    );
    const times = statement.movements.map((m) => m.settledAt.getTime());
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    expect(statement.movements.find((m) => m.id === ids['d'])).toEqual({
      id: ids['d'],
      kind: 'payout',
      reference: refs['d'],
      amountMinor: 500n,
      currency: 'CNY',
      settledAt: expect.any(Date),
    });
    expect(statement.totals).toEqual([
      { kind: 'charge', currency: 'CNY', count: 2, amountMinor: 1550n },
      { kind: 'charge', currency: 'USD', count: 1, amountMinor: 100n },
      { kind: 'payout', currency: 'CNY', count: 1, amountMinor: 500n },
    ]);
  });

  it('keeps each day to itself, and the current day is not final', async () => {
    const today = await g.statement('2031-05-21');
    expect(today).toMatchObject({
      ok: true,
      final: false,
      movements: [{ id: ids['next'], amountMinor: 4200n }],
      totals: [{ kind: 'charge', currency: 'CNY', count: 1, amountMinor: 4200n }],
    });
    expect(await g.statement('2031-05-19')).toEqual({
      ok: true,
      date: '2031-05-19',
      final: true,
      movements: [],
      totals: [],
    });
  });

  it('serves the same statement as CSV', async () => {
    const json = await g.statement('2031-05-20');
    if (!json.ok) throw new Error(json.code);
    const response = await fetch(`${statementBank.url}/bank/v1/statements/2031-05-20?format=csv`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const amount = (minor: bigint) => `${minor / 100n}.${String(minor % 100n).padStart(2, '0')}`;
    const expected = [
      'record,id,type,reference,amount,currency,settled_at,count',
      ...json.movements.map(
        (m) =>
          `movement,${m.id},${m.kind},${m.reference},${amount(m.amountMinor)},${m.currency},${m.settledAt.toISOString()},`,
      ),
      'total,,charge,,15.50,CNY,,2',
      'total,,charge,,1.00,USD,,1',
      'total,,payout,,5.00,CNY,,1',
      '',
    ].join('\r\n');
    expect(await response.text()).toBe(expected);
  });

  it('refuses dates that do not exist', async () => {
    for (const date of ['2031-02-30', 'yesterday', '2031-05-20T00:00:00Z', '20310520']) {
      expect(await g.statement(date)).toEqual({ ok: false, code: 'date_invalid' });
    }
  });
});
