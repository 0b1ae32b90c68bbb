/**
 * Passkeys through the HTTP API, with a software authenticator that produces real attestation
 * and assertion objects, so the real @simplewebauthn/server verification runs: registering,
 * listing and removing passkeys, passwordless sign-in, passkeys as the second factor of a
 * password sign-in, and the step-up functions the payment confirmation uses.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src/db/index.js';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '../src/identity/index.js';
import {
  createIdentityHarness,
  PASSWORD,
  WEBAUTHN_ORIGIN,
  type IdentityHarness,
  type SignedInUser,
} from './identity-app.js';
import {
  createSoftAuthenticator,
  withTamperedSignature,
  type SoftAuthenticator,
} from './webauthn-authenticator.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await createIdentityHarness();
});
afterAll(async () => {
  await h.app.close();
});

const CHALLENGE_TTL_MS = 5 * 60_000;

interface PasskeyJson {
  id: string;
  name: string;
  transports: string[];
  created_at: string;
  last_used_at: string | null;
}

function expectProblem(response: LightMyRequestResponse, status: number, code: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.json<{ code: string }>().code).toBe(code);
}

async function registrationOptions(
  me: SignedInUser,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const response = await h.inject({
    method: 'POST',
    url: '/v1/me/passkeys/registration-options',
    headers: me.bearer,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

async function addPasskey(
  me: SignedInUser,
  authenticator: SoftAuthenticator,
  name = 'My phone',
): Promise<PasskeyJson> {
  const options = await registrationOptions(me);
  const response = authenticator.createCredential(options, WEBAUTHN_ORIGIN);
  const added = await h.inject({
    method: 'POST',
    url: '/v1/me/passkeys',
    headers: me.bearer,
    payload: { name, response },
  });
  expect(added.statusCode, added.body).toBe(201);
  return added.json();
}

/** A verified user with one passkey, the session that added it, and their authenticator. */
async function userWithPasskey() {
  const login = await h.createUser();
  const me = await h.signIn(login);
  const authenticator = createSoftAuthenticator();
  const passkey = await addPasskey(me, authenticator);
  return { login, me, authenticator, passkey };
}

async function signInOptions(): Promise<{
  challenge_id: string;
  options: PublicKeyCredentialRequestOptionsJSON;
}> {
  const response = await h.inject({ method: 'POST', url: '/v1/auth/passkey/options' });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

function passkeySignIn(challengeId: string, response: AuthenticationResponseJSON) {
  return h.inject({
    method: 'POST',
    url: '/v1/auth/passkey',
    payload: { challenge_id: challengeId, response },
  });
}

async function storedCounter(credentialId: string): Promise<bigint | undefined> {
  const { rows } = await h.db.pool.query<{ counter: bigint }>(
    'SELECT counter FROM passkeys WHERE credential_id = $1',
    [credentialId],
  );
  return rows[0]?.counter;
}

async function listPasskeys(me: SignedInUser): Promise<PasskeyJson[]> {
  const response = await h.inject({ method: 'GET', url: '/v1/me/passkeys', headers: me.bearer });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ data: PasskeyJson[] }>().data;
}

async function securityActions(me: SignedInUser): Promise<string[]> {
  const response = await h.inject({
    method: 'GET',
    url: '/v1/me/security-events?limit=100',
    headers: me.bearer,
  });
  return response.json<{ data: Array<{ action: string }> }>().data.map((e) => e.action);
}

async function currentMethod(token: string): Promise<string | undefined> {
  const response = await h.inject({
    method: 'GET',
    url: '/v1/me/sessions',
    headers: { authorization: `Bearer ${token}` },
  });
  const sessions = response.json<{ data: Array<{ current: boolean; method: string }> }>().data;
  return sessions.find((s) => s.current)?.method;
}

describe('registering passkeys', () => {
  it('registers, lists, signs in without a password and moves the counter', async () => {
    const { me, authenticator, passkey } = await userWithPasskey();
    expect(passkey).toEqual({
      id: expect.stringMatching(/^pky_[0-9A-HJKMNP-TV-Z]{26}$/),
      name: 'My phone',
      transports: ['internal'],
      created_at: new Date(h.clock.nowMs()).toISOString(),
      last_used_at: null,
    });
    expect(await listPasskeys(me)).toEqual([passkey]);
    const [credentialId] = authenticator.credentials();
    expect(await storedCounter(credentialId!)).toBe(0n);

    h.clock.advanceMs(1000);
    const { challenge_id, options } = await signInOptions();
    expect(challenge_id).toMatch(/^hbw_[A-Za-z0-9_-]{43}$/);
    expect(options).toMatchObject({ rpId: 'localhost', allowCredentials: [] });
    const signedIn = await passkeySignIn(
      challenge_id,
      authenticator.getAssertion(options, WEBAUTHN_ORIGIN),
    );
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    const body = signedIn.json<{ token: string; user: { id: string } }>();
    expect(body.user.id).toBe(me.userId);
    expect(String(signedIn.headers['set-cookie'])).toContain('hebao_session=');
    expect(await currentMethod(body.token)).toBe('passkey');
    expect(await storedCounter(credentialId!)).toBe(1n);
    const [listed] = await listPasskeys(me);
    expect(listed?.last_used_at).toBe(new Date(h.clock.nowMs()).toISOString());

    const second = await signInOptions();
    const again = await passkeySignIn(
      second.challenge_id,
      authenticator.getAssertion(second.options, WEBAUTHN_ORIGIN),
    );
    expect(again.statusCode, again.body).toBe(200);
    expect(await storedCounter(credentialId!)).toBe(2n);
    expect(await securityActions(me)).toContain('passkey.added');
  });

  it('excludes the passkeys the user has, and names a passkey after the device by default', async () => {
    const { me, authenticator, passkey } = await userWithPasskey();
    const options = await registrationOptions(me);
    expect(options.excludeCredentials?.map((c) => c.id)).toEqual(authenticator.credentials());
    expect(options).toMatchObject({
      rp: { id: 'localhost', name: 'Hebao' },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    // The same authenticator refuses; another one adds a second passkey.
    expect(() => authenticator.createCredential(options, WEBAUTHN_ORIGIN)).toThrow();
    const other = createSoftAuthenticator();
    // Passkeys are listed oldest first; two made in the same millisecond have no order.
    h.clock.advanceMs(1);
    const added = await h.inject({
      method: 'POST',
      url: '/v1/me/passkeys',
      headers: { ...me.bearer, 'user-agent': 'Mozilla/5.0 (iPhone) Safari/605.1.15' },
      payload: { response: other.createCredential(options, WEBAUTHN_ORIGIN) },
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json<PasskeyJson>().name).toBe('Safari on iPhone');
    expect((await listPasskeys(me)).map((p) => p.id)).toEqual([
      passkey.id,
      added.json<PasskeyJson>().id,
    ]);
  });

  it('refuses a registration for a challenge that is used, expired, or another user’s', async () => {
    const me = await h.signIn(await h.createUser());
    const options = await registrationOptions(me);
    const response = createSoftAuthenticator().createCredential(options, WEBAUTHN_ORIGIN);
    const add = (user: SignedInUser) =>
      h.inject({
        method: 'POST',
        url: '/v1/me/passkeys',
        headers: user.bearer,
        payload: { response },
      });
    const stranger = await h.signIn(await h.createUser());
    expectProblem(await add(stranger), 400, 'passkey_challenge_invalid');
    expect((await add(me)).statusCode).toBe(201);
    expectProblem(await add(me), 400, 'passkey_challenge_invalid');

    const late = await registrationOptions(me);
    const lateResponse = createSoftAuthenticator().createCredential(late, WEBAUTHN_ORIGIN);
    h.clock.advanceMs(CHALLENGE_TTL_MS);
    const expired = await h.inject({
      method: 'POST',
      url: '/v1/me/passkeys',
      headers: me.bearer,
      payload: { response: lateResponse },
    });
    expectProblem(expired, 400, 'passkey_challenge_invalid');
  });

  it('refuses a registration made for another origin', async () => {
    const me = await h.signIn(await h.createUser());
    const options = await registrationOptions(me);
    const response = createSoftAuthenticator().createCredential(options, 'https://evil.example');
    const added = await h.inject({
      method: 'POST',
      url: '/v1/me/passkeys',
      headers: me.bearer,
      payload: { response },
    });
    expectProblem(added, 400, 'passkey_registration_invalid');
    expect(await listPasskeys(me)).toEqual([]);
  });

  it('removes a passkey, which then no longer signs in; another user’s id is not found', async () => {
    const { me, authenticator, passkey } = await userWithPasskey();
    const stranger = await h.signIn(await h.createUser());
    const theirs = await h.inject({
      method: 'DELETE',
      url: `/v1/me/passkeys/${passkey.id}`,
      headers: stranger.bearer,
    });
    expectProblem(theirs, 404, 'passkey_not_found');
    expect(await listPasskeys(me)).toHaveLength(1);

    const removed = await h.inject({
      method: 'DELETE',
      url: `/v1/me/passkeys/${passkey.id}`,
      headers: me.bearer,
    });
    expect(removed.statusCode, removed.body).toBe(204);
    expect(await listPasskeys(me)).toEqual([]);
    expect(await securityActions(me)).toContain('passkey.removed');
    const again = await h.inject({
      method: 'DELETE',
      url: `/v1/me/passkeys/${passkey.id}`,
      headers: me.bearer,
    });
    expectProblem(again, 404, 'passkey_not_found');

    const { challenge_id, options } = await signInOptions();
    const refused = await passkeySignIn(
      challenge_id,
      authenticator.getAssertion(options, WEBAUTHN_ORIGIN),
    );
    expectProblem(refused, 403, 'passkey_assertion_invalid');
  });

  it('rejects malformed input and unknown fields', async () => {
    const { me, authenticator } = await userWithPasskey();
    const options = await registrationOptions(me);
    const response = createSoftAuthenticator().createCredential(options, WEBAUTHN_ORIGIN);
    const bad: object[] = [
      { response, extra: true },
      { response: { ...response, response: { ...response.response, extra: 'x' } } },
      { response: { ...response, id: 'not base64url!' } },
      { name: '', response },
      {},
    ];
    for (const payload of bad) {
      const added = await h.inject({
        method: 'POST',
        url: '/v1/me/passkeys',
        headers: me.bearer,
        payload,
      });
      expectProblem(added, 400, 'validation_failed');
    }
    const deleted = await h.inject({
      method: 'DELETE',
      url: '/v1/me/passkeys/not-an-id',
      headers: me.bearer,
    });
    expectProblem(deleted, 400, 'validation_failed');
    const { challenge_id, options: signIn } = await signInOptions();
    const assertion = authenticator.getAssertion(signIn, WEBAUTHN_ORIGIN);
    expectProblem(await passkeySignIn('hbw_short', assertion), 400, 'validation_failed');
    const extra = await h.inject({
      method: 'POST',
      url: '/v1/auth/passkey',
      payload: { challenge_id, response: assertion, remember: true },
    });
    expectProblem(extra, 400, 'validation_failed');
  });
});

describe('passwordless sign-in refusals', () => {
  it('refuses a tampered signature', async () => {
    const { authenticator } = await userWithPasskey();
    const { challenge_id, options } = await signInOptions();
    const tampered = withTamperedSignature(authenticator.getAssertion(options, WEBAUTHN_ORIGIN));
    expectProblem(await passkeySignIn(challenge_id, tampered), 403, 'passkey_assertion_invalid');
  });

  it('refuses an answer to another challenge, and a challenge used or expired', async () => {
    const { authenticator } = await userWithPasskey();
    const first = await signInOptions();
    const second = await signInOptions();
    const forFirst = authenticator.getAssertion(first.options, WEBAUTHN_ORIGIN);
    expectProblem(
      await passkeySignIn(second.challenge_id, forFirst),
      403,
      'passkey_assertion_invalid',
    );
    // The failed try used the second challenge up; the first one still works, once.
    expect((await passkeySignIn(first.challenge_id, forFirst)).statusCode).toBe(200);
    expectProblem(
      await passkeySignIn(first.challenge_id, forFirst),
      400,
      'passkey_challenge_invalid',
    );
    expectProblem(
      await passkeySignIn(second.challenge_id, forFirst),
      400,
      'passkey_challenge_invalid',
    );

    const late = await signInOptions();
    const lateAssertion = authenticator.getAssertion(late.options, WEBAUTHN_ORIGIN);
    h.clock.advanceMs(CHALLENGE_TTL_MS);
    expectProblem(
      await passkeySignIn(late.challenge_id, lateAssertion),
      400,
      'passkey_challenge_invalid',
    );
  });

  it('refuses an assertion whose counter went backwards', async () => {
    const { me, authenticator } = await userWithPasskey();
    const [credentialId] = authenticator.credentials();
    // As if a clone of this authenticator had already been used many times.
    await h.db.pool.query('UPDATE passkeys SET counter = 100 WHERE credential_id = $1', [
      credentialId,
    ]);
    const { challenge_id, options } = await signInOptions();
    const refused = await passkeySignIn(
      challenge_id,
      authenticator.getAssertion(options, WEBAUTHN_ORIGIN),
    );
    expectProblem(refused, 403, 'passkey_assertion_invalid');
    expect(await storedCounter(credentialId!)).toBe(100n);
    expect(await securityActions(me)).toContain('login.failed');
  });
});

describe('passkeys as the second factor', () => {
  async function passwordStep(login: string) {
    const response = await h.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { login, password: PASSWORD },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{
      mfa_required: true;
      challenge_id: string;
      methods: string[];
      passkey_options: PublicKeyCredentialRequestOptionsJSON;
    }>();
  }

  it('asks a password sign-in for the passkey and completes with it', async () => {
    const { login, authenticator } = await userWithPasskey();
    const step = await passwordStep(login);
    expect(step.methods).toEqual(['passkey']);
    expect(step.passkey_options.allowCredentials?.map((c) => c.id)).toEqual(
      authenticator.credentials(),
    );
    const done = await h.inject({
      method: 'POST',
      url: '/v1/auth/mfa',
      payload: {
        challenge_id: step.challenge_id,
        passkey: authenticator.getAssertion(step.passkey_options, WEBAUTHN_ORIGIN),
      },
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(await currentMethod(done.json<{ token: string }>().token)).toBe('password+passkey');
    expect(await storedCounter(authenticator.credentials()[0]!)).toBe(1n);
  });

  it('refuses a tampered signature and counts it against the challenge', async () => {
    const { login, me, authenticator } = await userWithPasskey();
    const step = await passwordStep(login);
    const tampered = withTamperedSignature(
      authenticator.getAssertion(step.passkey_options, WEBAUTHN_ORIGIN),
    );
    const refused = await h.inject({
      method: 'POST',
      url: '/v1/auth/mfa',
      payload: { challenge_id: step.challenge_id, passkey: tampered },
    });
    expectProblem(refused, 403, 'passkey_assertion_invalid');
    expect(await securityActions(me)).toContain('login.mfa_failed');
  });

  it('refuses an assertion made for another sign-in', async () => {
    const { login, authenticator } = await userWithPasskey();
    const first = await passwordStep(login);
    const second = await passwordStep(login);
    const refused = await h.inject({
      method: 'POST',
      url: '/v1/auth/mfa',
      payload: {
        challenge_id: second.challenge_id,
        passkey: authenticator.getAssertion(first.passkey_options, WEBAUTHN_ORIGIN),
      },
    });
    expectProblem(refused, 403, 'passkey_assertion_invalid');
  });
});

describe('step-up with a passkey', () => {
  const binding = JSON.stringify({ amount_minor: '12500', currency: 'CNY', payee: 'usr_payee' });

  it('verifies an assertion once and hands back the binding', async () => {
    const { me, authenticator, passkey } = await userWithPasskey();
    const started = await h.identity.passkeyStepUpOptions(me.userId, binding);
    if (!started.ok) throw new Error(started.code);
    expect(started.options.allowCredentials?.map((c) => c.id)).toEqual(authenticator.credentials());
    const response = authenticator.getAssertion(started.options, WEBAUTHN_ORIGIN);
    const verify = (userId: string) =>
      withTransaction(h.db.pool, (tx) =>
        h.identity.verifyPasskeyAssertion(tx, {
          userId,
          challengeId: started.challengeId,
          response,
          purpose: 'step_up',
        }),
      );
    const stranger = await h.signIn(await h.createUser());
    expect(await verify(stranger.userId)).toMatchObject({
      ok: false,
      code: 'passkey_challenge_invalid',
    });
    expect(await verify(me.userId)).toEqual({ ok: true, passkeyId: passkey.id, binding });
    expect(await verify(me.userId)).toMatchObject({ ok: false, code: 'passkey_challenge_invalid' });
  });

  it('refuses a tampered assertion and a user without passkeys', async () => {
    const { me, authenticator } = await userWithPasskey();
    const started = await h.identity.passkeyStepUpOptions(me.userId, binding);
    if (!started.ok) throw new Error(started.code);
    const tampered = withTamperedSignature(
      authenticator.getAssertion(started.options, WEBAUTHN_ORIGIN),
    );
    const result = await withTransaction(h.db.pool, (tx) =>
      h.identity.verifyPasskeyAssertion(tx, {
        userId: me.userId,
        challengeId: started.challengeId,
        response: tampered,
        purpose: 'step_up',
      }),
    );
    expect(result).toMatchObject({ ok: false, code: 'passkey_assertion_invalid' });
    const nobody = await h.signIn(await h.createUser());
    expect(await h.identity.passkeyStepUpOptions(nobody.userId, binding)).toMatchObject({
      ok: false,
      code: 'passkey_not_registered',
    });
  });
});

describe('security of the /v1/me/passkeys routes', () => {
  const routes: Array<[method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object]> = [
    ['POST', '/v1/me/passkeys/registration-options'],
    ['POST', '/v1/me/passkeys', { response: {} }],
    ['GET', '/v1/me/passkeys'],
    ['DELETE', `/v1/me/passkeys/pky_${'0'.repeat(26)}`],
  ];

  it.each(routes)('%s %s needs a session', async (method, url, payload) => {
    const response = await h.inject({ method, url, ...(payload ? { payload } : {}) });
    expectProblem(response, 401, 'unauthenticated');
  });

  it.each(routes.filter(([method]) => method !== 'GET'))(
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

  it('lets a passkey user set an 8-character password', async () => {
    const { me } = await userWithPasskey();
    const changed = await h.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: me.bearer,
      payload: { current_password: PASSWORD, new_password: 'qv7#mZ2k' },
    });
    expect(changed.statusCode, changed.body).toBe(200);
  });
});
