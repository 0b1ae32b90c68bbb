import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityHarness, type IdentityHarness } from './identity-app.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await createIdentityHarness();
});
afterAll(async () => {
  await h.app.close();
});

describe('smoke', () => {
  it('registers, verifies, signs in and reads /v1/me', async () => {
    const login = await h.createUser();
    const me = await h.signIn(login);
    const response = await h.inject({ method: 'GET', url: '/v1/me', headers: me.bearer });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ id: me.userId, contact_verified: true });
  });
});
