/**
 * The pure decisions of second factors: which methods a user can sign in with, what a recovery
 * code looks like, which proof a request carries, and what a WebAuthn response says before the
 * library checks it. No clock, no randomness, no database: the shell passes those in.
 */
import { limits } from '../limits.js';

/** Ways to complete the second step of a password sign-in. */
export type MfaMethod = 'totp' | 'recovery_code' | 'passkey';

export interface MfaState {
  readonly totpEnabled: boolean;
  readonly recoveryCodesLeft: number;
  readonly passkeys: number;
}

/** Recovery codes handed out at a time; a new set replaces the old one whole. */
export const RECOVERY_CODE_COUNT = limits.recoveryCodeCount;

/** Passkeys one user may register: enough for every device a person owns. */
export const PASSKEYS_PER_USER_MAX = limits.passkeysPerUserMax;

/** WebAuthn transports as the specification and the library name them; others are dropped. */
export const PASSKEY_TRANSPORTS = [
  'ble',
  'cable',
  'hybrid',
  'internal',
  'nfc',
  'smart-card',
  'usb',
] as const;
export type PasskeyTransport = (typeof PASSKEY_TRANSPORTS)[number];

/** A second factor stands behind the password once an authenticator app or a passkey is set. */
export function mfaEnabled(state: MfaState): boolean {
  return state.totpEnabled || state.passkeys > 0;
}

/** The methods a sign-in may be completed with, in the order the client should offer them. */
export function mfaMethods(state: MfaState): MfaMethod[] {
  const methods: MfaMethod[] = [];
  if (state.passkeys > 0) methods.push('passkey');
  if (state.totpEnabled) methods.push('totp');
  if (state.totpEnabled && state.recoveryCodesLeft > 0) methods.push('recovery_code');
  return methods;
}

/**
 * Crockford's base32 alphabet in lower case: no i, l, o or u, so that a code copied by hand from
 * paper cannot be misread. 32 symbols, so one random byte masked to 5 bits picks one uniformly.
 */
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const RECOVERY_CODE_LENGTH = 10;

/** A recovery code as shown to the user ("k3m9x-7qh2p"), from RECOVERY_CODE_LENGTH random bytes. */
export function recoveryCodeOf(random: Uint8Array): string {
  if (random.length < RECOVERY_CODE_LENGTH) {
    throw new RangeError(`a recovery code needs ${RECOVERY_CODE_LENGTH} random bytes`);
  }
  const symbols = [...random.subarray(0, RECOVERY_CODE_LENGTH)].map(
    (byte) => RECOVERY_ALPHABET[byte & 31]!,
  );
  return `${symbols.slice(0, 5).join('')}-${symbols.slice(5).join('')}`;
}

/**
 * The canonical form of a typed recovery code (lower case, no hyphen or spaces), which is what
 * gets hashed; undefined when it cannot be one.
 */
export function normalizeRecoveryCode(text: string): string | undefined {
  const compact = text.toLowerCase().replace(/[\s-]/g, '');
  if (compact.length !== RECOVERY_CODE_LENGTH) return undefined;
  return [...compact].every((c) => RECOVERY_ALPHABET.includes(c)) ? compact : undefined;
}

export type MfaProof<Assertion> =
  | { readonly method: 'totp'; readonly code: string }
  | { readonly method: 'recovery_code'; readonly code: string }
  | { readonly method: 'passkey'; readonly response: Assertion };

/** The one proof a request carries, or undefined when it carries none or several. */
export function proofOf<Assertion>(input: {
  readonly totp?: string | undefined;
  readonly recoveryCode?: string | undefined;
  readonly passkey?: Assertion | undefined;
}): MfaProof<Assertion> | undefined {
  const given = [input.totp, input.recoveryCode, input.passkey].filter((p) => p !== undefined);
  if (given.length !== 1) return undefined;
  if (input.totp !== undefined) return { method: 'totp', code: input.totp };
  if (input.recoveryCode !== undefined)
    return { method: 'recovery_code', code: input.recoveryCode };
  return { method: 'passkey', response: input.passkey! };
}

/**
 * The challenge inside a WebAuthn response's clientDataJSON (base64url JSON), which tells which
 * stored registration challenge the response answers. The library checks it again, signed.
 */
export function clientDataChallenge(clientDataJSON: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || !('challenge' in parsed)) return undefined;
    const challenge = parsed.challenge;
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(challenge)
      ? challenge
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The signature counter in base64url authenticator data (bytes 33 to 36, big-endian), read to
 * tell a counter that went backwards (a cloned authenticator, perhaps) from other failures.
 */
export function assertionCounter(authenticatorData: string): number | undefined {
  const bytes = Buffer.from(authenticatorData, 'base64url');
  return bytes.length < 37 ? undefined : bytes.readUInt32BE(33);
}

/**
 * Whether an assertion's counter is acceptable after `stored`: it must grow, unless the
 * authenticator keeps no counter at all (both zero), as the WebAuthn specification says.
 */
export function counterAccepted(stored: number, received: number): boolean {
  return (stored === 0 && received === 0) || received > stored;
}

/** The transports worth remembering from a registration, without duplicates. */
export function knownTransports(transports: readonly string[] | undefined): PasskeyTransport[] {
  const known = new Set<string>(PASSKEY_TRANSPORTS);
  return [...new Set((transports ?? []).filter((t) => known.has(t)))] as PasskeyTransport[];
}
