/**
 * Authenticator apps (TOTP) and recovery codes through the HTTP API: setting them up, signing in
 * with them, and the refusals that keep them second factors (a code is used once, a challenge
 * dies after a few wrong tries or five minutes, turning the app off needs a fresh code).
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../src/identity/totp.js';
import { createIdentityHarness, type IdentityHarness, type SignedInUser } from './identity-app.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await createIdentityHarness();
});
afterAll(async () => {
  await h.app.close();
});

const STEP_MS = 30_000;
const CHALLENGE_TTL_MS = 5 * 60_000;

/** The current code, after moving to the next step so that no earlier code is this one. */
async function freshCode(secret: string): Promise<string> {
  h.clock.advanceMs(STEP_MS);
  return totpCode(secret, h.clock.nowMs());
}

/** A six-digit code that none of the steps the server accepts now would produce. */
async function wrongCode(secret: string): Promise<string> {
  const now = h.clock.nowMs();
  const valid = new Set(
    await Promise.all([-1, 0, 1].map((k) => totpCode(secret, now + k * STEP_MS))),
  );
  let n = 123456;
  while (valid.has(String(n))) n += 1;
  return String(n);
}

function post(url: string, me: SignedInUser, payload?: object) {
  return h.inject({
    method: 'POST',
    url,
    headers: me.bearer,
    ...(payload === undefined ? {} : { payload }),
  });
}

async function enrollTotp(me: SignedInUser): Promise<{ secret: string; recoveryCodes: string[] }> {
  const enrolled = await post('/v1/me/mfa/totp', me);
  expect(enrolled.statusCode, enrolled.body).toBe(200);
  const { secret } = enrolled.json<{ secret: string }>();
  const confirmed = await post('/v1/me/mfa/totp/confirm', me, {
    code: await totpCode(secret, h.clock.nowMs()),
  });
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  return { secret, recoveryCodes: confirmed.json<{ recovery_codes: string[] }>().recovery_codes };
}

/** A verified user with an authenticator app on, and the session that set it up. */
async function userWithTotp() {
  const login = await h.createUser();
  const me = await h.signIn(login);
  return { login, me, ...(await enrollTotp(me)) };
}

async function passwordStep(login: string, password?: string): Promise<string> {
  const response = await h.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { login, password: password ?? 'correct horse battery staple' },
  });
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json<{ mfa_required?: boolean; challenge_id?: string }>();
  expect(body.mfa_required).toBe(true);
  return body.challenge_id!;
}

function mfa(payload: object): Promise<LightMyRequestResponse> {
  return h.inject({ method: 'POST', url: '/v1/auth/mfa', payload });
}

function expectProblem(response: LightMyRequestResponse, status: number, code: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.json<{ code: string }>().code).toBe(code);
}

async function securityActions(me: SignedInUser): Promise<string[]> {
  const response = await h.inject({
    method: 'GET',
    url: '/v1/me/security-events?limit=100',
    headers: me.bearer,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ data: Array<{ action: string }> }>().data.map((e) => e.action);
}

async function sessionMethod(token: string): Promise<string | undefined> {
  const response = await h.inject({
    method: 'GET',
    url: '/v1/me/sessions',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.statusCode, response.body).toBe(200);
  const sessions = response.json<{ data: Array<{ current: boolean; method: string }> }>().data;
  return sessions.find((s) => s.current)?.method;
}

describe('setting up an authenticator app', () => {
  it('enrolls, stays off until confirmed, then turns on with ten recovery codes', async () => {
    const login = await h.createUser();
    const me = await h.signIn(login);
    const enrolled = await post('/v1/me/mfa/totp', me);
    expect(enrolled.statusCode, enrolled.body).toBe(200);
    const body = enrolled.json<{ secret: string; otpauth_uri: string; qr_svg: string }>();
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(body.otpauth_uri).toMatch(/^otpauth:\/\/totp\/Hebao:/);
    expect(body.otpauth_uri).toContain(`secret=${body.secret}`);
    expect(body.qr_svg).toMatch(/^<svg/);

    // Pending is not on: the password alone still signs in.
    await h.signIn(login);
    const status = await h.inject({ method: 'GET', url: '/v1/me/mfa', headers: me.bearer });
    expect(status.json()).toEqual({
      totp_enabled: false,
      totp_pending: true,
      recovery_codes_left: 0,
      passkeys: 0,
    });

    const wrong = await post('/v1/me/mfa/totp/confirm', me, { code: await wrongCode(body.secret) });
    expectProblem(wrong, 403, 'totp_code_wrong');
    const confirmed = await post('/v1/me/mfa/totp/confirm', me, {
      code: await totpCode(body.secret, h.clock.nowMs()),
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const codes = confirmed.json<{ recovery_codes: string[] }>().recovery_codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);

    const after = await h.inject({ method: 'GET', url: '/v1/me/mfa', headers: me.bearer });
    expect(after.json()).toMatchObject({ totp_enabled: true, recovery_codes_left: 10 });
    expect(await securityActions(me)).toContain('mfa.totp_enabled');
    expectProblem(await post('/v1/me/mfa/totp', me), 409, 'totp_already_enabled');
  });

  it('refuses to confirm without an enrollment', async () => {
    const me = await h.signIn(await h.createUser());
    expectProblem(
      await post('/v1/me/mfa/totp/confirm', me, { code: '123456' }),
      409,
      'totp_not_enrolled',
    );
  });

  it('stores the secret encrypted, bound to the user', async () => {
    const { me, secret } = await userWithTotp();
    const { rows } = await h.db.pool.query<{ secret_encrypted: string }>(
      'SELECT secret_encrypted FROM user_totp WHERE user_id = $1',
      [me.userId],
    );
    expect(rows[0]?.secret_encrypted).toMatch(/^v1\./);
    expect(rows[0]?.secret_encrypted).not.toContain(secret);
  });
});

describe('signing in with an authenticator app', () => {
  it('asks for the second factor, then opens a working session with a TOTP code', async () => {
    const { login, secret } = await userWithTotp();
    const response = await h.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { login, password: 'correct horse battery staple' },
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<Record<string, unknown>>();
    expect(body).toEqual({
      mfa_required: true,
      challenge_id: expect.stringMatching(/^hbl_[A-Za-z0-9_-]{43}$/),
      expires_at: new Date(h.clock.nowMs() + CHALLENGE_TTL_MS).toISOString(),
      methods: ['totp', 'recovery_code'],
    });
    expect(response.headers['set-cookie']).toBeUndefined();

    const done = await mfa({ challenge_id: body.challenge_id, totp: await freshCode(secret) });
    expect(done.statusCode, done.body).toBe(200);
    const signedIn = done.json<{ token: string; csrf_token: string; user: { id: string } }>();
    expect(String(done.headers['set-cookie'])).toContain('hebao_session=');
    const me = await h.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${signedIn.token}` },
    });
    expect(me.statusCode, me.body).toBe(200);
    expect(await sessionMethod(signedIn.token)).toBe('password+totp');

    // The challenge was used up.
    const again = await mfa({ challenge_id: body.challenge_id, totp: await freshCode(secret) });
    expectProblem(again, 401, 'mfa_challenge_invalid');
  });

  it('refuses a TOTP code used once already, even in a new sign-in in the same step', async () => {
    const { login, secret } = await userWithTotp();
    const code = await freshCode(secret);
    const first = await mfa({ challenge_id: await passwordStep(login), totp: code });
    expect(first.statusCode, first.body).toBe(200);
    const replay = await mfa({ challenge_id: await passwordStep(login), totp: code });
    expectProblem(replay, 403, 'totp_code_replayed');
  });

  it('refuses the code that confirmed the app, within its step', async () => {
    const login = await h.createUser();
    const me = await h.signIn(login);
    const enrolled = await post('/v1/me/mfa/totp', me);
    const { secret } = enrolled.json<{ secret: string }>();
    const code = await totpCode(secret, h.clock.nowMs());
    expect((await post('/v1/me/mfa/totp/confirm', me, { code })).statusCode).toBe(200);
    expectProblem(
      await mfa({ challenge_id: await passwordStep(login), totp: code }),
      403,
      'totp_code_replayed',
    );
  });

  it('accepts a recovery code once, in any case and with or without its hyphen', async () => {
    const { login, me, recoveryCodes } = await userWithTotp();
    const [code] = recoveryCodes;
    const typed = code!.replace('-', '').toUpperCase();
    const first = await mfa({ challenge_id: await passwordStep(login), recovery_code: typed });
    expect(first.statusCode, first.body).toBe(200);
    expect(await sessionMethod(first.json<{ token: string }>().token)).toBe(
      'password+recovery_code',
    );
    const replay = await mfa({ challenge_id: await passwordStep(login), recovery_code: code });
    expectProblem(replay, 403, 'recovery_code_wrong');
    const status = await h.inject({ method: 'GET', url: '/v1/me/mfa', headers: me.bearer });
    expect(status.json()).toMatchObject({ recovery_codes_left: 9 });
    expect(await securityActions(me)).toContain('mfa.recovery_code_used');
  });

  it('counts wrong codes and ends the challenge after the fifth', async () => {
    const { login, me, secret } = await userWithTotp();
    const challenge = await passwordStep(login);
    h.clock.advanceMs(STEP_MS);
    for (let i = 1; i <= 4; i += 1) {
      const wrong = await mfa({ challenge_id: challenge, totp: await wrongCode(secret) });
      expectProblem(wrong, 403, 'totp_code_wrong');
    }
    const fifth = await mfa({ challenge_id: challenge, totp: await wrongCode(secret) });
    expectProblem(fifth, 401, 'mfa_challenge_invalid');
    const right = await mfa({
      challenge_id: challenge,
      totp: await totpCode(secret, h.clock.nowMs()),
    });
    expectProblem(right, 401, 'mfa_challenge_invalid');
    const actions = await securityActions(me);
    expect(actions.filter((a) => a === 'login.mfa_failed')).toHaveLength(5);

    // After the short delay the per-user throttle adds, a new sign-in works.
    h.clock.advanceMs(2_000);
    const fresh = await mfa({
      challenge_id: await passwordStep(login),
      totp: await freshCode(secret),
    });
    expect(fresh.statusCode, fresh.body).toBe(200);
  });

  it('refuses a challenge older than five minutes', async () => {
    const { login, secret } = await userWithTotp();
    const challenge = await passwordStep(login);
    h.clock.advanceMs(CHALLENGE_TTL_MS);
    const late = await mfa({
      challenge_id: challenge,
      totp: await totpCode(secret, h.clock.nowMs()),
    });
    expectProblem(late, 401, 'mfa_challenge_invalid');
  });

  it('refuses an unknown challenge and a method the account does not have', async () => {
    const { login } = await userWithTotp();
    const unknown = `hbl_${'A'.repeat(43)}`;
    expectProblem(
      await mfa({ challenge_id: unknown, totp: '123456' }),
      401,
      'mfa_challenge_invalid',
    );
    const passkey = await mfa({
      challenge_id: await passwordStep(login),
      passkey: {
        id: 'AAAAAAAAAAAAAAAAAAAAAA',
        rawId: 'AAAAAAAAAAAAAAAAAAAAAA',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA' },
        clientExtensionResults: {},
      },
    });
    expectProblem(passkey, 409, 'mfa_method_not_enabled');
  });

  it('rejects malformed and ambiguous input', async () => {
    const { login, secret } = await userWithTotp();
    const challenge = await passwordStep(login);
    const cases: Array<[object, string]> = [
      [{ challenge_id: challenge, totp: '12345' }, 'validation_failed'],
      [{ challenge_id: challenge, totp: '12345a' }, 'validation_failed'],
      [{ challenge_id: challenge, recovery_code: 'abc' }, 'validation_failed'],
      [{ challenge_id: 'hbl_short', totp: '123456' }, 'validation_failed'],
      [{ challenge_id: challenge, totp: '123456', extra: true }, 'validation_failed'],
      [{ challenge_id: challenge }, 'mfa_proof_required'],
      [
        { challenge_id: challenge, totp: '123456', recovery_code: 'abcde-fghjk' },
        'mfa_proof_required',
      ],
    ];
    for (const [payload, code] of cases) expectProblem(await mfa(payload), 400, code);
    // None of those was a guess, so the challenge still works.
    const done = await mfa({ challenge_id: challenge, totp: await freshCode(secret) });
    expect(done.statusCode, done.body).toBe(200);
  });
});

describe('turning the app off and replacing recovery codes', () => {
  it('needs a fresh code to turn the app off', async () => {
    const { login, me, secret, recoveryCodes } = await userWithTotp();
    expectProblem(await post('/v1/me/mfa/totp/disable', me, {}), 400, 'mfa_proof_required');
    expectProblem(
      await post('/v1/me/mfa/totp/disable', me, { totp: await wrongCode(secret) }),
      403,
      'totp_code_wrong',
    );
    const used = await freshCode(secret);
    expect((await mfa({ challenge_id: await passwordStep(login), totp: used })).statusCode).toBe(
      200,
    );
    expectProblem(
      await post('/v1/me/mfa/totp/disable', me, { totp: used }),
      403,
      'totp_code_replayed',
    );
    const off = await post('/v1/me/mfa/totp/disable', me, { totp: await freshCode(secret) });
    expect(off.statusCode, off.body).toBe(204);
    expect(await securityActions(me)).toContain('mfa.totp_disabled');
    // The password alone signs in again, and the recovery codes went with the app.
    await h.signIn(login);
    const status = await h.inject({ method: 'GET', url: '/v1/me/mfa', headers: me.bearer });
    expect(status.json()).toMatchObject({ totp_enabled: false, recovery_codes_left: 0 });
    expectProblem(
      await post('/v1/me/mfa/totp/disable', me, { recovery_code: recoveryCodes[0] }),
      409,
      'totp_not_enabled',
    );
  });

  it('turns the app off with a recovery code', async () => {
    const { me, recoveryCodes } = await userWithTotp();
    const off = await post('/v1/me/mfa/totp/disable', me, { recovery_code: recoveryCodes[3] });
    expect(off.statusCode, off.body).toBe(204);
  });

  it('replaces the recovery codes with a fresh TOTP code; the old ones stop working', async () => {
    const { login, me, secret, recoveryCodes } = await userWithTotp();
    expectProblem(
      await post('/v1/me/mfa/recovery-codes', me, { totp: await wrongCode(secret) }),
      403,
      'totp_code_wrong',
    );
    const replaced = await post('/v1/me/mfa/recovery-codes', me, { totp: await freshCode(secret) });
    expect(replaced.statusCode, replaced.body).toBe(200);
    const fresh = replaced.json<{ recovery_codes: string[] }>().recovery_codes;
    expect(fresh).toHaveLength(10);
    expect(fresh.some((c) => recoveryCodes.includes(c))).toBe(false);
    expectProblem(
      await mfa({ challenge_id: await passwordStep(login), recovery_code: recoveryCodes[0] }),
      403,
      'recovery_code_wrong',
    );
    const ok = await mfa({ challenge_id: await passwordStep(login), recovery_code: fresh[0] });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await securityActions(me)).toContain('mfa.recovery_codes_regenerated');
  });

  it('rejects malformed codes and unknown fields', async () => {
    const { me } = await userWithTotp();
    const cases: Array<[string, object]> = [
      ['/v1/me/mfa/totp/confirm', { code: '1234567' }],
      ['/v1/me/mfa/totp/confirm', { code: '123456', extra: 1 }],
      ['/v1/me/mfa/totp/disable', { totp: 'abcdef' }],
      ['/v1/me/mfa/totp/disable', { recovery_code: 'abcde_fghjk' }],
      ['/v1/me/mfa/recovery-codes', { totp: '123456', recovery_code: 'abcde-fghjk' }],
      ['/v1/me/mfa/recovery-codes', {}],
    ];
    for (const [url, payload] of cases) {
      expectProblem(await post(url, me, payload), 400, 'validation_failed');
    }
  });
});

describe('security of the /v1/me/mfa routes', () => {
  const routes: Array<[method: 'GET' | 'POST', url: string, payload?: object]> = [
    ['GET', '/v1/me/mfa'],
    ['POST', '/v1/me/mfa/totp'],
    ['POST', '/v1/me/mfa/totp/confirm', { code: '123456' }],
    ['POST', '/v1/me/mfa/totp/disable', { totp: '123456' }],
    ['POST', '/v1/me/mfa/recovery-codes', { totp: '123456' }],
  ];

  it.each(routes)('%s %s needs a session', async (method, url, payload) => {
    const response = await h.inject({ method, url, ...(payload ? { payload } : {}) });
    expectProblem(response, 401, 'unauthenticated');
  });

  it.each(routes.filter(([method]) => method === 'POST'))(
    '%s %s by cookie needs the CSRF token',
    async (method, url, payload) => {
      const me = await h.signIn(await h.createUser());
      const response = await h.inject({
        method,
        url,
        headers: { cookie: me.cookies },
        ...(payload ? { payload } : {}),
      });
      expectProblem(response, 403, 'csrf_token_invalid');
    },
  );

  it('accepts a cookie request that carries the CSRF token', async () => {
    const me = await h.signIn(await h.createUser());
    const response = await h.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp',
      headers: { cookie: me.cookies, 'x-csrf-token': me.csrf },
    });
    expect(response.statusCode, response.body).toBe(200);
  });
});

describe('password length with MFA on', () => {
  const SHORT = 'qv7#mZ2k';

  it('allows an 8-character password only once a second factor is on', async () => {
    const login = await h.createUser();
    const me = await h.signIn(login);
    const change = (newPassword: string, current: string) =>
      post('/v1/me/password', me, { current_password: current, new_password: newPassword });
    expectProblem(await change(SHORT, 'correct horse battery staple'), 400, 'password_too_short');
    const { secret } = await enrollTotp(me);
    const changed = await change(SHORT, 'correct horse battery staple');
    expect(changed.statusCode, changed.body).toBe(200);
    const done = await mfa({
      challenge_id: await passwordStep(login, SHORT),
      totp: await freshCode(secret),
    });
    expect(done.statusCode, done.body).toBe(200);
    expectProblem(await change('aB3$eF7', SHORT), 400, 'password_too_short');
  });

  it('applies the same minimum to a password reset', async () => {
    const login = await h.createUser();
    const me = await h.signIn(login);
    await enrollTotp(me);
    h.clock.advanceMs(60_000);
    const requested = await h.inject({
      method: 'POST',
      url: '/v1/auth/password-reset',
      payload: { login },
    });
    expect(requested.statusCode, requested.body).toBe(202);
    const reset = await h.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/confirm',
      payload: { login, code: await h.latestCode(login), new_password: SHORT },
    });
    expect(reset.statusCode, reset.body).toBe(204);
  });
});
