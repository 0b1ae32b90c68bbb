import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signatures of the bank's callbacks, in the style of Hebao's own webhooks (API.md): the header
 * `Hebao-Bank-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. Signing the
 * timestamp with the body lets a receiver refuse replays of old callbacks.
 */

export const SIGNATURE_HEADER = 'hebao-bank-signature';
/** How far a callback's timestamp may be from the receiver's clock, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;
/** Longer headers are not looked at; a genuine one is under 100 characters. */
export const SIGNATURE_HEADER_LENGTH_MAX = 1024;
/** Signatures (`v1=` entries) looked at in one header; more than one allows rotating a secret. */
export const SIGNATURES_PER_HEADER_MAX = 4;

export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'bad_signature' | 'stale_timestamp' | 'malformed' };

export function signatureHeader(secret: string, rawBody: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

/**
 * Checks the signature before the timestamp, so that `stale_timestamp` is only ever said about a
 * callback that the bank really sent; anything altered is `bad_signature`. The comparison takes
 * the same time wherever the first differing byte is.
 */
export function checkSignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowMs: number,
): SignatureCheck {
  const parsed = parseHeader(header);
  if (parsed === undefined) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(hmacHex(secret, parsed.t, rawBody), 'hex');
  const matches = parsed.signatures.some((hex) =>
    timingSafeEqual(Buffer.from(hex, 'hex'), expected),
  );
  if (!matches) return { ok: false, reason: 'bad_signature' };
  const skew = Math.abs(Math.floor(nowMs / 1000) - parsed.t);
  if (skew > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'stale_timestamp' };
  return { ok: true };
}

function hmacHex(secret: string, t: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
}

interface ParsedHeader {
  readonly t: number;
  readonly signatures: readonly string[];
}

/** `t=…,v1=…[,v1=…]`; unknown keys are skipped so that a later scheme (`v2=`) can be added. */
function parseHeader(header: string | undefined): ParsedHeader | undefined {
  if (typeof header !== 'string' || header.length > SIGNATURE_HEADER_LENGTH_MAX) return undefined;
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
  if (signatures.length > SIGNATURES_PER_HEADER_MAX) return undefined;
  return { t, signatures };
}
