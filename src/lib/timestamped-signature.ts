import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature scheme of Hebao's webhooks and of the sandbox bank's callbacks (API.md): a header
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">[,v1=…]`. Signing the timestamp with
 * the body lets a receiver refuse replays; several `v1` entries let a secret be rotated.
 */

/** Longer headers are not looked at; a genuine one with two signatures is under 200 characters. */
export const SIGNATURE_HEADER_LENGTH_MAX = 1024;
/** `v1=` entries looked at in one header. */
export const SIGNATURES_PER_HEADER_MAX = 4;

export function signatureHmac(secret: string, t: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest();
}

/** The header for a body signed at `t` with each of `secrets`. */
export function signatureHeaderOf(
  secrets: readonly string[],
  body: string | Uint8Array,
  t: number,
): string {
  const entries = secrets.map((s) => `v1=${signatureHmac(s, t, body).toString('hex')}`);
  return [`t=${t}`, ...entries].join(',');
}

export interface ParsedSignatureHeader {
  readonly t: number;
  readonly signatures: readonly string[];
}

/** `t=…,v1=…[,v1=…]`; unknown keys are skipped so that a later scheme (`v2=`) can be added. */
export function parseSignatureHeader(
  header: string | undefined,
): ParsedSignatureHeader | undefined {
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

/**
 * Whether any `v1` entry signs the body with the secret. Every entry is compared, each in
 * constant time, so the time taken does not say which entry or byte differed.
 */
export function signedWith(
  parsed: ParsedSignatureHeader,
  secret: string,
  body: string | Uint8Array,
): boolean {
  const expected = signatureHmac(secret, parsed.t, body);
  let matches = false;
  for (const signature of parsed.signatures) {
    matches = timingSafeEqual(Buffer.from(signature, 'hex'), expected) || matches;
  }
  return matches;
}
