import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PAYMENT_CODE_PREFIX,
  PAYMENT_CODE_STEP_SECONDS,
  TOKEN_ID_LIMIT,
  candidateSteps,
  disguiseTokenId,
  generatePaymentCode,
  newPaymentCodeSecret,
  parsePaymentCode,
  paymentCodeStep,
  recoverTokenId,
  secondsLeftInStep,
  verifyPaymentCode,
} from './payment-code.js';

/** RFC 6238 appendix B's SHA-256 secret, the ASCII string '12345678901234567890123456789012'. */
const RFC_SECRET = new TextEncoder().encode('12345678901234567890123456789012');

/**
 * RFC 6238 appendix B, SHA-256 rows, as (step counter, last six digits of its eight-digit code).
 * The counters there come from a 30-second step; here the same counters are 60-second steps.
 */
const RFC_VECTORS: readonly (readonly [counter: number, otp: string])[] = [
  [1, '119246'],
  [37037036, '084774'],
  [37037037, '062674'],
  [41152263, '819424'],
  [66666666, '698825'],
  [666666666, '737706'],
];

/**
 * Whole codes, computed by an independent implementation (Python's hmac and struct) of the
 * Feistel disguise and RFC 4226 truncation, then pinned here.
 */
const KNOWN_CODES: readonly (readonly [tokenId: number, step: number, code: string])[] = [
  [0, 1, '885454243562119246'],
  [1, 1, '886746236966119246'],
  [2, 1, '885447418467119246'],
  [1234567890, 1, '889733565654119246'],
  [9999999999, 1, '888191321271119246'],
  [1234567890, 29000000, '889767366674110999'],
  [1234567891, 29000000, '887885836355110999'],
  [1234567890, 29000001, '884366010137375586'],
];

const STEP_MS = PAYMENT_CODE_STEP_SECONDS * 1000;
/** 2025-02-18T18:40:00Z, the start of step 29000000. */
const NOW_STEP = 29000000;
const NOW_MS = NOW_STEP * STEP_MS + 25_000;
const SECRET = Uint8Array.from({ length: 20 }, (_, i) => i * 7 + 1);
const TOKEN_ID = 4_200_000_017;

const tokenIds = fc.integer({ min: 0, max: TOKEN_ID_LIMIT - 1 });
const steps = fc.integer({ min: 0, max: 2 ** 40 });
/** From 1970 to the year 2109, in milliseconds. */
const times = fc.integer({ min: 0, max: 2 ** 42 });
const secrets = fc.uint8Array({ minLength: 16, maxLength: 64 });

/**
 * What the server does with a scanned code: recover a token id for each step it accepts, keep
 * the one that names this device, and verify there. The step that matched, or null.
 */
async function serverAccepts(
  code: string,
  secret: Uint8Array,
  tokenId: number,
  nowMs: number,
): Promise<number | null> {
  const parsed = parsePaymentCode(code);
  if (!parsed.ok) return null;
  for (const step of candidateSteps(nowMs)) {
    if ((await recoverTokenId(parsed.disguisedTokenId, step)) !== tokenId) continue;
    if (await verifyPaymentCode({ code, secret, tokenId, step })) return step;
  }
  return null;
}

describe('generatePaymentCode', () => {
  it.each(RFC_VECTORS)('ends in the RFC 6238 SHA-256 code for step %i', async (counter, otp) => {
    const at = counter * STEP_MS + 59_999;
    const code = await generatePaymentCode({ secret: RFC_SECRET, tokenId: 7, at });
    expect(code).toMatch(/^88[0-9]{16}$/);
    expect(code.slice(12)).toBe(otp);
  });

  it.each(KNOWN_CODES)(
    'gives token id %i at step %i the pinned code',
    async (tokenId, step, code) => {
      const at = new Date(step * STEP_MS);
      expect(await generatePaymentCode({ secret: RFC_SECRET, tokenId, at })).toBe(code);
      expect(await generatePaymentCode({ secret: RFC_SECRET, tokenId: BigInt(tokenId), at })).toBe(
        code,
      );
    },
  );

  it('gives the same code throughout a step and another in the next', async () => {
    const start = NOW_STEP * STEP_MS;
    const first = await generatePaymentCode({ secret: SECRET, tokenId: TOKEN_ID, at: start });
    const last = await generatePaymentCode({
      secret: SECRET,
      tokenId: TOKEN_ID,
      at: start + STEP_MS - 1,
    });
    const next = await generatePaymentCode({
      secret: SECRET,
      tokenId: TOKEN_ID,
      at: start + STEP_MS,
    });
    expect(last).toBe(first);
    expect(next).not.toBe(first);
  });

  it('gives different devices different codes at the same moment', async () => {
    const codes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        generatePaymentCode({ secret: new Uint8Array(20).fill(i), tokenId: TOKEN_ID, at: NOW_MS }),
      ),
    );
    expect(new Set(codes).size).toBe(codes.length);
    // Same token id and step, so the disguised part is shared and the secret changes the rest.
    expect(new Set(codes.map((code) => code.slice(12))).size).toBe(codes.length);
  });

  it('refuses a secret under 128 bits', async () => {
    const input = { tokenId: TOKEN_ID, at: NOW_MS };
    await expect(generatePaymentCode({ ...input, secret: new Uint8Array(15) })).rejects.toThrow(
      RangeError,
    );
    await expect(generatePaymentCode({ ...input, secret: new Uint8Array(16) })).resolves.toMatch(
      /^88[0-9]{16}$/,
    );
  });

  it.each([-1, TOKEN_ID_LIMIT, 1.5, Number.NaN, -1n, BigInt(TOKEN_ID_LIMIT)])(
    'refuses the token id %s',
    async (tokenId) => {
      await expect(generatePaymentCode({ secret: SECRET, tokenId, at: NOW_MS })).rejects.toThrow(
        RangeError,
      );
    },
  );

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses the time %s', async (at) => {
    await expect(generatePaymentCode({ secret: SECRET, tokenId: TOKEN_ID, at })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('newPaymentCodeSecret', () => {
  it('draws 160 fresh bits each time', () => {
    const first = newPaymentCodeSecret();
    expect(first).toHaveLength(20);
    expect(newPaymentCodeSecret()).not.toEqual(first);
  });
});

describe('parsePaymentCode', () => {
  it('splits a code into its disguised token id and time-based code', () => {
    expect(parsePaymentCode('880012345678019246')).toEqual({
      ok: true,
      disguisedTokenId: 12345678,
      otp: '019246',
    });
  });

  it.each([
    ['17 digits', '88001234567801924'],
    ['19 digits', '8800123456780192460'],
    ['a letter', '88001234567801924a'],
    ['spaces', '88 0012 3456 7801 9246'],
    ['a sign', '+88001234567801924'],
    ['full-width digits', '８８００１２３４５６７８０１９２４６'],
    ['nothing', ''],
  ])('calls a code with %s malformed', (_name, code) => {
    expect(parsePaymentCode(code)).toMatchObject({ ok: false, code: 'payment_code_malformed' });
  });

  it.each([
    ['Alipay', '280012345678019246'],
    ['WeChat Pay', '130012345678019246'],
    ['a near miss', '890012345678019246'],
  ])('tells a code of %s by its prefix', (_name, code) => {
    expect(parsePaymentCode(code)).toMatchObject({
      ok: false,
      code: 'payment_code_unknown_prefix',
    });
  });
});

describe('the token id disguise', () => {
  it.each(KNOWN_CODES)(
    'disguises token id %i at step %i as pinned',
    async (tokenId, step, code) => {
      const disguised = Number(code.slice(PAYMENT_CODE_PREFIX.length, 12));
      expect(await disguiseTokenId(tokenId, step)).toBe(disguised);
      expect(await recoverTokenId(disguised, step)).toBe(tokenId);
    },
  );

  it('is undone by recoverTokenId and stays in range, for any token id and step', async () => {
    await fc.assert(
      fc.asyncProperty(tokenIds, steps, async (tokenId, step) => {
        const disguised = await disguiseTokenId(tokenId, step);
        expect(Number.isSafeInteger(disguised)).toBe(true);
        expect(disguised).toBeGreaterThanOrEqual(0);
        expect(disguised).toBeLessThan(TOKEN_ID_LIMIT);
        expect(await recoverTokenId(disguised, step)).toBe(tokenId);
        expect(await disguiseTokenId(await recoverTokenId(tokenId, step), step)).toBe(tokenId);
      }),
    );
  });

  it('sends a run of consecutive token ids to distinct, scattered values', async () => {
    const start = 1_000_000_000;
    const disguised = await Promise.all(
      Array.from({ length: 500 }, (_, i) => disguiseTokenId(start + i, NOW_STEP)),
    );
    expect(new Set(disguised).size).toBe(disguised.length);
    const adjacent = disguised.slice(1).filter((d, i) => Math.abs(d - disguised[i]!) < 1000);
    expect(adjacent).toHaveLength(0);
  });

  it.each([-1, 1.5, Number.MAX_SAFE_INTEGER + 1])('refuses the step %s', async (step) => {
    await expect(disguiseTokenId(TOKEN_ID, step)).rejects.toThrow(RangeError);
    await expect(recoverTokenId(TOKEN_ID, step)).rejects.toThrow(RangeError);
  });
});

describe('verifying a scanned code', () => {
  it('finds the device and accepts its code, for any secret, token id and time', async () => {
    await fc.assert(
      fc.asyncProperty(secrets, tokenIds, times, async (secret, tokenId, at) => {
        const code = await generatePaymentCode({ secret, tokenId, at });
        const parsed = parsePaymentCode(code);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const step = paymentCodeStep(at);
        expect(await recoverTokenId(parsed.disguisedTokenId, step)).toBe(tokenId);
        expect(await verifyPaymentCode({ code, secret, tokenId, step })).toBe(true);
      }),
    );
  });

  it('accepts a code of the current and of the previous step', async () => {
    for (const [offsetMs, step] of [
      [0, NOW_STEP],
      [-STEP_MS, NOW_STEP - 1],
    ] as const) {
      const code = await generatePaymentCode({
        secret: SECRET,
        tokenId: TOKEN_ID,
        at: NOW_MS + offsetMs,
      });
      expect(await serverAccepts(code, SECRET, TOKEN_ID, NOW_MS)).toBe(step);
    }
  });

  it('accepts a code made in the last millisecond of a step at the start of the next', async () => {
    const stepStart = NOW_STEP * STEP_MS;
    const code = await generatePaymentCode({
      secret: SECRET,
      tokenId: TOKEN_ID,
      at: stepStart - 1,
    });
    expect(await serverAccepts(code, SECRET, TOKEN_ID, stepStart)).toBe(NOW_STEP - 1);
  });

  it.each([
    ['two steps old', -2 * STEP_MS],
    ['ten steps old', -10 * STEP_MS],
    ['from a phone a step ahead', STEP_MS],
  ])('refuses a code %s', async (_name, offsetMs) => {
    const code = await generatePaymentCode({
      secret: SECRET,
      tokenId: TOKEN_ID,
      at: NOW_MS + offsetMs,
    });
    expect(await serverAccepts(code, SECRET, TOKEN_ID, NOW_MS)).toBeNull();
  });

  it('refuses a code with any one digit changed', async () => {
    const code = await generatePaymentCode({ secret: SECRET, tokenId: TOKEN_ID, at: NOW_MS });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: code.length - 1 }),
        fc.integer({ min: 1, max: 9 }),
        async (position, shift) => {
          const digit = (Number(code[position]) + shift) % 10;
          const changed = `${code.slice(0, position)}${digit}${code.slice(position + 1)}`;
          const check = { code: changed, secret: SECRET, tokenId: TOKEN_ID, step: NOW_STEP };
          expect(await verifyPaymentCode(check)).toBe(false);
          expect(await serverAccepts(changed, SECRET, TOKEN_ID, NOW_MS)).toBeNull();
        },
      ),
    );
  });

  it('refuses a code checked against another secret or token id', async () => {
    const code = await generatePaymentCode({ secret: SECRET, tokenId: TOKEN_ID, at: NOW_MS });
    const otherSecret = SECRET.map((byte) => byte ^ 1);
    const check = { code, secret: SECRET, tokenId: TOKEN_ID, step: NOW_STEP };
    expect(await verifyPaymentCode(check)).toBe(true);
    expect(await verifyPaymentCode({ ...check, secret: otherSecret })).toBe(false);
    expect(await verifyPaymentCode({ ...check, tokenId: TOKEN_ID + 1 })).toBe(false);
  });

  it.each(['', '88', 'not a payment code'])('refuses %j', async (code) => {
    const check = { code, secret: SECRET, tokenId: TOKEN_ID, step: NOW_STEP };
    expect(await verifyPaymentCode(check)).toBe(false);
  });

  it('refuses a secret under 128 bits', async () => {
    const check = { code: '880000000000000000', tokenId: TOKEN_ID, step: NOW_STEP };
    await expect(verifyPaymentCode({ ...check, secret: new Uint8Array(15) })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('steps and the countdown', () => {
  const stepStart = NOW_STEP * STEP_MS;

  it('numbers steps from 1970 and offers the current one, then the previous one', () => {
    expect(paymentCodeStep(0)).toBe(0);
    expect(paymentCodeStep(new Date(stepStart))).toBe(NOW_STEP);
    expect(paymentCodeStep(stepStart - 1)).toBe(NOW_STEP - 1);
    expect(candidateSteps(stepStart + 59_999)).toEqual([NOW_STEP, NOW_STEP - 1]);
    expect(candidateSteps(59_999)).toEqual([0]);
  });

  it.each([
    [0, 60],
    [1, 60],
    [999, 60],
    [1_000, 59],
    [30_000, 30],
    [59_000, 1],
    [59_999, 1],
    [60_000, 60],
  ])('shows %i ms into a step as %i seconds left', (intoStepMs, seconds) => {
    expect(secondsLeftInStep(stepStart + intoStepMs)).toBe(seconds);
    expect(secondsLeftInStep(new Date(stepStart + intoStepMs))).toBe(seconds);
  });

  it('refuses an invalid date', () => {
    expect(() => secondsLeftInStep(new Date(Number.NaN))).toThrow(RangeError);
  });
});
