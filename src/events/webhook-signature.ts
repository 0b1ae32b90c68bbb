import { randomBytes } from 'node:crypto';
import {
  parseSignatureHeader,
  SIGNATURE_HEADER_LENGTH_MAX,
  SIGNATURES_PER_HEADER_MAX,
  signatureHeaderOf,
  signedWith,
} from '../lib/timestamped-signature.js';

/**
 * Signatures of Hebao's webhook deliveries (API.md, "Webhooks and events"): the header
 * `Hebao-Signature` in the scheme of `src/lib/timestamped-signature.ts`, keyed with the
 * endpoint's secret as written (`whsec_...`, prefix included). Pure: no database, no clock.
 */

export const WEBHOOK_SIGNATURE_HEADER = 'Hebao-Signature';
export const WEBHOOK_EVENT_ID_HEADER = 'Hebao-Event-Id';
/** How far a delivery's timestamp may be from the receiver's clock, either way. */
export const WEBHOOK_SIGNATURE_TOLERANCE_SECONDS = 5 * 60;
export const WEBHOOK_SIGNATURE_HEADER_LENGTH_MAX = SIGNATURE_HEADER_LENGTH_MAX;
/** `v1=` entries in one header: more than one while a secret is being rotated. */
export const WEBHOOK_SIGNATURES_PER_HEADER_MAX = SIGNATURES_PER_HEADER_MAX;
/** A secret is `whsec_` and 32 random bytes in base64url, shown to its owner once. */
export const WEBHOOK_SECRET_BYTES = 32;
export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9_-]{43}$/;

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(WEBHOOK_SECRET_BYTES).toString('base64url')}`;
}

/**
 * The header value for a body sent at `tSeconds`: one `v1` per secret, so that while a secret is
 * rotated a receiver still holding the old one accepts the delivery too.
 */
export function signWebhook(
  secret: string | readonly string[],
  body: string | Uint8Array,
  tSeconds: number,
): string {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length < 1 || secrets.length > WEBHOOK_SIGNATURES_PER_HEADER_MAX) {
    throw new RangeError(`sign with 1 to ${WEBHOOK_SIGNATURES_PER_HEADER_MAX} secrets`);
  }
  if (!Number.isSafeInteger(tSeconds) || tSeconds < 0) {
    throw new RangeError('the timestamp must be whole unix seconds');
  }
  return signatureHeaderOf(secrets, body, tSeconds);
}

export type WebhookSignatureFailure =
  'malformed_header' | 'signature_mismatch' | 'timestamp_too_old' | 'timestamp_in_future';

export type WebhookSignatureCheck =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: WebhookSignatureFailure };

/**
 * Checks a delivery as a receiver should: against the raw body bytes as received (never a
 * re-serialized parse of them). The signature is checked before the timestamp, so a timestamp
 * reason is only ever given for a delivery that really came from Hebao; every `v1` entry is
 * compared, each in constant time.
 */
export function verifyWebhookSignature(
  header: string | undefined,
  body: string | Uint8Array,
  secret: string,
  nowSeconds: number,
  toleranceSeconds: number = WEBHOOK_SIGNATURE_TOLERANCE_SECONDS,
): WebhookSignatureCheck {
  const parsed = parseSignatureHeader(header);
  if (parsed === undefined) return { ok: false, reason: 'malformed_header' };
  if (!signedWith(parsed, secret, body)) return { ok: false, reason: 'signature_mismatch' };
  if (parsed.t < nowSeconds - toleranceSeconds) return { ok: false, reason: 'timestamp_too_old' };
  if (parsed.t > nowSeconds + toleranceSeconds) {
    return { ok: false, reason: 'timestamp_in_future' };
  }
  return { ok: true, timestamp: parsed.t };
}
