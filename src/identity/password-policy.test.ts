import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  checkPassword,
  passwordLengthMax,
  passwordLengthMin,
  type PasswordCheckResult,
} from './password-policy.js';

const withMfa = { mfaEnabled: true, context: [] } as const;
const withoutMfa = { mfaEnabled: false, context: [] } as const;

/** A password that is in no list, cut to the wanted number of code points. */
function uncommon(lengthCodePoints: number): string {
  return 'mq7vz-kp2w-rt9x-'.repeat(10).slice(0, lengthCodePoints);
}

const tooShort = (minLength: number): PasswordCheckResult => ({
  ok: false,
  code: 'password_too_short',
  minLength,
});
const tooLong: PasswordCheckResult = {
  ok: false,
  code: 'password_too_long',
  maxLength: passwordLengthMax,
};

describe('checkPassword lengths', () => {
  it('exports the limits PRODUCT.md sets', () => {
    expect(passwordLengthMin).toEqual({ withMfa: 8, withoutMfa: 15 });
    expect(passwordLengthMax).toBe(128);
  });

  const cases: ReadonlyArray<
    readonly [label: string, password: string, mfaEnabled: boolean, expected: PasswordCheckResult]
  > = [
    ['7 with MFA', uncommon(7), true, tooShort(8)],
    ['8 with MFA', uncommon(8), true, { ok: true, normalized: uncommon(8) }],
    ['14 without MFA', uncommon(14), false, tooShort(15)],
    ['15 without MFA', uncommon(15), false, { ok: true, normalized: uncommon(15) }],
    ['14 with MFA', uncommon(14), true, { ok: true, normalized: uncommon(14) }],
    ['empty', '', true, tooShort(8)],
    ['empty without MFA', '', false, tooShort(15)],
    ['128', uncommon(128), false, { ok: true, normalized: uncommon(128) }],
    ['129', uncommon(129), false, tooLong],
    ['129 with MFA', uncommon(129), true, tooLong],
    [
      '14 letters and an emoji',
      `${uncommon(14)}😀`,
      false,
      { ok: true, normalized: `${uncommon(14)}😀` },
    ],
    ['13 letters and an emoji', `${uncommon(13)}😀`, false, tooShort(15)],
    ['7 CJK characters', '春眠不觉晓处闻', true, tooShort(8)],
    ['128 emoji', '😀😁'.repeat(64), false, { ok: true, normalized: '😀😁'.repeat(64) }],
    ['129 emoji', `${'😀😁'.repeat(64)}😀`, false, tooLong],
    ['a megabyte', 'ab'.repeat(500_000), false, tooLong],
  ];

  it.each(cases)('%s', (_label, password, mfaEnabled, expected) => {
    expect(checkPassword(password, { mfaEnabled, context: [] })).toEqual(expected);
  });

  it('counts the length after NFKC, which can compose five code units into one code point', () => {
    // Mathematical bold alpha and eta with three combining marks each compose into ᾂ and ᾒ.
    const decomposed = '\u{1D6C2}\u0313\u0300\u0345\u{1D6C8}\u0313\u0300\u0345'.repeat(64);
    expect(decomposed.length).toBe(640);
    expect(checkPassword(decomposed, withoutMfa)).toEqual({
      ok: true,
      normalized: '\u1F82\u1F92'.repeat(64),
    });
    expect(checkPassword(`${decomposed}a`, withoutMfa)).toEqual(tooLong);
  });
});

describe('checkPassword normalization', () => {
  it('returns the NFKC form, so full-width input hashes like its ASCII twin', () => {
    expect(checkPassword('ｍｑ７ｖｚ－ｋｐ２ｗ', withMfa)).toEqual({
      ok: true,
      normalized: 'mq7vz-kp2w',
    });
  });

  it('composes decomposed accents', () => {
    expect(checkPassword('cafe\u0301-mq7vz-kp2w', withMfa)).toEqual({
      ok: true,
      normalized: 'caf\u00e9-mq7vz-kp2w',
    });
  });

  it('keeps the case of the password, which matters for the hash', () => {
    expect(checkPassword('MQ7vz-KP2w-rt9X', withoutMfa)).toEqual({
      ok: true,
      normalized: 'MQ7vz-KP2w-rt9X',
    });
  });
});

describe('checkPassword common passwords', () => {
  const common: ReadonlyArray<readonly [password: string, mfaEnabled: boolean]> = [
    ['password', true],
    ['Password', true],
    ['PASSWORD1', true],
    ['qwertyuiop', true],
    ['iloveyou', true],
    ['ｐａｓｓｗｏｒｄ', true],
    ['１２３４５６７８', true],
    ['passwordpassword', false],
    ['1qaz2wsx3edc4rfv', false],
    ['aaaaaaaa', true],
    ['aaaaaaaaaaaaaaaa', false],
    ['AAAAAAAAAAAAAAAA', false],
    ['0000000000000000000000', false],
    ['😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀', false],
  ];

  it.each(common)('refuses %j', (password, mfaEnabled) => {
    expect(checkPassword(password, { mfaEnabled, context: [] })).toEqual({
      ok: false,
      code: 'password_too_common',
    });
  });

  it('reports a short common password as too short, because that is the rule to fix first', () => {
    expect(checkPassword('password', withoutMfa)).toEqual(tooShort(15));
  });

  it('accepts a password that merely contains a common one', () => {
    expect(checkPassword('password-mq7vz-kp2w', withoutMfa).ok).toBe(true);
  });
});

describe('checkPassword personal information', () => {
  const context = ['alice.smith@example.com', 'Alice Smith', 'amy', '  ＢＯＢ１  '];

  const cases: ReadonlyArray<readonly [password: string, ok: boolean]> = [
    ['my name is alice smith!', false],
    ['My Name Is ALICE SMITH!', false],
    ['xx alice.smith@example.com yy', false],
    ['bob1-likes-hiking-trips', false],
    ['BOB1-likes-hiking-trips', false],
    ['amy-loves-hiking-trips', true],
    ['alice-smith-hiking-trip', true],
    ['mq7vz-kp2w-rt9x-4f', true],
  ];

  it.each(cases)('checks %j against the context (ok: %s)', (password, ok) => {
    const result = checkPassword(password, { mfaEnabled: false, context });
    if (ok) expect(result).toEqual({ ok: true, normalized: password });
    else expect(result).toEqual({ ok: false, code: 'password_contains_personal_info' });
  });

  it('ignores empty and blank context strings', () => {
    expect(checkPassword(uncommon(15), { mfaEnabled: false, context: ['', '    '] }).ok).toBe(true);
  });
});

describe('checkPassword on random input', () => {
  /**
   * Characters that NFKC leaves alone, from several scripts: printable ASCII, Latin-1 letters,
   * CJK ideographs and emoji.
   */
  const mixedCharacter = fc.oneof(
    fc.integer({ min: 0x21, max: 0x7e }),
    fc.integer({ min: 0xc0, max: 0xff }).filter((c) => c !== 0xd7 && c !== 0xf7),
    fc.integer({ min: 0x4e00, max: 0x9fff }),
    fc.integer({ min: 0x1f600, max: 0x1f64f }),
  );
  const mixedPassword = fc
    .array(mixedCharacter, { minLength: 20, maxLength: 20 })
    .map((points) => String.fromCodePoint(...points));

  it('accepts random 20-character passwords of mixed characters', () => {
    fc.assert(
      fc.property(mixedPassword, (password) => {
        // The common list is ASCII only, so a password with a non-ASCII character and more than
        // one distinct character cannot be common.
        fc.pre(/[^\x20-\x7e]/u.test(password) && new Set(password).size > 1);
        const context = ['alice.smith@example.com', 'Alice Smith'];
        expect(checkPassword(password, { mfaEnabled: false, context })).toEqual({
          ok: true,
          normalized: password,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws, and accepts only lengths within the limits', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.boolean(),
        (text, mfaEnabled) => {
          const result = checkPassword(text, { mfaEnabled, context: ['alice'] });
          if (!result.ok) return;
          const length = Array.from(result.normalized).length;
          expect(length).toBeGreaterThanOrEqual(
            mfaEnabled ? passwordLengthMin.withMfa : passwordLengthMin.withoutMfa,
          );
          expect(length).toBeLessThanOrEqual(passwordLengthMax);
        },
      ),
    );
  });
});
