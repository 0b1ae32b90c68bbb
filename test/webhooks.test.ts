/**
 * Goal: webhooks as owners and receivers see them, against a real database and a real HTTP
 * receiver on 127.0.0.1: secrets shown once and sealed at rest, owners kept apart, the URL policy
 * applied at creation and again before every attempt, events that exist only if their change
 * commits, signed deliveries retried with growing backoff until they succeed or their window ends,
 * failing endpoints switched off, and each delivery attempted once however many workers run.
 */
import { randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction, type Pool } from '../src/db/index.js';
import {
  createWebhooks,
  verifyWebhookSignature,
  WEBHOOK_SECRET_PATTERN,
  type WebhookDelivery,
  type WebhookDeps,
  type WebhookResolver,
  type Webhooks,
} from '../src/events/index.js';
import { manualClock } from '../src/lib/clock.js';
import { decryptField, parseKeyring } from '../src/lib/encryption.js';
import { limits } from '../src/limits.js';
import { createTestDatabase, type TestDatabase } from './db.js';

const TYPE = 'payment_intent.succeeded';
const keyring = parseKeyring(`test:${randomBytes(32).toString('base64')}`);
const clock = manualClock(Date.UTC(2031, 0, 6, 9, 0, 0));

interface Hit {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Whether the signature verified with every secret the test registered for the path. */
  readonly verified: boolean;
}

interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly delayMs?: number;
}

const hits: Hit[] = [];
/** How the receiver answers the n-th request (1-based) to a path; 200 "ok" by default. */
const replies = new Map<string, (n: number, hit: Hit) => Reply>();
/** The secrets a receiver on a path holds; a hit is verified against each of them. */
const secrets = new Map<string, string[]>();

let db: TestDatabase;
let server: Server;
let port: number;

beforeAll(async () => {
  db = await createTestDatabase();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      const body = Buffer.concat(chunks).toString('utf8');
      const nowSeconds = Math.floor(clock.nowMs() / 1000);
      const signature = req.headers['hebao-signature'] as string | undefined;
      const held = secrets.get(path) ?? [];
      const verified =
        held.length > 0 &&
        held.every((s) => verifyWebhookSignature(signature, body, s, nowSeconds).ok);
      const hit: Hit = { path, headers: req.headers, body, verified };
      hits.push(hit);
      const n = hits.filter((h) => h.path === path).length;
      const reply = replies.get(path)?.(n, hit) ?? { status: 200 };
      setTimeout(() => {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body ?? 'ok');
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

// Deliveries are shared by every worker pass; each test starts with none pending.
afterEach(async () => {
  await db.pool.query('DELETE FROM webhook_endpoints');
});

function webhooks(extra: Partial<WebhookDeps> = {}): Webhooks {
  return createWebhooks({
    pool: db.pool,
    clock,
    keyring,
    production: false,
    allowLoopback: true,
    random: () => 0.5,
    ...extra,
  });
}

const newOwner = () => `mch_test_${randomBytes(6).toString('hex')}`;
let pathCount = 0;
const newPath = (name: string) => `/${name}-${++pathCount}`;
const urlOf = (path: string) => `http://127.0.0.1:${port}${path}`;
const hitsOf = (path: string) => hits.filter((h) => h.path === path);
const now = () => new Date(clock.nowMs());

function must<T extends { readonly ok: boolean }>(result: T): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result as Extract<T, { ok: true }>;
}

const codeOf = (result: { readonly ok: boolean; readonly code?: string }) =>
  result.ok ? 'ok' : result.code;

async function endpointAt(
  service: Webhooks,
  owner: string,
  path: string,
  eventTypes: readonly string[] = [TYPE],
) {
  const created = must(await service.createEndpoint(owner, { url: urlOf(path), eventTypes }));
  secrets.set(path, [created.secret]);
  return created;
}

function enqueue(
  service: Webhooks,
  owner: string,
  type = TYPE,
  data: object = { payment_intent_id: 'pi_1', amount: '12.50' },
  pool: Pool = db.pool,
): Promise<string> {
  return withTransaction(pool, (tx) =>
    service.enqueueWebhookEvent(tx, { owner, type, data }, now()),
  );
}

async function deliveriesOf(service: Webhooks, owner: string): Promise<WebhookDelivery[]> {
  return must(await service.listDeliveries(owner, { limit: limits.pageSizeMax })).data;
}

async function onlyDelivery(service: Webhooks, owner: string): Promise<WebhookDelivery> {
  const all = await deliveriesOf(service, owner);
  expect(all).toHaveLength(1);
  return all[0]!;
}

describe('endpoints', () => {
  it('shows the secret once, and stores it sealed to the endpoint', async () => {
    const service = webhooks();
    const owner = newOwner();
    const { endpoint, secret } = must(
      await service.createEndpoint(owner, {
        url: urlOf('/secret'),
        eventTypes: ['refund.succeeded', TYPE, TYPE],
        description: 'Orders',
      }),
    );
    expect(secret).toMatch(WEBHOOK_SECRET_PATTERN);
    expect(endpoint).toMatchObject({
      owner,
      url: urlOf('/secret'),
      description: 'Orders',
      eventTypes: [TYPE, 'refund.succeeded'],
      status: 'enabled',
      disabledReason: null,
    });
    expect(endpoint.id).toMatch(/^whe_/);
    const listed = await service.listEndpoints(owner);
    const got = must(await service.getEndpoint(owner, endpoint.id));
    for (const shown of [endpoint, listed, got])
      expect(JSON.stringify(shown)).not.toContain(secret);
    expect(listed).toEqual([endpoint]);
    const { rows } = await db.pool.query<{ secret_sealed: string }>(
      'SELECT secret_sealed FROM webhook_endpoints WHERE id = $1',
      [endpoint.id],
    );
    const sealed = rows[0]!.secret_sealed;
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain(secret.slice('whsec_'.length));
    expect(decryptField(keyring, sealed, `${endpoint.id}/secret`)).toBe(secret);
    expect(() => decryptField(keyring, sealed, 'whe_other/secret')).toThrow();
  });

  it("answers not found for another owner's endpoint and deliveries, and changes nothing", async () => {
    const service = webhooks();
    const owner = newOwner();
    const stranger = newOwner();
    const { endpoint } = await endpointAt(service, owner, '/mine');
    await enqueue(service, owner);
    const delivery = await onlyDelivery(service, owner);
    const notFound = { ok: false, code: 'webhook_endpoint_not_found' };
    expect(await service.getEndpoint(stranger, endpoint.id)).toMatchObject(notFound);
    expect(await service.updateEndpoint(stranger, endpoint.id, { enabled: false })).toMatchObject(
      notFound,
    );
    expect(await service.rotateSecret(stranger, endpoint.id)).toMatchObject(notFound);
    expect(await service.deleteEndpoint(stranger, endpoint.id)).toMatchObject(notFound);
    expect(
      await service.listDeliveries(stranger, { endpointId: endpoint.id, limit: 10 }),
    ).toMatchObject(notFound);
    expect(await service.listEndpoints(stranger)).toEqual([]);
    expect(must(await service.listDeliveries(stranger, { limit: 10 })).data).toEqual([]);
    const noDelivery = { ok: false, code: 'webhook_delivery_not_found' };
    expect(await service.resend(stranger, delivery.id)).toMatchObject(noDelivery);
    expect(await service.getDelivery(stranger, delivery.id)).toMatchObject(noDelivery);
    expect(hitsOf('/mine')).toHaveLength(0);
    expect(must(await service.getEndpoint(owner, endpoint.id)).endpoint).toEqual(endpoint);
  });

  const answers: Record<string, readonly string[]> = {
    'shop.test': ['127.0.0.1'],
    'public.test': ['93.184.216.34'],
    'private.test': ['10.0.0.7'],
    'mixed.test': ['93.184.216.34', '172.20.1.1'],
    'cgnat.test': ['100.100.0.1'],
    'metadata.test': ['169.254.169.254'],
    'v6.test': ['fd00::1'],
    'v6linklocal.test': ['fe80::1'],
    'mapped.test': ['::ffff:192.168.0.1'],
  };
  const resolver: WebhookResolver = async (host) => {
    const found = answers[host];
    if (found === undefined) throw Object.assign(new Error(host), { code: 'ENOTFOUND' });
    return found.map((address): LookupAddress => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
  };

  it.each([
    ['development', 'http://public.test/hook', 'ok'],
    ['development', 'https://public.test:8443/hook', 'ok'],
    ['development', 'http://private.test/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://mixed.test/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://cgnat.test/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://metadata.test/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://v6.test/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://v6linklocal.test/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://mapped.test/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://[fe80::1]/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://192.168.1.1/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://shop.test/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://127.0.0.1:9/hook', 'webhook_url_forbidden_address'],
    ['development', 'http://gone.test/hook', 'webhook_url_unresolvable'],
    ['development', 'https://u:p@public.test/hook', 'webhook_url_invalid'],
    ['development', 'not a url', 'webhook_url_invalid'],
    ['production', 'http://public.test/hook', 'webhook_url_not_https'],
    ['production', 'https://public.test/hook', 'ok'],
    ['production', 'https://private.test/hook', 'webhook_url_forbidden_address'],
  ])('in %s, creating %s answers %s (no loopback allowed)', async (env, url, expected) => {
    const service = webhooks({ resolver, allowLoopback: false, production: env === 'production' });
    const result = await service.createEndpoint(newOwner(), { url, eventTypes: [TYPE] });
    expect(codeOf(result)).toBe(expected);
    if (!result.ok) expect(result).toMatchObject({ param: 'url' });
  });

  it('refuses loopback in production even when asked to allow it', () => {
    expect(() => webhooks({ production: true, allowLoopback: true })).toThrow(/development/);
  });

  it('validates event types and descriptions, on creation and on update', async () => {
    const service = webhooks();
    const owner = newOwner();
    const url = urlOf('/validate');
    const create = (fields: { eventTypes: string[]; description?: string }) =>
      service.createEndpoint(owner, { url, ...fields });
    expect(codeOf(await create({ eventTypes: [] }))).toBe('webhook_event_types_invalid');
    expect(codeOf(await create({ eventTypes: ['*'] }))).toBe('webhook_event_types_invalid');
    expect(codeOf(await create({ eventTypes: [TYPE, 'payment_intent.*'] }))).toBe(
      'webhook_event_types_invalid',
    );
    const long = 'x'.repeat(limits.webhookDescriptionLengthMax + 1);
    expect(codeOf(await create({ eventTypes: [TYPE], description: long }))).toBe(
      'webhook_description_too_long',
    );
    const { endpoint } = must(await create({ eventTypes: [TYPE] }));
    const update = (patch: Parameters<Webhooks['updateEndpoint']>[2]) =>
      service.updateEndpoint(owner, endpoint.id, patch);
    expect(codeOf(await update({ eventTypes: ['*'] }))).toBe('webhook_event_types_invalid');
    expect(codeOf(await update({ url: 'http://10.0.0.1/' }))).toBe('webhook_url_forbidden_address');
    expect(codeOf(await update({ description: long }))).toBe('webhook_description_too_long');
    const updated = must(
      await update({ url: urlOf('/moved'), eventTypes: ['refund.succeeded'], description: 'R' }),
    ).endpoint;
    expect(updated).toMatchObject({
      url: urlOf('/moved'),
      eventTypes: ['refund.succeeded'],
      description: 'R',
    });
    const catalogued = webhooks({ eventTypes: [TYPE] });
    const unknown = await catalogued.createEndpoint(owner, { url, eventTypes: ['refund.done'] });
    expect(codeOf(unknown)).toBe('webhook_event_types_invalid');
  });

  it('bounds the endpoints of one owner, even when created all at once', async () => {
    const service = webhooks();
    const owner = newOwner();
    const max = limits.webhookEndpointsPerOwnerMax;
    const results = await Promise.all(
      Array.from({ length: max + 4 }, (_, i) =>
        service.createEndpoint(owner, { url: urlOf(`/many/${i}`), eventTypes: [TYPE] }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(max);
    expect(results.filter((r) => !r.ok).map(codeOf)).toEqual(
      Array(4).fill('webhook_endpoints_too_many'),
    );
    const listed = await service.listEndpoints(owner);
    expect(listed).toHaveLength(max);
    expect(listed.map((e) => e.id)).toEqual(
      listed
        .map((e) => e.id)
        .sort()
        .reverse(),
    );
    const other = await service.createEndpoint(newOwner(), {
      url: urlOf('/x'),
      eventTypes: [TYPE],
    });
    expect(other.ok).toBe(true);
  });

  it('deletes an endpoint with its deliveries', async () => {
    const service = webhooks();
    const owner = newOwner();
    const { endpoint } = await endpointAt(service, owner, newPath('deleted'));
    await enqueue(service, owner);
    const delivery = await onlyDelivery(service, owner);
    expect(must(await service.deleteEndpoint(owner, endpoint.id))).toEqual({
      ok: true,
      id: endpoint.id,
    });
    expect(codeOf(await service.getEndpoint(owner, endpoint.id))).toBe(
      'webhook_endpoint_not_found',
    );
    expect(codeOf(await service.getDelivery(owner, delivery.id))).toBe(
      'webhook_delivery_not_found',
    );
    expect(await service.deliverDue()).toBe(0);
  });
});

describe('events', () => {
  it('exist only if the transaction that writes them commits', async () => {
    const service = webhooks();
    const owner = newOwner();
    await endpointAt(service, owner, newPath('rollback'));
    await expect(
      withTransaction(db.pool, async (tx) => {
        await service.enqueueWebhookEvent(tx, { owner, type: TYPE, data: {} }, now());
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const count = async (table: string) =>
      (
        await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE owner = $1`,
          [owner],
        )
      ).rows[0]!.n;
    expect(await count('webhook_events')).toBe(0);
    expect(await count('webhook_deliveries')).toBe(0);
    expect(await service.deliverDue()).toBe(0);
    await enqueue(service, owner);
    expect(await count('webhook_events')).toBe(1);
    expect(await count('webhook_deliveries')).toBe(1);
  });

  it('make one delivery per enabled endpoint of the owner subscribed to the type', async () => {
    const service = webhooks();
    const owner = newOwner();
    const a = await endpointAt(service, owner, newPath('a'));
    const b = await endpointAt(service, owner, newPath('b'), [TYPE, 'refund.succeeded']);
    await endpointAt(service, owner, newPath('c'), ['refund.succeeded']);
    const off = await endpointAt(service, owner, newPath('off'));
    must(await service.updateEndpoint(owner, off.endpoint.id, { enabled: false }));
    await endpointAt(service, newOwner(), newPath('stranger'));
    const eventId = await enqueue(service, owner);
    expect(eventId).toMatch(/^evt_/);
    const deliveries = await deliveriesOf(service, owner);
    expect(deliveries.map((d) => d.endpointId).sort()).toEqual(
      [a.endpoint.id, b.endpoint.id].sort(),
    );
    for (const d of deliveries) {
      expect(d).toMatchObject({ eventId, eventType: TYPE, state: 'pending', attemptCount: 0 });
      expect(d.id).toMatch(/^whd_/);
    }
  });
});

describe('delivery', () => {
  it('retries with growing backoff until the receiver takes it, signed every time', async () => {
    const service = webhooks();
    const owner = newOwner();
    const path = newPath('flaky');
    replies.set(path, (n) => (n <= 2 ? { status: 500, body: 'busy' } : { status: 204 }));
    await endpointAt(service, owner, path);
    const eventId = await enqueue(service, owner);
    const seen: WebhookDelivery[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await service.deliverDue()).toBe(1);
      const delivery = await onlyDelivery(service, owner);
      seen.push(delivery);
      // Not due again until its next attempt.
      expect(await service.deliverDue()).toBe(0);
      if (delivery.nextAttemptAt !== null) {
        clock.advanceMs(delivery.nextAttemptAt.getTime() - clock.nowMs());
      }
    }
    const [first, second, last] = seen as [WebhookDelivery, WebhookDelivery, WebhookDelivery];
    const delay = (d: WebhookDelivery) => d.nextAttemptAt!.getTime() - d.lastAttemptAt!.getTime();
    expect(first).toMatchObject({ state: 'pending', attemptCount: 1, lastStatus: 500 });
    expect(second).toMatchObject({ state: 'pending', attemptCount: 2, lastStatus: 500 });
    expect(delay(first)).toBeGreaterThanOrEqual(24_000);
    expect(delay(second)).toBeGreaterThan(delay(first));
    expect(last).toMatchObject({ state: 'succeeded', attemptCount: 3, lastStatus: 204 });
    expect(last.nextAttemptAt).toBeNull();
    expect(last.succeededAt).toEqual(last.lastAttemptAt);
    expect(last.attempts.map((a) => [a.number, a.kind, a.status])).toEqual([
      [3, 'scheduled', 204],
      [2, 'scheduled', 500],
      [1, 'scheduled', 500],
    ]);
    expect(last.attempts[1]!.responseExcerpt).toBe('busy');
    const received = hitsOf(path);
    expect(received).toHaveLength(3);
    for (const hit of received) {
      expect(hit.verified).toBe(true);
      expect(hit.headers['hebao-event-id']).toBe(eventId);
      expect(hit.headers['content-type']).toBe('application/json');
      expect(hit.headers['user-agent']).toBe('Hebao-Webhooks/1');
      expect(JSON.parse(hit.body)).toEqual({
        id: eventId,
        type: TYPE,
        created: first.createdAt.toISOString(),
        data: { payment_intent_id: 'pi_1', amount: '12.50' },
      });
    }
    expect(new Set(received.map((h) => h.body)).size).toBe(1);
    const endpoint = (await service.listEndpoints(owner))[0]!;
    expect(endpoint.lastSuccessAt).toEqual(last.succeededAt);
  });

  it('gives up after 3 days and marks an endpoint failing that never succeeded meanwhile', async () => {
    const service = webhooks();
    const owner = newOwner();
    const path = newPath('down');
    replies.set(path, () => ({ status: 503 }));
    const { endpoint } = await endpointAt(service, owner, path);
    await enqueue(service, owner);
    const delivery = await retryUntilSettled(service, owner);
    const deadline = delivery.createdAt.getTime() + limits.webhookRetryWindowMs;
    expect(delivery).toMatchObject({ state: 'failed', nextAttemptAt: null, lastStatus: 503 });
    expect(delivery.lastAttemptAt!.getTime()).toBeLessThanOrEqual(deadline);
    expect(delivery.lastAttemptAt!.getTime()).toBeGreaterThan(deadline - limits.webhookRetryMaxMs);
    expect(delivery.attemptCount).toBe(hitsOf(path).length);
    expect(delivery.attemptCount).toBeGreaterThan(10);
    expect(delivery.attemptCount).toBeLessThan(limits.webhookAttemptsPerDeliveryMax);
    expect(delivery.attempts).toHaveLength(limits.webhookAttemptsListedMax);
    const failing = must(await service.getEndpoint(owner, endpoint.id)).endpoint;
    expect(failing.status).toBe('failing');
    expect(failing.disabledReason).toMatch(/no delivery succeeded/);

    // A failing endpoint gets no deliveries of new events, until its owner enables it again.
    await enqueue(service, owner);
    expect(await deliveriesOf(service, owner)).toHaveLength(1);
    const enabled = must(await service.updateEndpoint(owner, endpoint.id, { enabled: true }));
    expect(enabled.endpoint).toMatchObject({ status: 'enabled', disabledReason: null });
    await enqueue(service, owner);
    expect(await deliveriesOf(service, owner)).toHaveLength(2);
  });

  it('does not mark an endpoint failing that took another delivery meanwhile', async () => {
    const service = webhooks();
    const owner = newOwner();
    const path = newPath('picky');
    // Refuses the first event for ever, takes the others.
    let refused: string | undefined;
    replies.set(path, (_n, hit) => {
      const id = (JSON.parse(hit.body) as { id: string }).id;
      refused ??= id;
      return { status: id === refused ? 500 : 200 };
    });
    const { endpoint } = await endpointAt(service, owner, path);
    await enqueue(service, owner);
    expect(await service.deliverDue()).toBe(1);
    clock.advanceMs(24 * 3_600_000);
    await enqueue(service, owner);
    const settled = await retryUntilSettled(service, owner);
    expect(settled.state).toBe('failed');
    expect(must(await service.getEndpoint(owner, endpoint.id)).endpoint.status).toBe('enabled');
  });

  it('never follows a redirect', async () => {
    const service = webhooks();
    const owner = newOwner();
    const path = newPath('moved');
    const target = newPath('target');
    replies.set(path, () => ({ status: 302, headers: { location: urlOf(target) } }));
    await endpointAt(service, owner, path);
    await enqueue(service, owner);
    await service.deliverDue();
    const delivery = await onlyDelivery(service, owner);
    expect(delivery).toMatchObject({
      state: 'pending',
      lastStatus: 302,
      lastError: 'redirects are not followed',
    });
    expect(hitsOf(path)).toHaveLength(1);
    expect(hitsOf(target)).toHaveLength(0);
  });

  it('through an injected fetch: signed, and redirects not followed either', async () => {
    const calls: RequestInit[] = [];
    const spy: typeof fetch = (input, init) => {
      calls.push(init ?? {});
      return fetch(input, init);
    };
    const service = webhooks({ fetch: spy });
    const owner = newOwner();
    const ok = newPath('fetch-ok');
    const moved = newPath('fetch-moved');
    const target = newPath('fetch-target');
    replies.set(moved, () => ({ status: 301, headers: { location: urlOf(target) } }));
    await endpointAt(service, owner, ok);
    await endpointAt(service, owner, moved);
    await enqueue(service, owner);
    expect(await service.deliverDue()).toBe(2);
    expect(calls.map((c) => c.redirect)).toEqual(['manual', 'manual']);
    const byPath = await deliveriesOf(service, owner);
    expect(byPath.map((d) => d.state).sort()).toEqual(['pending', 'succeeded']);
    expect(hitsOf(ok).map((h) => h.verified)).toEqual([true]);
    expect(hitsOf(moved)).toHaveLength(1);
    expect(hitsOf(target)).toHaveLength(0);
  });

  it('re-checks the address before each attempt and connects to the address it checked', async () => {
    // shop.test exists only in this resolver: a delivery that reaches the receiver connected to
    // the checked address instead of asking the system's DNS again.
    const answers = new Map([['shop.test', ['127.0.0.1']]]);
    const resolver: WebhookResolver = async (host) =>
      (answers.get(host) ?? []).map((address) => ({ address, family: 4 }));
    const service = webhooks({ resolver });
    const owner = newOwner();
    const path = newPath('rebind');
    const created = must(
      await service.createEndpoint(owner, {
        url: `http://shop.test:${port}${path}`,
        eventTypes: [TYPE],
      }),
    );
    secrets.set(path, [created.secret]);
    await enqueue(service, owner);
    await service.deliverDue();
    expect(hitsOf(path).map((h) => h.verified)).toEqual([true]);
    expect(hitsOf(path)[0]!.headers.host).toBe(`shop.test:${port}`);

    answers.set('shop.test', ['127.0.0.1', '10.0.0.1']);
    const second = await enqueue(service, owner);
    await service.deliverDue();
    const rebound = (await deliveriesOf(service, owner)).find((d) => d.eventId === second);
    expect(rebound).toMatchObject({ state: 'pending', lastStatus: null });
    expect(rebound!.lastError).toMatch(/^webhook_url_forbidden_address/);
    expect(hitsOf(path)).toHaveLength(1);
  });

  it('records network errors and keeps only an excerpt of long responses', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const service = webhooks();
    const owner = newOwner();
    const long = newPath('long');
    replies.set(long, () => ({ status: 200, body: '荷'.repeat(5000) }));
    await endpointAt(service, owner, long);
    must(
      await service.createEndpoint(owner, {
        url: `http://127.0.0.1:${closedPort}/gone`,
        eventTypes: [TYPE],
      }),
    );
    await enqueue(service, owner);
    expect(await service.deliverDue()).toBe(2);
    const deliveries = await deliveriesOf(service, owner);
    const refused = deliveries.find((d) => d.state === 'pending')!;
    expect(refused.lastStatus).toBeNull();
    expect(refused.lastError).toMatch(/ECONNREFUSED/);
    const taken = deliveries.find((d) => d.state === 'succeeded')!;
    const excerpt = taken.attempts[0]!.responseExcerpt!;
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(limits.webhookResponseExcerptBytesMax);
    expect(excerpt.length).toBeGreaterThan(300);
  });

  it('parks the deliveries of a disabled endpoint and resumes them when it is enabled', async () => {
    const service = webhooks();
    const owner = newOwner();
    const path = newPath('paused');
    const { endpoint } = await endpointAt(service, owner, path);
    await enqueue(service, owner);
    const disabled = must(await service.updateEndpoint(owner, endpoint.id, { enabled: false }));
    expect(disabled.endpoint).toMatchObject({ status: 'disabled' });
    expect(await service.deliverDue()).toBe(1);
    const parked = await onlyDelivery(service, owner);
    expect(parked.state).toBe('pending');
    expect(parked.nextAttemptAt!.getTime()).toBe(
      parked.createdAt.getTime() + limits.webhookRetryWindowMs,
    );
    expect(hitsOf(path)).toHaveLength(0);
    await enqueue(service, owner);
    expect(await deliveriesOf(service, owner)).toHaveLength(1);
    must(await service.updateEndpoint(owner, endpoint.id, { enabled: true }));
    expect(await service.deliverDue()).toBe(1);
    expect((await onlyDelivery(service, owner)).state).toBe('succeeded');
    expect(hitsOf(path)).toHaveLength(1);
  });

  it('delivers each delivery exactly once when workers run at once', async () => {
    const services = [webhooks(), ...[1, 2, 3].map(() => webhooks({ pool: db.newPool(5) }))];
    const owner = newOwner();
    const paths = [newPath('crowd'), newPath('crowd'), newPath('crowd')];
    for (const path of paths) {
      replies.set(path, () => ({ status: 200, delayMs: 15 }));
      await endpointAt(services[0]!, owner, path);
    }
    const events = 20;
    for (let i = 0; i < events; i++) await enqueue(services[0]!, owner);
    let handled = 0;
    for (let pass = 0; pass < 10; pass++) {
      const counts = await Promise.all(services.map((s) => s.deliverDue()));
      handled += counts.reduce((a, b) => a + b, 0);
    }
    const total = paths.length * events;
    expect(handled).toBe(total);
    const received = hits.filter((h) => paths.includes(h.path));
    expect(received).toHaveLength(total);
    const keys = received.map((h) => `${h.path} ${String(h.headers['hebao-event-id'])}`);
    expect(new Set(keys).size).toBe(total);
    expect(received.every((h) => h.verified)).toBe(true);
    const deliveries = await deliveriesOf(services[0]!, owner);
    expect(deliveries.every((d) => d.state === 'succeeded' && d.attemptCount === 1)).toBe(true);
  });
});

describe('resend and rotation', () => {
  it('resends any delivery now and logs the attempt', async () => {
    const service = webhooks();
    const owner = newOwner();
    const path = newPath('resend');
    replies.set(path, (n) => ({ status: n === 1 ? 500 : 200 }));
    await endpointAt(service, owner, path);
    const eventId = await enqueue(service, owner);
    await service.deliverDue();
    const pending = await onlyDelivery(service, owner);
    expect(pending.state).toBe('pending');
    const resent = must(await service.resend(owner, pending.id));
    expect(resent.attempt).toMatchObject({ number: 2, kind: 'resend', status: 200, error: null });
    expect(resent.delivery).toMatchObject({ state: 'succeeded', attemptCount: 2 });
    expect(resent.delivery.attempts[0]).toEqual(resent.attempt);
    const again = must(await service.resend(owner, pending.id));
    expect(again.delivery).toMatchObject({ state: 'succeeded', attemptCount: 3 });
    expect(again.delivery.attempts.map((a) => a.kind)).toEqual(['resend', 'resend', 'scheduled']);
    expect(hitsOf(path).map((h) => h.headers['hebao-event-id'])).toEqual([
      eventId,
      eventId,
      eventId,
    ]);
    await db.pool.query('UPDATE webhook_deliveries SET attempts = $2 WHERE id = $1', [
      pending.id,
      limits.webhookAttemptsPerDeliveryMax,
    ]);
    expect(codeOf(await service.resend(owner, pending.id))).toBe(
      'webhook_delivery_attempts_exhausted',
    );
    expect(codeOf(await service.resend(owner, 'whd_00000000000000000000000000'))).toBe(
      'webhook_delivery_not_found',
    );
  });

  it('signs with the old and the new secret after a rotation, unless the old one is revoked', async () => {
    const service = webhooks();
    const owner = newOwner();
    const path = newPath('rotate');
    const { endpoint, secret: old } = await endpointAt(service, owner, path);
    const rotated = must(await service.rotateSecret(owner, endpoint.id));
    expect(rotated.secret).toMatch(WEBHOOK_SECRET_PATTERN);
    expect(rotated.secret).not.toBe(old);
    expect(rotated.endpoint.previousSecretExpiresAt!.getTime()).toBe(
      clock.nowMs() + limits.webhookSecretOverlapMs,
    );
    secrets.set(path, [old, rotated.secret]);
    await enqueue(service, owner);
    await service.deliverDue();
    const [first] = hitsOf(path);
    expect(first!.verified).toBe(true);
    expect(String(first!.headers['hebao-signature']).match(/v1=/g)).toHaveLength(2);

    const revoked = must(
      await service.rotateSecret(owner, endpoint.id, { expirePreviousNow: true }),
    );
    expect(revoked.endpoint.previousSecretExpiresAt).toBeNull();
    secrets.set(path, [revoked.secret]);
    await enqueue(service, owner);
    await service.deliverDue();
    const second = hitsOf(path)[1]!;
    expect(second.verified).toBe(true);
    expect(String(second.headers['hebao-signature']).match(/v1=/g)).toHaveLength(1);
    const nowSeconds = Math.floor(clock.nowMs() / 1000);
    const header = String(second.headers['hebao-signature']);
    expect(verifyWebhookSignature(header, second.body, old, nowSeconds).ok).toBe(false);
  });
});

describe('listings', () => {
  it('pages deliveries newest first and bounds the attempts shown', async () => {
    const service = webhooks();
    const owner = newOwner();
    const { endpoint } = await endpointAt(service, owner, newPath('pages'));
    await endpointAt(service, owner, newPath('pages-other'));
    for (let i = 0; i < 3; i++) {
      await enqueue(service, owner);
      clock.advanceMs(1);
    }
    const seen: string[] = [];
    let startingAfter: string | undefined;
    const pages: boolean[] = [];
    do {
      const page = must(
        await service.listDeliveries(owner, { endpointId: endpoint.id, limit: 2, startingAfter }),
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((d) => d.id));
      pages.push(page.hasMore);
      startingAfter = page.hasMore ? page.data.at(-1)!.id : undefined;
    } while (startingAfter !== undefined);
    expect(pages).toEqual([true, false]);
    expect(seen).toHaveLength(3);
    expect(seen).toEqual([...seen].sort().reverse());
    const all = must(await service.listDeliveries(owner, { limit: 100 })).data;
    expect(all).toHaveLength(6);

    const target = seen[0]!;
    const attempts = 12;
    await db.pool.query(
      `INSERT INTO webhook_attempts (delivery_id, number, kind, attempted_at, status, duration_ms)
       SELECT $1, n, 'scheduled', $2, 500, 1 FROM generate_series(1, $3::int) AS n`,
      [target, now(), attempts],
    );
    const delivery = must(await service.getDelivery(owner, target)).delivery;
    expect(delivery.attempts.map((a) => a.number)).toEqual(
      Array.from({ length: limits.webhookAttemptsListedMax }, (_, i) => attempts - i),
    );
    await expect(
      service.listDeliveries(owner, { limit: limits.pageSizeMax + 1 }),
    ).rejects.toThrow();
  });
});

/** Runs the worker at each due time of the owner's oldest delivery until it is settled. */
async function retryUntilSettled(service: Webhooks, owner: string): Promise<WebhookDelivery> {
  for (let i = 0; i < 3 * limits.webhookAttemptsPerDeliveryMax; i++) {
    const all = await deliveriesOf(service, owner);
    const oldest = all.at(-1)!;
    if (oldest.state !== 'pending') return oldest;
    const due = Math.min(
      ...all.flatMap((d) => (d.nextAttemptAt ? [d.nextAttemptAt.getTime()] : [])),
    );
    if (due > clock.nowMs()) clock.advanceMs(due - clock.nowMs());
    await service.deliverDue();
  }
  throw new Error('the delivery never settled');
}

describe('retention', () => {
  it('forgets finished deliveries and their events after the retention, never pending ones', async () => {
    const service = webhooks();
    const owner = newOwner();
    const done = newPath('retained');
    await endpointAt(service, owner, done);
    const delivered = await enqueue(service, owner);
    await service.deliverDue();
    const failing = newPath('still-pending');
    replies.set(failing, () => ({ status: 500 }));
    const other = newOwner();
    await endpointAt(service, other, failing);
    const pending = await enqueue(service, other);
    await service.deliverDue();
    const rowsOf = async (eventId: string) =>
      (
        await db.pool.query(
          `SELECT (SELECT count(*) FROM webhook_events WHERE id = $1)::int AS events,
                  (SELECT count(*) FROM webhook_deliveries WHERE event_id = $1)::int AS deliveries`,
          [eventId],
        )
      ).rows[0];
    expect(await service.purgeExpired()).toBe(0);
    clock.advanceMs(limits.webhookRetentionMs + 1000);
    expect(await service.purgeExpired()).toBeGreaterThanOrEqual(2);
    expect(await rowsOf(delivered)).toEqual({ events: 0, deliveries: 0 });
    // A delivery still pending (its retries were never run to the end here) stays, and its event.
    expect(await rowsOf(pending)).toEqual({ events: 1, deliveries: 1 });
  });
});
