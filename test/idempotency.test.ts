/**
 * Goal: `Idempotency-Key` behaves as API.md says — the first response (success or a failure
 * after validation) is replayed for the same key and request, a different request with the key
 * is 422, a key still running is 409, concurrent requests with one key run the operation once,
 * server faults are not stored, and keys are scoped to the caller.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError, type TypeBoxTypeProvider } from '../src/http/index.js';
import { limits } from '../src/limits.js';
import { createIdentityHarness, type IdentityHarness, type SignedInUser } from './identity-app.js';

let executions = 0;

const testRoutes: FastifyPluginAsync = async (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/test/orders',
    {
      config: { auth: 'user', idempotency: 'required' },
      schema: {
        body: Type.Object(
          { item: Type.String(), outcome: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      executions += 1;
      const n = executions;
      await sleep(20);
      if (request.body.outcome === 'refused') {
        throw new ProblemError('test_refused', {
          spec: { status: 409, retryable: false, title: { en: 'Refused', 'zh-CN': '拒绝' } },
        });
      }
      if (request.body.outcome === 'crash') throw new Error('boom');
      return reply.code(201).send({ order: n, item: request.body.item });
    },
  );
};

let h: IdentityHarness;
let alice: SignedInUser;
let aliceLogin: string;
let bob: SignedInUser;
beforeAll(async () => {
  h = await createIdentityHarness({ routes: [testRoutes] });
  aliceLogin = await h.createUser();
  alice = await h.signIn(aliceLogin);
  bob = await h.signIn(await h.createUser());
});
afterAll(async () => {
  await h.app.close();
});

function order(user: SignedInUser, key: string | undefined, body: Record<string, string>) {
  return h.inject({
    method: 'POST',
    url: '/test/orders',
    headers: { ...user.bearer, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: body,
  });
}

describe('Idempotency-Key', () => {
  it('is required where the route says so', async () => {
    const response = await order(alice, undefined, { item: 'tea' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'idempotency_key_required',
      param: 'Idempotency-Key',
    });
  });

  it('refuses a key that is not 1 to 255 printable ASCII characters', async () => {
    for (const key of ['x'.repeat(256), 'key with spaces']) {
      const response = await order(alice, key, { item: 'tea' });
      expect(response.json()).toMatchObject({
        code: 'validation_failed',
        param: 'Idempotency-Key',
      });
    }
  });

  it('replays the first response for the same key and request', async () => {
    const before = executions;
    const first = await order(alice, 'order-1', { item: 'tea' });
    expect(first.statusCode).toBe(201);
    const again = await order(alice, 'order-1', { item: 'tea' });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(executions).toBe(before + 1);
  });

  it('answers 422 for the same key with another request, and changes nothing', async () => {
    await order(alice, 'order-2', { item: 'tea' });
    const before = executions;
    const other = await order(alice, 'order-2', { item: 'coffee' });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency_key_reused');
    expect(executions).toBe(before);
  });

  it('runs the operation once for 50 concurrent requests with one key', async () => {
    const before = executions;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => order(alice, 'order-burst', { item: 'tea' })),
    );
    expect(executions).toBe(before + 1);
    const created = responses.filter((r) => r.statusCode === 201);
    const running = responses.filter((r) => r.statusCode === 409);
    expect(created.length + running.length).toBe(50);
    expect(new Set(created.map((r) => r.body)).size).toBe(1);
    for (const r of running) {
      expect(r.json().code).toBe('idempotency_key_in_progress');
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    const later = await order(alice, 'order-burst', { item: 'tea' });
    expect(later.body).toBe(created[0]?.body ?? later.body);
    expect(later.statusCode).toBe(201);
  });

  it('stores a failure after validation and replays it', async () => {
    const before = executions;
    const first = await order(alice, 'order-3', { item: 'tea', outcome: 'refused' });
    expect(first.statusCode).toBe(409);
    const again = await order(alice, 'order-3', { item: 'tea', outcome: 'refused' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(executions).toBe(before + 1);
  });

  it('does not record a request that fails validation', async () => {
    const invalid = await order(alice, 'order-4', { item: 'tea', unknown: 'x' });
    expect(invalid.statusCode).toBe(400);
    const valid = await order(alice, 'order-4', { item: 'tea' });
    expect(valid.statusCode).toBe(201);
  });

  it('does not store a server fault, so a retry runs again', async () => {
    const before = executions;
    expect((await order(alice, 'order-5', { item: 'tea', outcome: 'crash' })).statusCode).toBe(500);
    expect((await order(alice, 'order-5', { item: 'tea', outcome: 'crash' })).statusCode).toBe(500);
    expect(executions).toBe(before + 2);
  });

  it('scopes keys to the caller', async () => {
    const mine = await order(alice, 'shared-key', { item: 'tea' });
    const theirs = await order(bob, 'shared-key', { item: 'tea' });
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().order).not.toBe(mine.json().order);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
  });

  it('keeps a key for 24 hours, then lets it be used again', async () => {
    const first = await order(alice, 'order-6', { item: 'tea' });
    h.clock.advanceMs(limits.idempotencyRetentionMs - 1000);
    // Sessions end long before a day has passed: sign in again, the key is the user's.
    alice = await h.signIn(aliceLogin);
    expect((await order(alice, 'order-6', { item: 'tea' })).body).toBe(first.body);
    h.clock.advanceMs(2000);
    const reused = await order(alice, 'order-6', { item: 'coffee' });
    expect(reused.statusCode).toBe(201);
    expect(reused.json().item).toBe('coffee');
  });

  it('takes over a claim whose request died, once its lock has passed', async () => {
    const claimedAt = h.clock.nowMs() - 2 * limits.idempotencyLockMs;
    await h.db.pool.query(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, state, created_at, locked_until)
       SELECT 'user:' || $1, 'order-7', fingerprint, 'in_progress', $2, $3
         FROM idempotency_keys WHERE scope = 'user:' || $1 AND key = 'order-1'`,
      [alice.userId, new Date(claimedAt), new Date(claimedAt + limits.idempotencyLockMs)],
    );
    // A different request is still refused; the same one (same fingerprint) runs.
    expect((await order(alice, 'order-7', { item: 'coffee' })).statusCode).toBe(422);
    expect((await order(alice, 'order-7', { item: 'tea' })).statusCode).toBe(201);
  });
});
