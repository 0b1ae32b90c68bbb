/**
 * Logins are a mobile number or an email address, normalised one way everywhere so that
 * `13812345678`, `+86 138 1234 5678` and `+8613812345678` are the same person. Pure.
 */
export type Contact =
  | { readonly kind: 'phone'; readonly value: string }
  | { readonly kind: 'email'; readonly value: string };

const E164 = /^\+[1-9][0-9]{6,14}$/;
const CN_MOBILE = /^1[3-9][0-9]{9}$/;
// Deliberately loose: one @, something on each side, a dot in the domain, no spaces. The only
// real check of an address is the code we send to it.
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{1,63}$/;

export function normalizePhone(input: string): string | undefined {
  const compact = input.trim().replace(/[\s-]/g, '');
  if (CN_MOBILE.test(compact)) return `+86${compact}`;
  if (E164.test(compact)) {
    // A Chinese number given with +86 must still be a mobile number.
    if (compact.startsWith('+86') && !CN_MOBILE.test(compact.slice(3))) return undefined;
    return compact;
  }
  return undefined;
}

export function normalizeEmail(input: string): string | undefined {
  const trimmed = input.trim().toLowerCase();
  return trimmed.length <= 254 && EMAIL.test(trimmed) ? trimmed : undefined;
}

export function parseLogin(input: string): Contact | undefined {
  if (input.includes('@')) {
    const email = normalizeEmail(input);
    return email === undefined ? undefined : { kind: 'email', value: email };
  }
  const phone = normalizePhone(input);
  return phone === undefined ? undefined : { kind: 'phone', value: phone };
}
