import { describe, expect, it } from 'vitest';
import {
  assertionCounter,
  clientDataChallenge,
  counterAccepted,
  knownTransports,
  mfaEnabled,
  mfaMethods,
  normalizeRecoveryCode,
  proofOf,
  recoveryCodeOf,
  type MfaState,
} from './mfa-core.js';

describe('mfaMethods and mfaEnabled', () => {
  const cases: Array<[string, MfaState, string[], boolean]> = [
    ['nothing', { totpEnabled: false, recoveryCodesLeft: 0, passkeys: 0 }, [], false],
    [
      'an app with codes',
      { totpEnabled: true, recoveryCodesLeft: 3, passkeys: 0 },
      ['totp', 'recovery_code'],
      true,
    ],
    [
      'an app, codes used up',
      { totpEnabled: true, recoveryCodesLeft: 0, passkeys: 0 },
      ['totp'],
      true,
    ],
    ['a passkey', { totpEnabled: false, recoveryCodesLeft: 0, passkeys: 1 }, ['passkey'], true],
    [
      'both',
      { totpEnabled: true, recoveryCodesLeft: 10, passkeys: 2 },
      ['passkey', 'totp', 'recovery_code'],
      true,
    ],
    // Codes left over without an app cannot happen (they are deleted with it), and do not count.
    ['stray codes', { totpEnabled: false, recoveryCodesLeft: 4, passkeys: 0 }, [], false],
  ];
  it.each(cases)('%s', (_name, state, methods, enabled) => {
    expect(mfaMethods(state)).toEqual(methods);
    expect(mfaEnabled(state)).toBe(enabled);
  });
});

describe('recovery codes', () => {
  it('shows ten unambiguous symbols in two groups', () => {
    const code = recoveryCodeOf(Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 31]));
    expect(code).toBe('01234-5678z');
    // Only the low five bits of each byte count, so every byte maps to a symbol uniformly.
    expect(recoveryCodeOf(new Uint8Array(10).fill(255))).toBe('zzzzz-zzzzz');
  });

  it('needs enough random bytes', () => {
    expect(() => recoveryCodeOf(new Uint8Array(9))).toThrow(RangeError);
  });

  it.each([
    ['k3m9x-7qh2p', 'k3m9x7qh2p'],
    ['K3M9X7QH2P', 'k3m9x7qh2p'],
    [' k3m9x 7qh2p ', 'k3m9x7qh2p'],
  ])('normalizes %j', (typed, canonical) => {
    expect(normalizeRecoveryCode(typed)).toBe(canonical);
  });

  it.each(['', 'k3m9x-7qh2', 'k3m9x-7qh2pp', 'k3m9x-7qhup', 'k3m9x-7qh2!', 'iiiii-lllll'])(
    'refuses %j',
    (typed) => {
      expect(normalizeRecoveryCode(typed)).toBeUndefined();
    },
  );
});

describe('proofOf', () => {
  it('takes exactly one proof', () => {
    expect(proofOf({ totp: '123456' })).toEqual({ method: 'totp', code: '123456' });
    expect(proofOf({ recoveryCode: 'abc' })).toEqual({ method: 'recovery_code', code: 'abc' });
    expect(proofOf({ passkey: { id: 'x' } })).toEqual({
      method: 'passkey',
      response: { id: 'x' },
    });
    expect(proofOf({})).toBeUndefined();
    expect(proofOf({ totp: '123456', recoveryCode: 'abc' })).toBeUndefined();
    expect(proofOf({ totp: '123456', passkey: {} })).toBeUndefined();
  });
});

describe('WebAuthn response helpers', () => {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('reads the challenge from clientDataJSON', () => {
    const challenge = 'A'.repeat(43);
    expect(clientDataChallenge(encode({ type: 'webauthn.create', challenge }))).toBe(challenge);
    expect(clientDataChallenge(encode({ challenge: 'short' }))).toBeUndefined();
    expect(clientDataChallenge(encode({ challenge: 42 }))).toBeUndefined();
    expect(clientDataChallenge(encode(null))).toBeUndefined();
    expect(clientDataChallenge('not json')).toBeUndefined();
  });

  it('reads the signature counter from authenticator data', () => {
    const data = Buffer.alloc(37);
    data.writeUInt32BE(0x01020304, 33);
    expect(assertionCounter(data.toString('base64url'))).toBe(0x01020304);
    expect(assertionCounter(Buffer.alloc(36).toString('base64url'))).toBeUndefined();
  });

  it.each([
    [0, 0, true],
    [0, 1, true],
    [5, 6, true],
    [5, 5, false],
    [5, 4, false],
    [5, 0, false],
  ])('a counter of %i then %i is accepted: %s', (stored, received, accepted) => {
    expect(counterAccepted(stored, received)).toBe(accepted);
  });

  it('keeps only known transports, once each', () => {
    expect(knownTransports(['internal', 'usb', 'internal', 'carrier-pigeon'])).toEqual([
      'internal',
      'usb',
    ]);
    expect(knownTransports(undefined)).toEqual([]);
  });
});
