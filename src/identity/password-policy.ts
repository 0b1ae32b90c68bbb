/**
 * The password rules of NIST SP 800-63B as PRODUCT.md states them: a minimum length that depends
 * on whether a second factor protects the account, a generous maximum, no composition rules
 * ("one digit, one symbol" makes passwords harder to remember without making them harder to
 * guess), and a refusal of passwords that attackers try first: common ones and ones built from
 * the user's own name or login.
 */
import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * Eight characters are enough when a second factor stands behind the password; without one the
 * password is all there is, so it has to be long enough to be a passphrase.
 */
export const passwordLengthMin = { withMfa: 8, withoutMfa: 15 } as const;

/** Twice the 64 NIST asks to allow, so that passphrases and password managers are never refused. */
export const passwordLengthMax = 128;

/**
 * Context strings shorter than this are not looked for in the password: a three-letter login such
 * as 'amy' would forbid thousands of unrelated passwords.
 */
const CONTEXT_LENGTH_MIN = 4;

/**
 * NFKC turns at most four code points into one (U+1F82 decomposes into four), and each of those
 * takes at most two UTF-16 code units, so input longer than this cannot normalize to
 * `passwordLengthMax` code points or fewer. Rejecting it before normalizing bounds the work done on
 * hostile input without ever refusing a password that would have fitted.
 */
const PASSWORD_INPUT_UNITS_MAX = passwordLengthMax * 4 * 2;

export type PasswordErrorCode =
  | 'password_too_short'
  | 'password_too_long'
  | 'password_too_common'
  | 'password_contains_personal_info';

export type PasswordCheckResult =
  | { readonly ok: true; readonly normalized: string }
  | {
      readonly ok: false;
      readonly code: PasswordErrorCode;
      readonly minLength?: number;
      readonly maxLength?: number;
    };

export interface PasswordCheckOptions {
  readonly mfaEnabled: boolean;
  /**
   * Strings the password must not contain, such as the login and the display name. They are
   * matched whole; a caller that wants parts matched too (the local part of an email address)
   * passes them as separate strings.
   */
  readonly context: readonly string[];
}

/**
 * Checks a new password. The result carries the NFKC-normalized password, which is what must be
 * hashed, so that the same password typed on a keyboard that produces full-width or composed
 * characters still matches at login.
 */
export function checkPassword(
  password: string,
  options: PasswordCheckOptions,
): PasswordCheckResult {
  if (password.length > PASSWORD_INPUT_UNITS_MAX) {
    return { ok: false, code: 'password_too_long', maxLength: passwordLengthMax };
  }
  const normalized = password.normalize('NFKC');
  const lengthCodePoints = Array.from(normalized).length;
  const minLength = options.mfaEnabled ? passwordLengthMin.withMfa : passwordLengthMin.withoutMfa;
  if (lengthCodePoints < minLength) return { ok: false, code: 'password_too_short', minLength };
  if (lengthCodePoints > passwordLengthMax) {
    return { ok: false, code: 'password_too_long', maxLength: passwordLengthMax };
  }
  const lower = normalized.toLowerCase();
  if (isTooCommon(lower)) return { ok: false, code: 'password_too_common' };
  if (containsContext(lower, options.context)) {
    return { ok: false, code: 'password_contains_personal_info' };
  }
  return { ok: true, normalized };
}

let commonPasswords: ReadonlySet<string> | undefined;

/**
 * The common password list of zxcvbn-ts (about 49,000 entries, most frequent first), lower-cased.
 * The set is built on first use so that processes which never check a password do not pay for it.
 */
function commonPasswordSet(): ReadonlySet<string> {
  commonPasswords ??= new Set(
    dictionary['passwords-common'].map((entry) => entry.normalize('NFKC').toLowerCase()),
  );
  return commonPasswords;
}

/**
 * A password made of one repeated character ('aaaaaaaaaaaaaaaa') is the first thing a guesser
 * tries at every length, so it counts as common even though the list cannot hold every length.
 */
function isTooCommon(lower: string): boolean {
  if (new Set(lower).size <= 1) return true;
  return commonPasswordSet().has(lower);
}

function containsContext(lower: string, context: readonly string[]): boolean {
  return context.some((entry) => {
    const needle = entry.normalize('NFKC').toLowerCase().trim();
    return Array.from(needle).length >= CONTEXT_LENGTH_MIN && lower.includes(needle);
  });
}
