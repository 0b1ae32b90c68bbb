import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSignature, SIGNATURE_TOLERANCE_SECONDS, signatureHeader } from './signature.js';

const SECRET = 'whsec_test_0123456789';
const BODY = '{"id":"bev_1","type":"charge.succeeded"}';
const NOW_MS = Date.UTC(2031, 2, 14, 10, 0, 0, 500);
const T = Math.floor(NOW_MS / 1000);

function hmac(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

describe('signatureHeader', () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    expect(signatureHeader(SECRET, BODY, NOW_MS)).toBe(`t=${T},v1=${hmac(SECRET, T, BODY)}`);
  });
});

describe('checkSignature', () => {
  const header = signatureHeader(SECRET, BODY, NOW_MS);

  it('accepts its own signature, within the tolerance either way', () => {
    expect(checkSignature(SECRET, BODY, header, NOW_MS)).toEqual({ ok: true });
    const edgeMs = SIGNATURE_TOLERANCE_SECONDS * 1000;
    expect(checkSignature(SECRET, BODY, header, NOW_MS + edgeMs)).toEqual({ ok: true });
    expect(checkSignature(SECRET, BODY, header, NOW_MS - edgeMs)).toEqual({ ok: true });
  });

  it('rejects timestamps more than five minutes old or ahead', () => {
    const beyondMs = (SIGNATURE_TOLERANCE_SECONDS + 1) * 1000;
    const stale = { ok: false, reason: 'stale_timestamp' };
    expect(checkSignature(SECRET, BODY, header, NOW_MS + beyondMs)).toEqual(stale);
    expect(checkSignature(SECRET, BODY, header, NOW_MS - beyondMs)).toEqual(stale);
  });

  it.each([
    ['another body', SECRET, BODY.replace('succeeded', 'failed'), header],
    ['another secret', 'whsec_other_0123456789', BODY, header],
    ['a body with a trailing newline', SECRET, `${BODY}\n`, header],
    ['a moved timestamp', SECRET, BODY, header.replace(`t=${T}`, `t=${T + 1}`)],
    ['a signature of another body', SECRET, BODY, `t=${T},v1=${hmac(SECRET, T, '{}')}`],
  ])('rejects %s as bad_signature', (_what, secret, body, h) => {
    expect(checkSignature(secret, body, h, NOW_MS)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('reports bad_signature before stale_timestamp, so stale is only said of genuine callbacks', () => {
    const old = signatureHeader(SECRET, BODY, NOW_MS - 3_600_000);
    expect(checkSignature(SECRET, `${BODY} `, old, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('accepts a header carrying several signatures when one matches (secret rotation)', () => {
    const rotating = `t=${T},v1=${hmac('old_secret_0123456789', T, BODY)},v1=${hmac(SECRET, T, BODY)}`;
    expect(checkSignature(SECRET, BODY, rotating, NOW_MS)).toEqual({ ok: true });
  });

  it('ignores unknown schemes but needs a v1', () => {
    const withV2 = `${header},v2=abc`;
    expect(checkSignature(SECRET, BODY, withV2, NOW_MS)).toEqual({ ok: true });
    expect(checkSignature(SECRET, BODY, `t=${T},v2=abc`, NOW_MS)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['no timestamp', `v1=${hmac(SECRET, T, BODY)}`],
    ['no signature', `t=${T}`],
    ['a timestamp that is no number', `t=soon,v1=${hmac(SECRET, T, BODY)}`],
    ['a negative timestamp', `t=-${T},v1=${hmac(SECRET, T, BODY)}`],
    ['two timestamps', `t=${T},t=${T},v1=${hmac(SECRET, T, BODY)}`],
    ['a short signature', `t=${T},v1=abcd`],
    ['an upper-case signature', `t=${T},v1=${hmac(SECRET, T, BODY).toUpperCase()}`],
    ['a part without =', `t=${T},v1`],
    ['a part with two =', `t=${T},v1=${hmac(SECRET, T, BODY)}=`],
    ['an oversized header', `t=${T},v1=${hmac(SECRET, T, BODY)},x=${'a'.repeat(2000)}`],
    ['too many signatures', `t=${T}${`,v1=${hmac(SECRET, T, BODY)}`.repeat(5)}`],
  ])('rejects %s as malformed', (_what, h) => {
    expect(checkSignature(SECRET, BODY, h, NOW_MS)).toEqual({ ok: false, reason: 'malformed' });
  });
});
