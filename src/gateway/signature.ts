import {
  parseSignatureHeader,
  signatureHeaderOf,
  signedWith,
} from '../lib/timestamped-signature.js';

/**
 * Signatures of the bank's callbacks, in the scheme of Hebao's own webhooks
 * (`src/lib/timestamped-signature.ts`) under the header `Hebao-Bank-Signature`.
 */

export const SIGNATURE_HEADER = 'hebao-bank-signature';
/** How far a callback's timestamp may be from the receiver's clock, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;
export {
  SIGNATURE_HEADER_LENGTH_MAX,
  SIGNATURES_PER_HEADER_MAX,
} from '../lib/timestamped-signature.js';

export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'bad_signature' | 'stale_timestamp' | 'malformed' };

export function signatureHeader(secret: string, rawBody: string, nowMs: number): string {
  return signatureHeaderOf([secret], rawBody, Math.floor(nowMs / 1000));
}

/**
 * Checks the signature before the timestamp, so that `stale_timestamp` is only ever said about a
 * callback that the bank really sent; anything altered is `bad_signature`.
 */
export function checkSignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowMs: number,
): SignatureCheck {
  const parsed = parseSignatureHeader(header);
  if (parsed === undefined) return { ok: false, reason: 'malformed' };
  if (!signedWith(parsed, secret, rawBody)) return { ok: false, reason: 'bad_signature' };
  const skew = Math.abs(Math.floor(nowMs / 1000) - parsed.t);
  if (skew > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'stale_timestamp' };
  return { ok: true };
}
