/**
 * Goal: sign-up, contact verification, sign-in and its guessing limits behave as the identity
 * issue says, through the real HTTP API over a real database: every documented error, nothing
 * half-created, unknown logins indistinguishable from wrong passwords, and lockouts that hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../src/limits.js';
import {
  createIdentityHarness,
  freshPhone,
  PASSWORD,
  type IdentityHarness,
} from './identity-app.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await createIdentityHarness();
});
afterAll(async () => {
  await h.app.close();
});

function register(payload: Record<string, unknown>) {
  return h.inject({ method: 'POST', url: '/v1/auth/register', payload });
}

function login(
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
  remoteAddress?: string,
) {
  return h.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload,
    headers,
    ...(remoteAddress === undefined ? {} : { remoteAddress }),
  });
}

async function count(table: string): Promise<number> {
  const { rows } = await h.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

const base = { password: PASSWORD, display_name: 'Li Lei', locale: 'zh-CN' };

describe('registration', () => {
  it('creates an unverified user and sends a code to the phone', async () => {
    const phone = freshPhone();
    const response = await register({ ...base, phone: phone.slice(3) });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body.user).toMatchObject({ phone, email: null, contact_verified: false, kyc_tier: 1 });
    expect(body.verification).toMatchObject({ channel: 'sms', sent_to: phone });
    const [message] = await h.inbox(phone);
    expect(message?.body).toMatch(/【荷包】您的验证码是 [0-9]{6}/);
  });

  it('normalises email addresses and sends the code by email', async () => {
    const response = await register({ ...base, email: '  Mei.Han@Example.COM ', locale: 'en' });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().user.email).toBe('mei.han@example.com');
    const [message] = await h.inbox('mei.han@example.com');
    expect(message?.subject).toBe('Your Hebao verification code');
  });

  it.each([
    ['both contacts', { phone: '13800000000', email: 'a@example.com' }, 'contact_required'],
    ['no contact', {}, 'contact_required'],
    ['a landline', { phone: '01012345678' }, 'phone_invalid'],
    ['+86 non-mobile', { phone: '+861012345678' }, 'phone_invalid'],
    ['a bad email', { email: 'not-an-email' }, 'email_invalid'],
  ])('refuses %s', async (_name, contact, code) => {
    const response = await register({ ...base, ...contact });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().code).toBe(code);
  });

  it.each([
    ['a 14-character password', 'abcdefghijklmn', 'password_too_short'],
    ['a 129-character password', 'x'.repeat(64) + 'y'.repeat(65), 'password_too_long'],
    ['a common password', 'passwordpassword', 'password_too_common'],
    [
      'the login inside the password',
      'my number 13912340000 rocks',
      'password_contains_personal_info',
    ],
  ])('refuses %s', async (_name, password, code) => {
    const response = await register({ ...base, phone: '13912340000', password });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ code, param: 'password' });
  });

  it('refuses a contact that is already registered, in any spelling', async () => {
    const phone = freshPhone();
    expect((await register({ ...base, phone })).statusCode).toBe(201);
    const again = await register({ ...base, phone: `+86 ${phone.slice(3, 6)} ${phone.slice(6)}` });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('contact_already_registered');
  });

  it('leaves nothing behind when it fails: no user, no session, no message, no audit entry', async () => {
    const before = await Promise.all(
      ['users', 'sessions', 'outbox_messages', 'audit_log', 'one_time_codes'].map(count),
    );
    const attempts = [
      { ...base, phone: '13912340001', password: 'short' },
      { ...base, phone: '13912340001', unknown_field: true },
      { ...base, phone: '13912340001', locale: 'fr' },
      { ...base, phone: '13912340001', display_name: '' },
    ];
    for (const payload of attempts) expect((await register(payload)).statusCode).toBe(400);
    const after = await Promise.all(
      ['users', 'sessions', 'outbox_messages', 'audit_log', 'one_time_codes'].map(count),
    );
    expect(after).toEqual(before);
  });

  it('rejects unknown fields and oversized bodies as problem+json', async () => {
    const unknown = await register({ ...base, phone: freshPhone(), admin: true });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'validation_failed', param: 'admin' });
    const huge = await h.inject({
      method: 'POST',
      url: '/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ...base, phone: freshPhone(), display_name: 'x'.repeat(70_000) }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('body_too_large');
  });
});

describe('contact verification', () => {
  it('verifies with the newest code, once', async () => {
    const phone = freshPhone();
    await register({ ...base, phone });
    const code = await h.latestCode(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    const bad = await h.inject({
      method: 'POST',
      url: '/v1/auth/verify-contact',
      payload: { login: phone, code: wrong },
    });
    expect(bad.json()).toMatchObject({ code: 'verification_code_invalid', param: 'code' });
    const ok = await h.inject({
      method: 'POST',
      url: '/v1/auth/verify-contact',
      payload: { login: phone, code },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().user.contact_verified).toBe(true);
    const again = await h.inject({
      method: 'POST',
      url: '/v1/auth/verify-contact',
      payload: { login: phone, code },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('contact_already_verified');
  });

  it('kills a code after five wrong tries', async () => {
    const phone = freshPhone();
    await register({ ...base, phone });
    const code = await h.latestCode(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    const codes: string[] = [];
    for (let i = 0; i < limits.oneTimeCodeFailuresMax; i++) {
      const r = await h.inject({
        method: 'POST',
        url: '/v1/auth/verify-contact',
        payload: { login: phone, code: wrong },
      });
      codes.push(r.json().code);
    }
    expect(codes.at(-1)).toBe('too_many_attempts');
    const right = await h.inject({
      method: 'POST',
      url: '/v1/auth/verify-contact',
      payload: { login: phone, code },
    });
    expect(right.statusCode).toBe(429);
  });

  it('expires codes after ten minutes and lets the user ask for a new one after a minute', async () => {
    const phone = freshPhone();
    await register({ ...base, phone });
    const first = await h.latestCode(phone);
    const tooSoon = await h.inject({
      method: 'POST',
      url: '/v1/auth/verify-contact/resend',
      payload: { login: phone },
    });
    expect(tooSoon.statusCode).toBe(429);
    expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThan(0);
    h.clock.advanceMs(limits.oneTimeCodeTtlMs + 1);
    const expired = await h.inject({
      method: 'POST',
      url: '/v1/auth/verify-contact',
      payload: { login: phone, code: first },
    });
    expect(expired.json().code).toBe('verification_code_invalid');
    const resent = await h.inject({
      method: 'POST',
      url: '/v1/auth/verify-contact/resend',
      payload: { login: phone },
    });
    expect(resent.statusCode).toBe(202);
    const ok = await h.inject({
      method: 'POST',
      url: '/v1/auth/verify-contact',
      payload: { login: phone, code: await h.latestCode(phone) },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('answers a resend for an unknown login exactly like a known one', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/v1/auth/verify-contact/resend',
      payload: { login: freshPhone() },
    });
    expect(response.statusCode).toBe(202);
  });
});

describe('sign-in', () => {
  it('returns a session token, a CSRF token, cookies and a device token', async () => {
    const phone = await h.createUser();
    const response = await login({ login: phone, password: PASSWORD, device_name: 'Test phone' });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.token).toMatch(/^hbs_[A-Za-z0-9_-]{43}$/);
    expect(body.device_token).toMatch(/^hbd_/);
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith('hebao_session='));
    expect(session).toContain('HttpOnly');
    expect(session).toContain('SameSite=Strict');
    expect(session).not.toContain('Secure'); // plain http in this test; https adds it
    expect(cookies.find((c) => c.startsWith('hebao_csrf='))).not.toContain('HttpOnly');
    const { rows } = await h.db.pool.query('SELECT token_hash FROM sessions WHERE id = $1', [
      body.session_id,
    ]);
    expect(rows[0].token_hash.toString('hex')).not.toContain(
      Buffer.from(body.token).toString('hex'),
    );
  });

  it('lets an unverified user sign in, but not move money', async () => {
    const phone = freshPhone();
    await register({ ...base, phone });
    const response = await login({ login: phone, password: PASSWORD });
    expect(response.statusCode).toBe(200);
    expect(response.json().user.contact_verified).toBe(false);
    const verified = await h.identity.requireVerified(response.json().user.id);
    expect(verified).toMatchObject({ ok: false, code: 'contact_not_verified' });
  });

  it('answers an unknown login and a wrong password identically', async () => {
    const phone = await h.createUser();
    const unknown = await login({ login: freshPhone(), password: 'wrong password 12345' });
    const wrong = await login({ login: phone, password: 'wrong password 12345' });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    const strip = (r: typeof unknown) => ({ ...r.json(), request_id: undefined });
    expect(strip(unknown)).toEqual(strip(wrong));
    expect(unknown.json().code).toBe('invalid_credentials');
    const headerNames = (r: typeof unknown) =>
      Object.keys(r.headers)
        .filter((k) => !k.startsWith('ratelimit') && k !== 'x-request-id' && k !== 'date')
        .sort();
    expect(headerNames(unknown)).toEqual(headerNames(wrong));
  });

  it('takes as long for an unknown login as for a wrong password (within a few ms)', async () => {
    const phone = await h.createUser();
    // From an address of its own, so that these failures count against no other test's IP.
    const time = async (payload: Record<string, unknown>) => {
      const started = performance.now();
      await login(payload, {}, '198.51.100.7');
      return performance.now() - started;
    };
    // Paired and interleaved, from a fresh login each time so that no delay is ever reached:
    // the median of the per-pair differences is robust against a busy machine slowing a few.
    const differences: number[] = [];
    for (let i = 0; i < 11; i++) {
      const unknown = await time({ login: freshPhone(), password: 'wrong password 12345' });
      const wrong = await time({ login: phone, password: 'wrong password 12345' });
      differences.push(unknown - wrong);
      h.clock.advanceMs(limits.loginDelayMaxMs);
    }
    const median = [...differences].sort((a, b) => a - b)[Math.floor(differences.length / 2)]!;
    expect(
      Math.abs(median),
      `differences (ms): ${differences.map((d) => d.toFixed(1))}`,
    ).toBeLessThan(5);
  });

  it('locks the login after 20 wrong passwords: the right one is refused with Retry-After', async () => {
    const phone = await h.createUser();
    const statuses: number[] = [];
    for (let i = 0; i < limits.loginFailuresLock; i++) {
      const response = await login({ login: phone, password: `wrong password ${i} xx` });
      statuses.push(response.statusCode);
      // Wait out each growing delay, so that every one of the 20 tries is a real guess.
      h.clock.advanceMs(limits.loginDelayMaxMs);
    }
    expect(statuses).toEqual(Array(limits.loginFailuresLock).fill(401));
    const locked = await login({ login: phone, password: PASSWORD });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().code).toBe('login_locked');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(30 * 60);
    expect(retryAfter).toBeLessThanOrEqual(limits.loginLockMs / 1000);
    const inbox = await h.inbox(phone);
    expect(inbox[0]?.subject).toBe('Sign-in to your Hebao account is locked');
    h.clock.advanceMs(retryAfter * 1000);
    const after = await login({ login: phone, password: PASSWORD });
    expect(after.statusCode, after.body).toBe(200);
  });

  it('delays guesses after five failures, and an unknown login is delayed the same way', async () => {
    for (const phone of [await h.createUser(), freshPhone()]) {
      for (let i = 0; i < limits.loginFailuresFree; i++) {
        expect((await login({ login: phone, password: 'wrong password 12345' })).statusCode).toBe(
          401,
        );
      }
      const delayed = await login({ login: phone, password: 'wrong password 12345' });
      expect(delayed.statusCode).toBe(429);
      expect(delayed.headers['retry-after']).toBe('1');
      h.clock.advanceMs(limits.loginDelayBaseMs);
    }
  });

  it('counts concurrent guesses before checking them, so a burst gets no more tries', async () => {
    const phone = await h.createUser();
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => login({ login: phone, password: 'wrong password 12345' })),
    );
    const guessed = responses.filter((r) => r.statusCode === 401).length;
    expect(guessed).toBe(limits.loginFailuresFree);
    expect(responses.filter((r) => r.statusCode === 429)).toHaveLength(30 - guessed);
  });

  it('refuses a malformed login with a validation code, not a guess', async () => {
    const response = await login({ login: 'nobody', password: PASSWORD });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'login_invalid', param: 'login' });
  });
});

describe('development inbox', () => {
  it('does not exist in production', async () => {
    const production = await createIdentityHarness({ env: 'production' });
    const response = await production.inject({
      method: 'GET',
      url: '/v1/dev/inbox?to=13800000000',
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('route_not_found');
    await production.app.close();
  });
});

describe('rate limits', () => {
  it('answers 429 problem+json with Retry-After and RateLimit headers', async () => {
    const limited = await createIdentityHarness({ rateLimitPerMinute: 10 });
    let last = await limited.inject({ method: 'GET', url: '/healthz' });
    expect(last.headers['ratelimit-limit']).toBe('10');
    expect(last.headers['ratelimit-policy']).toBe('10;w=60');
    for (let i = 0; i < 10; i++) last = await limited.inject({ method: 'GET', url: '/healthz' });
    expect(last.statusCode).toBe(429);
    expect(last.headers['content-type']).toContain('application/problem+json');
    expect(last.json().code).toBe('rate_limited');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(last.headers['ratelimit-remaining']).toBe('0');
    await limited.app.close();
  });
});
