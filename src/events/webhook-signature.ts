import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signatures of Hebao's webhook deliveries (API.md, "Webhooks and events"): the header
 * `Hebao-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the
 * endpoint's secret as written (`whsec_...`, prefix included). Signing the timestamp with the body
 * lets a receiver refuse replays of old deliveries.
 *
 * This file is pure and imports nothing but Node's crypto, so that a receiver (the example shop,
 * a merchant's server) can copy or import it alone.
 */

export const WEBHOOK_SIGNATURE_HEADER = 'Hebao-Signature';
export const WEBHOOK_EVENT_ID_HEADER = 'Hebao-Event-Id';
/** How far a delivery's timestamp may be from the receiver's clock, either way. */
export const WEBHOOK_SIGNATURE_TOLERANCE_SECONDS = 5 * 60;
/** Longer headers are not looked at; a genuine one with two signatures is under 200 characters. */
export const WEBHOOK_SIGNATURE_HEADER_LENGTH_MAX = 1024;
/** `v1=` entries in one header: more than one while a secret is being rotated. */
export const WEBHOOK_SIGNATURES_PER_HEADER_MAX = 4;
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
  const entries = secrets.map((s) => `v1=${hmac(s, tSeconds, body).toString('hex')}`);
  return [`t=${tSeconds}`, ...entries].join(',');
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
  const expected = hmac(secret, parsed.t, body);
  let matches = false;
  for (const signature of parsed.signatures) {
    matches = timingSafeEqual(Buffer.from(signature, 'hex'), expected) || matches;
  }
  if (!matches) return { ok: false, reason: 'signature_mismatch' };
  if (parsed.t < nowSeconds - toleranceSeconds) return { ok: false, reason: 'timestamp_too_old' };
  if (parsed.t > nowSeconds + toleranceSeconds) {
    return { ok: false, reason: 'timestamp_in_future' };
  }
  return { ok: true, timestamp: parsed.t };
}

function hmac(secret: string, t: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest();
}

interface ParsedHeader {
  readonly t: number;
  readonly signatures: readonly string[];
}

/** `t=…,v1=…[,v1=…]`; unknown keys are skipped so that a later scheme (`v2=`) can be added. */
function parseSignatureHeader(header: string | undefined): ParsedHeader | undefined {
  if (typeof header !== 'string' || header.length > WEBHOOK_SIGNATURE_HEADER_LENGTH_MAX) {
    return undefined;
  }
  let t: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    if (key === undefined || value === undefined || rest.length > 0) return undefined;
    if (key === 't') {
      if (t !== undefined || !/^[0-9]{1,12}$/.test(value)) return undefined;
      t = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return undefined;
      signatures.push(value);
    }
  }
  if (t === undefined || signatures.length === 0) return undefined;
  if (signatures.length > WEBHOOK_SIGNATURES_PER_HEADER_MAX) return undefined;
  return { t, signatures };
}
