/**
 * Goal: sessions are bearer or cookie credentials that end when they should — on logout, on
 * revocation (from the very next request), after idle and absolute lifetimes, and when the
 * password changes — and cookie requests that change state need the CSRF token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../src/limits.js';
import {
  createIdentityHarness,
  PASSWORD,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  type IdentityHarness,
  type SignedInUser,
} from './identity-app.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await createIdentityHarness();
});
afterAll(async () => {
  await h.app.close();
});

function me(user: Pick<SignedInUser, 'bearer'>) {
  return h.inject({ method: 'GET', url: '/v1/me', headers: user.bearer });
}

describe('authentication', () => {
  it.each([
    ['no credentials', {}],
    ['an unknown token', { authorization: 'Bearer hbs_unknown' }],
    ['a malformed header', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['an unknown cookie', { cookie: 'hebao_session=hbs_nope' }],
  ])('answers 401 unauthenticated for %s', async (_name, headers) => {
    for (const [method, url] of [
      ['GET', '/v1/me'],
      ['PATCH', '/v1/me'],
      ['GET', '/v1/me/sessions'],
      ['DELETE', '/v1/me/sessions/ses_01JD3Z8W6Q2X4T9V5N7M3K1H0G'],
      ['POST', '/v1/me/sessions/sign-out-others'],
      ['GET', '/v1/me/devices'],
      ['GET', '/v1/me/security-events'],
      ['POST', '/v1/me/password'],
      ['POST', '/v1/auth/logout'],
    ] as const) {
      const response = await h.inject({
        method,
        url,
        headers,
        ...(method === 'GET' ? {} : { payload: {} }),
      });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
      expect(response.json().code).toBe('unauthenticated');
    }
  });

  it('accepts the session cookie for reads, and for writes only with the CSRF token', async () => {
    const user = await h.signIn(await h.createUser());
    const read = await h.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { cookie: user.cookies },
    });
    expect(read.statusCode).toBe(200);
    const patch = { display_name: 'New Name' };
    const noCsrf = await h.inject({
      method: 'PATCH',
      url: '/v1/me',
      headers: { cookie: user.cookies },
      payload: patch,
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().code).toBe('csrf_token_invalid');
    const wrongCsrf = await h.inject({
      method: 'PATCH',
      url: '/v1/me',
      headers: { cookie: user.cookies, 'x-csrf-token': 'hbc_wrong' },
      payload: patch,
    });
    expect(wrongCsrf.statusCode).toBe(403);
    const withCsrf = await h.inject({
      method: 'PATCH',
      url: '/v1/me',
      headers: { cookie: user.cookies, 'x-csrf-token': user.csrf },
      payload: patch,
    });
    expect(withCsrf.statusCode, withCsrf.body).toBe(200);
    expect(withCsrf.json().display_name).toBe('New Name');
    // Bearer requests carry no ambient credential, so they need no CSRF token.
    const bearer = await h.inject({
      method: 'PATCH',
      url: '/v1/me',
      headers: user.bearer,
      payload: { locale: 'zh-CN', consents: { marketing: true } },
    });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.json()).toMatchObject({ locale: 'zh-CN', consents: { marketing: true } });
  });

  it('expires a session after the idle time, and after the absolute lifetime even if used', async () => {
    const login = await h.createUser();
    const idle = await h.signIn(login);
    h.clock.advanceMs(SESSION_IDLE_MS - 1000);
    expect((await me(idle)).statusCode).toBe(200);
    h.clock.advanceMs(SESSION_IDLE_MS);
    const expired = await me(idle);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('session_expired');

    const busy = await h.signIn(login);
    for (let used = 0; used < SESSION_MAX_MS - SESSION_IDLE_MS; used += SESSION_IDLE_MS / 2) {
      h.clock.advanceMs(SESSION_IDLE_MS / 2);
      expect((await me(busy)).statusCode).toBe(200);
    }
    h.clock.advanceMs(SESSION_IDLE_MS);
    expect((await me(busy)).json().code).toBe('session_expired');
  });

  it('writes last-seen at most once a minute', async () => {
    const user = await h.signIn(await h.createUser());
    const lastSeen = async () =>
      (
        await h.db.pool.query<{ t: Date }>('SELECT last_seen_at AS t FROM sessions WHERE id = $1', [
          user.sessionId,
        ])
      ).rows[0]!.t.getTime();
    const first = await lastSeen();
    h.clock.advanceMs(limits.sessionTouchIntervalMs / 2);
    await me(user);
    expect(await lastSeen()).toBe(first);
    h.clock.advanceMs(limits.sessionTouchIntervalMs);
    await me(user);
    expect(await lastSeen()).toBe(h.clock.nowMs());
  });
});

describe('sessions and devices', () => {
  it('lists sessions; a revoked one is refused on its very next request', async () => {
    const login = await h.createUser();
    const phone = await h.signIn(login);
    const laptop = await h.signIn(login);
    const listed = await h.inject({
      method: 'GET',
      url: '/v1/me/sessions',
      headers: laptop.bearer,
    });
    expect(listed.statusCode).toBe(200);
    const sessions = listed.json().data as Array<{ id: string; current: boolean }>;
    expect(sessions.map((s) => s.id).sort()).toEqual([phone.sessionId, laptop.sessionId].sort());
    expect(sessions.find((s) => s.current)?.id).toBe(laptop.sessionId);
    const revoked = await h.inject({
      method: 'DELETE',
      url: `/v1/me/sessions/${phone.sessionId}`,
      headers: laptop.bearer,
    });
    expect(revoked.statusCode).toBe(204);
    expect((await me(phone)).json().code).toBe('unauthenticated');
    expect((await me(laptop)).statusCode).toBe(200);
  });

  it('answers a session path with the wrong method with 405 and Allow', async () => {
    const response = await h.inject({
      method: 'GET',
      url: '/v1/me/sessions/ses_01JD3Z8W6Q2X4T9V5N7M3K1H0G',
    });
    expect(response.statusCode).toBe(405);
    expect(response.json().code).toBe('method_not_allowed');
    expect(response.headers['allow']).toBe('DELETE');
  });

  it("answers 404 for another user's session id and leaves it alone", async () => {
    const alice = await h.signIn(await h.createUser());
    const bob = await h.signIn(await h.createUser());
    const response = await h.inject({
      method: 'DELETE',
      url: `/v1/me/sessions/${bob.sessionId}`,
      headers: alice.bearer,
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('session_not_found');
    expect((await me(bob)).statusCode).toBe(200);
  });

  it('signs out everywhere else', async () => {
    const login = await h.createUser();
    const others = [await h.signIn(login), await h.signIn(login)];
    const current = await h.signIn(login);
    const response = await h.inject({
      method: 'POST',
      url: '/v1/me/sessions/sign-out-others',
      headers: current.bearer,
    });
    expect(response.json()).toEqual({ sessions_signed_out: 2 });
    for (const other of others) expect((await me(other)).statusCode).toBe(401);
    expect((await me(current)).statusCode).toBe(200);
  });

  it('logout ends the session and clears the cookies', async () => {
    const user = await h.signIn(await h.createUser());
    const response = await h.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: user.bearer,
    });
    expect(response.statusCode).toBe(204);
    expect(String(response.headers['set-cookie'])).toContain('hebao_session=; Path=/; Max-Age=0');
    expect((await me(user)).statusCode).toBe(401);
  });

  it('alerts the user on a sign-in from a new device, not from a known one', async () => {
    const login = await h.createUser();
    const first = await h.signIn(login);
    const alerts = async () =>
      (await h.inbox(login)).filter((m) => m.subject === 'New sign-in to your Hebao account')
        .length;
    expect(await alerts()).toBe(0);
    await h.signIn(login, { deviceToken: first.deviceToken! });
    expect(await alerts()).toBe(0);
    const stranger = await h.signIn(login);
    expect(await alerts()).toBe(1);
    const devices = await h.inject({
      method: 'GET',
      url: '/v1/me/devices',
      headers: stranger.bearer,
    });
    expect(devices.json().data).toHaveLength(2);
    const events = await h.inject({
      method: 'GET',
      url: '/v1/me/security-events',
      headers: stranger.bearer,
    });
    const actions = (events.json().data as Array<{ action: string }>).map((e) => e.action);
    expect(actions.slice(0, 2)).toEqual(['login.succeeded', 'login.new_device']);
  });
});

describe('passwords', () => {
  it('changes the password with the current one, signing out the other sessions', async () => {
    const login = await h.createUser();
    const other = await h.signIn(login);
    const current = await h.signIn(login);
    const wrong = await h.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: current.bearer,
      payload: {
        current_password: 'not the password!!',
        new_password: 'a brand new long passphrase',
      },
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({
      code: 'current_password_wrong',
      param: 'current_password',
    });
    const weak = await h.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: current.bearer,
      payload: { current_password: PASSWORD, new_password: 'short' },
    });
    expect(weak.json()).toMatchObject({ code: 'password_too_short', param: 'new_password' });
    const changed = await h.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: current.bearer,
      payload: { current_password: PASSWORD, new_password: 'a brand new long passphrase' },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toEqual({ sessions_signed_out: 1 });
    expect((await me(other)).statusCode).toBe(401);
    expect((await me(current)).statusCode).toBe(200);
    const old = await h.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { login, password: PASSWORD },
    });
    expect(old.statusCode).toBe(401);
    await h.signIn(login, { password: 'a brand new long passphrase' });
  });

  it('resets a forgotten password by code, signing out every session', async () => {
    const login = await h.createUser();
    const session = await h.signIn(login);
    h.clock.advanceMs(limits.oneTimeCodeResendIntervalMs);
    const requested = await h.inject({
      method: 'POST',
      url: '/v1/auth/password-reset',
      payload: { login },
    });
    expect(requested.statusCode).toBe(202);
    const code = await h.latestCode(login);
    const wrongCode = await h.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/confirm',
      payload: {
        login,
        code: code === '000000' ? '111111' : '000000',
        new_password: 'reset to this long phrase',
      },
    });
    expect(wrongCode.json().code).toBe('verification_code_invalid');
    const confirmed = await h.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/confirm',
      payload: { login, code, new_password: 'reset to this long phrase' },
    });
    expect(confirmed.statusCode, confirmed.body).toBe(204);
    expect((await me(session)).statusCode).toBe(401);
    await h.signIn(login, { password: 'reset to this long phrase' });
    const replay = await h.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/confirm',
      payload: { login, code, new_password: 'and again another phrase' },
    });
    expect(replay.json().code).toBe('verification_code_invalid');
  });

  it('answers a reset request for an unknown login like a known one', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/v1/auth/password-reset',
      payload: { login: 'nobody@example.com' },
    });
    expect(response.statusCode).toBe(202);
  });
});

describe('clean-up', () => {
  it('deletes codes and challenges a day after they expire, sessions a month after', async () => {
    const login = await h.createUser();
    const user = await h.signIn(login);
    const count = async (table: string) =>
      (
        await h.db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`,
          [user.userId],
        )
      ).rows[0]!.n;
    expect(await count('one_time_codes')).toBe(1);
    h.clock.advanceMs(2 * 24 * 3_600_000);
    await h.services.purgeExpired();
    expect(await count('one_time_codes')).toBe(0);
    expect(await count('sessions')).toBe(1);
    h.clock.advanceMs(40 * 24 * 3_600_000);
    await h.services.purgeExpired();
    expect(await count('sessions')).toBe(0);
  });
});
