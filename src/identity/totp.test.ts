import { describe, expect, it } from 'vitest';
import { matchTotp, newTotpSecret, qrSvg, totpCode, totpUri } from './totp.js';

/** RFC 6238 appendix B's SHA-1 secret, the ASCII string '12345678901234567890', in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** RFC 6238 appendix B, SHA-1 rows: the last six digits of its eight-digit codes. */
const RFC_VECTORS: readonly (readonly [seconds: number, code: string])[] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
  [20000000000, '353130'],
];

const STEP_MS = 30_000;
/** 1111111111 s lies inside step 37037037, away from its edges. */
const NOW_MS = 1111111111_000;
const NOW_STEP = 37037037;

describe('totpCode', () => {
  it.each(RFC_VECTORS)('matches RFC 6238 at %i s', async (seconds, code) => {
    expect(await totpCode(RFC_SECRET, seconds * 1000)).toBe(code);
  });

  it('gives the same code throughout a step', async () => {
    const start = NOW_STEP * STEP_MS;
    const first = await totpCode(RFC_SECRET, start);
    expect(await totpCode(RFC_SECRET, start + STEP_MS - 1)).toBe(first);
    expect(await totpCode(RFC_SECRET, start + STEP_MS)).not.toBe(first);
  });
});

describe('matchTotp', () => {
  it.each(RFC_VECTORS)('accepts the RFC 6238 code at %i s', async (seconds, code) => {
    const result = await matchTotp(RFC_SECRET, code, seconds * 1000, null);
    expect(result).toEqual({ ok: true, step: Math.floor(seconds / 30) });
  });

  it.each([-1, 1])('accepts a code %i step away, for clock drift', async (offset) => {
    const code = await totpCode(RFC_SECRET, NOW_MS + offset * STEP_MS);
    const result = await matchTotp(RFC_SECRET, code, NOW_MS, null);
    expect(result).toEqual({ ok: true, step: NOW_STEP + offset });
  });

  it.each([-2, 2, -10, 10])('refuses a code %i steps away', async (offset) => {
    const code = await totpCode(RFC_SECRET, NOW_MS + offset * STEP_MS);
    const result = await matchTotp(RFC_SECRET, code, NOW_MS, null);
    expect(result).toEqual({ ok: false, reason: 'wrong_code' });
  });

  it('accepts the edges of the window wherever now falls in its step', async () => {
    const stepStart = NOW_STEP * STEP_MS;
    for (const nowMs of [stepStart, stepStart + STEP_MS - 1]) {
      const early = await totpCode(RFC_SECRET, stepStart - STEP_MS);
      const late = await totpCode(RFC_SECRET, stepStart + STEP_MS);
      expect(await matchTotp(RFC_SECRET, early, nowMs, null)).toEqual({
        ok: true,
        step: NOW_STEP - 1,
      });
      expect(await matchTotp(RFC_SECRET, late, nowMs, null)).toEqual({
        ok: true,
        step: NOW_STEP + 1,
      });
    }
  });

  it('refuses a wrong code', async () => {
    const code = await totpCode(RFC_SECRET, NOW_MS);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(await matchTotp(RFC_SECRET, wrong, NOW_MS, null)).toEqual({
      ok: false,
      reason: 'wrong_code',
    });
    expect(await matchTotp(RFC_SECRET, wrong, NOW_MS, NOW_STEP - 5)).toEqual({
      ok: false,
      reason: 'wrong_code',
    });
  });

  it('refuses a code a second time in the same step', async () => {
    const code = await totpCode(RFC_SECRET, NOW_MS);
    const first = await matchTotp(RFC_SECRET, code, NOW_MS, null);
    expect(first).toEqual({ ok: true, step: NOW_STEP });
    const again = await matchTotp(RFC_SECRET, code, NOW_MS + 5_000, NOW_STEP);
    expect(again).toEqual({ ok: false, reason: 'replayed' });
  });

  it('refuses a code of a step before the last one used', async () => {
    const earlier = await totpCode(RFC_SECRET, NOW_MS - STEP_MS);
    expect(await matchTotp(RFC_SECRET, earlier, NOW_MS, NOW_STEP)).toEqual({
      ok: false,
      reason: 'replayed',
    });
  });

  it('accepts the code of a step after the last one used', async () => {
    const later = await totpCode(RFC_SECRET, NOW_MS + STEP_MS);
    expect(await matchTotp(RFC_SECRET, later, NOW_MS, NOW_STEP)).toEqual({
      ok: true,
      step: NOW_STEP + 1,
    });
  });

  it('refuses every code when the last step used lies beyond the window', async () => {
    // The clock went backwards, or a code from the future was used: nothing in the window is new.
    const code = await totpCode(RFC_SECRET, NOW_MS);
    expect(await matchTotp(RFC_SECRET, code, NOW_MS, NOW_STEP + 5)).toEqual({
      ok: false,
      reason: 'replayed',
    });
  });

  it.each(['12345', '1234567', 'abcdef', ' 123456', '123456 ', '123456\n', '', '１２３４５６'])(
    'refuses the malformed code %j',
    async (code) => {
      expect(await matchTotp(RFC_SECRET, code, NOW_MS, null)).toEqual({
        ok: false,
        reason: 'malformed',
      });
    },
  );

  it('refuses a malformed code that would otherwise match', async () => {
    const code = await totpCode(RFC_SECRET, NOW_MS);
    expect(await matchTotp(RFC_SECRET, ` ${code}`, NOW_MS, null)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
});

describe('newTotpSecret', () => {
  it('is 160 bits of base32, different each time, and usable', async () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const code = await totpCode(secret, NOW_MS);
    expect(await matchTotp(secret, code, NOW_MS, null)).toEqual({ ok: true, step: NOW_STEP });
  });
});

describe('totpUri', () => {
  it('names the issuer and account and carries the secret', () => {
    const uri = totpUri({ secret: RFC_SECRET, accountName: 'alice@example.com' });
    expect(uri.startsWith('otpauth://totp/Hebao:alice%40example.com?')).toBe(true);
    const params = new URLSearchParams(uri.slice(uri.indexOf('?') + 1));
    expect(params.get('secret')).toBe(RFC_SECRET);
    expect(params.get('issuer')).toBe('Hebao');
    // Apps assume SHA-1, six digits and thirty seconds when the parameters are absent.
    expect(params.get('algorithm') ?? 'SHA1').toBe('SHA1');
    expect(params.get('digits') ?? '6').toBe('6');
    expect(params.get('period') ?? '30').toBe('30');
  });

  it('escapes an account name and issuer', () => {
    const uri = totpUri({ secret: RFC_SECRET, accountName: 'a b?c&d', issuer: 'Hebao Dev' });
    expect(uri.startsWith('otpauth://totp/Hebao%20Dev:a%20b%3Fc%26d?')).toBe(true);
    const params = new URLSearchParams(uri.slice(uri.indexOf('?') + 1));
    expect(params.get('issuer')).toBe('Hebao Dev');
    expect(params.get('secret')).toBe(RFC_SECRET);
  });

  it('refuses a colon, which would split the label in the wrong place', () => {
    expect(() => totpUri({ secret: RFC_SECRET, accountName: 'a:b' })).toThrow(/colon/);
    expect(() => totpUri({ secret: RFC_SECRET, accountName: 'a', issuer: 'He:bao' })).toThrow(
      /colon/,
    );
  });
});

describe('qrSvg', () => {
  it('draws an SVG', async () => {
    const svg = await qrSvg(totpUri({ secret: RFC_SECRET, accountName: 'alice@example.com' }));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});
