/**
 * Goal: a signed-in user's open event stream (Server-Sent Events) receives incoming money,
 * balance changes and security alerts as they are committed, and GET /v1/events lists them.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../src/limits.js';
import { createIdentityHarness, type IdentityHarness, type SignedInUser } from './identity-app.js';

let h: IdentityHarness;
let base: string;
beforeAll(async () => {
  h = await createIdentityHarness();
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await h.app.close();
});

interface Stream {
  readonly response: IncomingMessage;
  /** Resolves with the data of the first event of this type. */
  next(type: string): Promise<Record<string, unknown>>;
  close(): void;
}

function openStream(user: SignedInUser): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/v1/events/stream`, { headers: user.bearer }, (response) => {
      let buffer = '';
      const waiting: Array<{ type: string; resolve: (data: Record<string, unknown>) => void }> = [];
      const seen: Array<{ type: string; data: Record<string, unknown> }> = [];
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (type === undefined || data === undefined) continue;
          const event = { type, data: JSON.parse(data) as Record<string, unknown> };
          seen.push(event);
          for (const w of waiting.filter((x) => x.type === type)) w.resolve(event.data);
        }
      });
      resolve({
        response,
        next: (type) =>
          new Promise((done) => {
            const found = seen.find((e) => e.type === type);
            if (found !== undefined) done(found.data);
            else waiting.push({ type, resolve: done });
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function payee(): Promise<SignedInUser> {
  return h.signIn(await h.createUser());
}

describe('event stream', () => {
  it('pushes incoming money and the balance change to the payee', async () => {
    const alice = await h.signIn(await h.createUser());
    await h.fund(alice.userId, 10_000n);
    const bob = await payee();
    const stream = await openStream(bob);
    expect(stream.response.headers['content-type']).toContain('text/event-stream');
    const paid = await h.inject({
      method: 'POST',
      url: '/v1/transfers',
      headers: { ...alice.bearer, 'idempotency-key': randomUUID() },
      payload: {
        recipient: bob.userId,
        amount: { amount: '12.00', currency: 'CNY' },
        confirm_new_payee: true,
      },
    });
    expect(paid.statusCode, paid.body).toBe(201);
    const received = await stream.next('transfer.received');
    expect(received['data']).toMatchObject({ transfer_id: paid.json().id, amount_minor: '1200' });
    await stream.next('balance.changed');
    stream.close();
    const listed = await h.inject({ method: 'GET', url: '/v1/events', headers: bob.bearer });
    const types = (listed.json().data as Array<{ type: string }>).map((e) => e.type).sort();
    expect(types).toEqual(['balance.changed', 'transfer.received']);
  });

  it('pushes a security alert when the account signs in on a new device', async () => {
    const login = await h.createUser();
    const first = await h.signIn(login);
    const stream = await openStream(first);
    await h.signIn(login);
    expect(await stream.next('security.alert')).toMatchObject({ data: { kind: 'new_device' } });
    stream.close();
  });

  it('ends the stream when its session is signed out', async () => {
    const me = await payee();
    const stream = await openStream(me);
    const ended = new Promise<void>((resolve) => stream.response.on('end', resolve));
    await h.inject({ method: 'POST', url: '/v1/auth/logout', headers: me.bearer });
    await ended;
  });

  it('needs a session, and bounds the streams one user may hold open', async () => {
    const anonymous = await h.inject({ method: 'GET', url: '/v1/events/stream' });
    expect(anonymous.statusCode).toBe(401);
    const me = await payee();
    const streams = await Promise.all(
      Array.from({ length: limits.eventStreamsPerUserMax }, () => openStream(me)),
    );
    const extra = await openStream(me);
    expect(extra.response.statusCode).toBe(429);
    extra.close();
    for (const s of streams) s.close();
  });
});
