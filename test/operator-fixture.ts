import { expect } from 'vitest';
import { grantOperator } from '../src/identity/index.js';
import { totpCode } from '../src/identity/totp.js';
import { PASSWORD, type IdentityHarness, type SignedInUser } from './identity-app.js';

const TOTP_STEP_MS = 30_000;

type Caller = Pick<SignedInUser, 'userId' | 'csrf' | 'cookies' | 'bearer'>;

/**
 * An operator and two of their sessions: one from the password alone and one that also passed an
 * authenticator app code, as the back office requires. Moves the harness clock one TOTP step.
 */
export async function signInOperator(
  h: IdentityHarness,
  role: 'compliance' | 'admin' = 'compliance',
): Promise<{ login: string; passwordOnly: SignedInUser; withMfa: Caller }> {
  const login = await h.createUser();
  const passwordOnly = await h.signIn(login);
  const enrolled = await h.inject({
    method: 'POST',
    url: '/v1/me/mfa/totp',
    headers: passwordOnly.bearer,
  });
  expect(enrolled.statusCode, enrolled.body).toBe(200);
  const { secret } = enrolled.json<{ secret: string }>();
  const confirmed = await h.inject({
    method: 'POST',
    url: '/v1/me/mfa/totp/confirm',
    headers: passwordOnly.bearer,
    payload: { code: await totpCode(secret, h.clock.nowMs()) },
  });
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  expect(await grantOperator(h.db.pool, login, role, new Date(h.clock.nowMs()))).toBe(
    passwordOnly.userId,
  );
  const password = await h.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { login, password: PASSWORD },
  });
  expect(password.statusCode, password.body).toBe(200);
  const challengeId = password.json<{ challenge_id: string }>().challenge_id;
  // The next time step, so that the code used to confirm the app is not replayed.
  h.clock.advanceMs(TOTP_STEP_MS);
  const done = await h.inject({
    method: 'POST',
    url: '/v1/auth/mfa',
    payload: { challenge_id: challengeId, totp: await totpCode(secret, h.clock.nowMs()) },
  });
  expect(done.statusCode, done.body).toBe(200);
  const body = done.json<{ token: string; csrf_token: string; user: { id: string } }>();
  const withMfa = {
    userId: body.user.id,
    csrf: body.csrf_token,
    cookies: `hebao_session=${body.token}; hebao_csrf=${body.csrf_token}`,
    bearer: { authorization: `Bearer ${body.token}` },
  };
  return { login, passwordOnly, withMfa };
}
