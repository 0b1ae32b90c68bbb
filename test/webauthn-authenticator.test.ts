/**
 * The software authenticator is only useful if the real library accepts what it produces and
 * rejects what it should, so every test here runs the library's own verification on it.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import { describe, expect, it } from 'vitest';
import {
  createSoftAuthenticator,
  withTamperedSignature,
  type SoftAuthenticator,
} from './webauthn-authenticator.js';

const ORIGIN = 'http://localhost:3000';
const RP_ID = 'localhost';

async function register(authenticator: SoftAuthenticator, userName = 'alice') {
  const options = await generateRegistrationOptions({
    rpName: 'Hebao',
    rpID: RP_ID,
    userName,
    attestationType: 'none',
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  const response = authenticator.createCredential(options, ORIGIN);
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
  });
  return { options, response, verification };
}

async function registeredCredential(authenticator: SoftAuthenticator): Promise<{
  credential: WebAuthnCredential;
  userId: string;
}> {
  const { options, verification } = await register(authenticator);
  if (!verification.verified) throw new Error('Registration was not verified');
  return { credential: verification.registrationInfo.credential, userId: options.user.id };
}

async function authenticate(
  authenticator: SoftAuthenticator,
  credential: WebAuthnCredential,
  allow: boolean,
) {
  const options = await generateAuthenticationOptions({
    rpID: RP_ID,
    userVerification: 'required',
    ...(allow ? { allowCredentials: [{ id: credential.id }] } : {}),
  });
  return { options, response: authenticator.getAssertion(options, ORIGIN) };
}

describe('software authenticator: registration', () => {
  it('produces a registration the library verifies', async () => {
    const aaguid = new Uint8Array(16).fill(0xab);
    const authenticator = createSoftAuthenticator({ aaguid });
    const { response, verification } = await register(authenticator);
    expect(verification.verified).toBe(true);
    if (!verification.verified) return;
    const info = verification.registrationInfo;
    expect(info.fmt).toBe('none');
    expect(info.aaguid).toBe('abababab-abab-abab-abab-abababababab');
    expect(info.credential.id).toBe(response.id);
    expect(info.credential.counter).toBe(0);
    expect(info.credential.transports).toEqual(['internal']);
    expect(info.userVerified).toBe(true);
    expect(info.credentialDeviceType).toBe('singleDevice');
    expect(info.credentialBackedUp).toBe(false);
    expect(info.origin).toBe(ORIGIN);
    expect(info.rpID).toBe(RP_ID);
    expect(authenticator.credentials()).toEqual([response.id]);
    const idBytes = isoBase64URL.toBuffer(response.id).length;
    expect(idBytes).toBeGreaterThanOrEqual(16);
    expect(idBytes).toBeLessThanOrEqual(32);
  });

  it('is refused for a wrong challenge, origin or relying party', async () => {
    const authenticator = createSoftAuthenticator();
    const options = await generateRegistrationOptions({
      rpName: 'Hebao',
      rpID: RP_ID,
      userName: 'alice',
    });
    const response = authenticator.createCredential(options, ORIGIN);
    const expected = { expectedChallenge: options.challenge, expectedOrigin: ORIGIN };
    const verify = (overrides: Partial<typeof expected & { expectedRPID: string }>) =>
      verifyRegistrationResponse({ response, expectedRPID: RP_ID, ...expected, ...overrides });
    await expect(verify({ expectedChallenge: 'b3RoZXI' })).rejects.toThrow(/challenge/);
    await expect(verify({ expectedOrigin: 'https://evil.example' })).rejects.toThrow(/origin/);
    await expect(verify({ expectedRPID: 'example.com' })).rejects.toThrow(/RP ID/);
    expect((await verify({})).verified).toBe(true);
  });

  it('refuses to register a second credential the relying party excludes', async () => {
    const authenticator = createSoftAuthenticator();
    const { credential } = await registeredCredential(authenticator);
    const options = await generateRegistrationOptions({
      rpName: 'Hebao',
      rpID: RP_ID,
      userName: 'alice',
      excludeCredentials: [{ id: credential.id }],
    });
    expect(() => authenticator.createCredential(options, ORIGIN)).toThrow(
      expect.objectContaining({ name: 'InvalidStateError' }),
    );
  });
});

describe('software authenticator: authentication', () => {
  it.each([
    ['with an allow list', true],
    ['with a discoverable credential', false],
  ])('produces an assertion the library verifies, %s', async (_, allow) => {
    const authenticator = createSoftAuthenticator();
    const { credential, userId } = await registeredCredential(authenticator);
    const { options, response } = await authenticate(authenticator, credential, allow);
    expect(response.id).toBe(credential.id);
    expect(response.response.userHandle).toBe(userId);
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential,
    });
    expect(verification.verified).toBe(true);
    expect(verification.authenticationInfo.newCounter).toBe(1);
    expect(verification.authenticationInfo.userVerified).toBe(true);
    expect(verification.authenticationInfo.credentialID).toBe(credential.id);
  });

  it('is refused for a wrong challenge or origin', async () => {
    const authenticator = createSoftAuthenticator();
    const { credential } = await registeredCredential(authenticator);
    const { options, response } = await authenticate(authenticator, credential, true);
    const expected = {
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential,
    };
    await expect(
      verifyAuthenticationResponse({ ...expected, expectedChallenge: 'b3RoZXI' }),
    ).rejects.toThrow(/challenge/);
    await expect(
      verifyAuthenticationResponse({ ...expected, expectedOrigin: 'https://evil.example' }),
    ).rejects.toThrow(/origin/);
  });

  it('is not verified with a tampered signature', async () => {
    const authenticator = createSoftAuthenticator();
    const { credential } = await registeredCredential(authenticator);
    const { options, response } = await authenticate(authenticator, credential, true);
    const verification = await verifyAuthenticationResponse({
      response: withTamperedSignature(response),
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential,
    });
    expect(verification.verified).toBe(false);
  });

  it('is not verified against another credential’s public key', async () => {
    const authenticator = createSoftAuthenticator();
    const { credential } = await registeredCredential(authenticator);
    const other = await registeredCredential(createSoftAuthenticator());
    const { options, response } = await authenticate(authenticator, credential, true);
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: { ...credential, publicKey: other.credential.publicKey },
    });
    expect(verification.verified).toBe(false);
  });

  it('counts up, and the library refuses an assertion whose counter is not above the stored one', async () => {
    // v14 throws when the response counter is <= the stored one, unless both are zero (an
    // authenticator without a counter). The challenge is reused here so that only the counter
    // check can refuse the replay; a server also refuses it for its consumed challenge.
    const authenticator = createSoftAuthenticator();
    const { credential } = await registeredCredential(authenticator);
    const options = await generateAuthenticationOptions({ rpID: RP_ID });
    const first = authenticator.getAssertion(options, ORIGIN);
    const second = authenticator.getAssertion(options, ORIGIN);
    const verify = (response: typeof first, counter: number) =>
      verifyAuthenticationResponse({
        response,
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential: { ...credential, counter },
      });
    expect((await verify(first, 0)).authenticationInfo.newCounter).toBe(1);
    expect((await verify(second, 1)).authenticationInfo.newCounter).toBe(2);
    await expect(verify(first, 2)).rejects.toThrow(/counter value 1 was lower than expected 2/);
    await expect(verify(second, 2)).rejects.toThrow(/counter/);
  });

  it('picks the credential named or allowed, and none for another relying party', async () => {
    const authenticator = createSoftAuthenticator();
    const a = await registeredCredential(authenticator);
    const b = await registeredCredential(authenticator);
    expect(authenticator.credentials()).toEqual([a.credential.id, b.credential.id]);
    const any = await generateAuthenticationOptions({ rpID: RP_ID });
    expect(authenticator.getAssertion(any, ORIGIN, b.credential.id).id).toBe(b.credential.id);
    const onlyB = await generateAuthenticationOptions({
      rpID: RP_ID,
      allowCredentials: [{ id: b.credential.id }],
    });
    expect(authenticator.getAssertion(onlyB, ORIGIN).id).toBe(b.credential.id);
    expect(() => authenticator.getAssertion(onlyB, ORIGIN, a.credential.id)).toThrow(
      expect.objectContaining({ name: 'NotAllowedError' }),
    );
    const elsewhere = await generateAuthenticationOptions({ rpID: 'example.com' });
    expect(() => authenticator.getAssertion(elsewhere, 'https://example.com')).toThrow(
      expect.objectContaining({ name: 'NotAllowedError' }),
    );
    expect(authenticator.credentialDetails().map((c) => c.signCount)).toEqual([0, 2]);
  });
});
