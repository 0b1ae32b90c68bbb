import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parsePrcId, prcIdCheckCharacter, type PrcIdFailureReason } from './prc-id.js';

const today = { year: 2024, month: 6, day: 15 } as const;

/**
 * An independent implementation of ISO 7064 MOD 11-2, written from the standard's formula rather
 * than the module's tables: weight i is 2^(17-i) mod 11, and the check value is (12 - S mod 11)
 * mod 11, with 10 written as 'X'.
 */
function referenceCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  }
  const value = (12 - (sum % 11)) % 11;
  return value === 10 ? 'X' : String(value);
}

function withCheck(first17: string): string {
  return first17 + referenceCheckCharacter(first17);
}

/** A check character that is certainly wrong for the body. */
function withWrongCheck(first17: string): string {
  const right = referenceCheckCharacter(first17);
  return first17 + (right === '0' ? '1' : '0');
}

describe('parsePrcId', () => {
  it('accepts the well-known sample number', () => {
    expect(parsePrcId('11010519491231002X', today)).toEqual({
      ok: true,
      normalized: '11010519491231002X',
      birthDate: '1949-12-31',
      sex: 'female',
    });
  });

  it('normalizes a lower-case x check character to X', () => {
    expect(parsePrcId('11010519491231002x', today)).toEqual({
      ok: true,
      normalized: '11010519491231002X',
      birthDate: '1949-12-31',
      sex: 'female',
    });
  });

  const valid: ReadonlyArray<readonly [body: string, birthDate: string, sex: 'male' | 'female']> = [
    ['44030419900307123', '1990-03-07', 'male'],
    ['44030419900307124', '1990-03-07', 'female'],
    ['32010220000229001', '2000-02-29', 'male'],
    ['51010719000101000', '1900-01-01', 'female'],
    ['65010220240615999', '2024-06-15', 'male'],
    ['81000019961231888', '1996-12-31', 'female'],
    ['11000020040229005', '2004-02-29', 'male'],
  ];

  it.each(valid)('accepts %s plus its check character', (body, birthDate, sex) => {
    const id = withCheck(body);
    expect(parsePrcId(id, today)).toEqual({ ok: true, normalized: id, birthDate, sex });
  });

  const invalid: ReadonlyArray<readonly [input: string, reason: PrcIdFailureReason]> = [
    ['', 'length'],
    ['11010519491231002', 'length'],
    ['11010519491231002X1', 'length'],
    [' 11010519491231002X', 'length'],
    ['110105194912310', 'length'],
    ['11010519491231002Y', 'characters'],
    ['1101051949123100X2', 'characters'],
    ['x10105194912310023', 'characters'],
    ['110105 9491231002X', 'characters'],
    ['11010519491231002-', 'characters'],
    ['１1010519491231002X', 'characters'],
    ['11010519491231002\u0425', 'characters'],
    [withCheck('01010519491231002'), 'region'],
    [withCheck('00000019491231002'), 'region'],
    [withCheck('11010518991231002'), 'birth_date'],
    [withCheck('44052418800101001'), 'birth_date'],
    [withCheck('11010519490230002'), 'birth_date'],
    [withCheck('11010519000229002'), 'birth_date'],
    [withCheck('11010520230229002'), 'birth_date'],
    [withCheck('11010519490001002'), 'birth_date'],
    [withCheck('11010519491301002'), 'birth_date'],
    [withCheck('11010519491200002'), 'birth_date'],
    [withCheck('11010519491232002'), 'birth_date'],
    [withCheck('11010519490431002'), 'birth_date'],
    [withCheck('11010520240616002'), 'birth_date'],
    [withCheck('11010520240701002'), 'birth_date'],
    [withCheck('11010520250101002'), 'birth_date'],
    [withCheck('11010599991231002'), 'birth_date'],
    [withWrongCheck('11010519491231002'), 'check_digit'],
    ['110105194912310021', 'check_digit'],
    ['110105194912310020', 'check_digit'],
  ];

  it.each(invalid)('rejects %j with reason %s', (input, reason) => {
    expect(parsePrcId(input, today)).toEqual({ ok: false, reason });
  });

  it('rejects values that are not strings, such as a JSON number', () => {
    expect(parsePrcId(110105194912310020 as unknown as string, today)).toEqual({
      ok: false,
      reason: 'length',
    });
  });

  it('treats a birthday that is today as valid and tomorrow as invalid', () => {
    const body = '1101052024061500';
    expect(parsePrcId(withCheck(`${body}1`), { year: 2024, month: 6, day: 15 }).ok).toBe(true);
    expect(parsePrcId(withCheck(`${body}1`), { year: 2024, month: 6, day: 14 })).toEqual({
      ok: false,
      reason: 'birth_date',
    });
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24, unit: 'grapheme' }), (text) => {
        expect(typeof parsePrcId(text, today).ok).toBe('boolean');
      }),
    );
  });
});

describe('parsePrcId on random valid numbers', () => {
  /** Random bodies with a plausible region, a real birth date up to today and any sequence. */
  const validBody = fc
    .record({
      region: fc.integer({ min: 100_000, max: 999_999 }),
      birth: fc.date({
        min: new Date(Date.UTC(1900, 0, 1)),
        max: new Date(Date.UTC(today.year, today.month - 1, today.day)),
        noInvalidDate: true,
      }),
      sequence: fc.integer({ min: 0, max: 999 }),
    })
    .map(({ region, birth, sequence }) => {
      const date =
        String(birth.getUTCFullYear()).padStart(4, '0') +
        String(birth.getUTCMonth() + 1).padStart(2, '0') +
        String(birth.getUTCDate()).padStart(2, '0');
      return `${region}${date}${String(sequence).padStart(3, '0')}`;
    });

  it('accepts the body with its computed check character, agreeing with the reference', () => {
    fc.assert(
      fc.property(validBody, (body) => {
        const check = prcIdCheckCharacter(body);
        expect(check).toBe(referenceCheckCharacter(body));
        const result = parsePrcId(body + check, today);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.birthDate.replaceAll('-', '')).toBe(body.slice(6, 14));
        expect(result.sex).toBe(Number(body[16]) % 2 === 1 ? 'male' : 'female');
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects every single-digit change in the first 17 digits', () => {
    fc.assert(
      fc.property(
        validBody,
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 1, max: 9 }),
        (body, position, delta) => {
          const id = body + prcIdCheckCharacter(body);
          const changed = (Number(id[position]) + delta) % 10;
          const mutated = id.slice(0, position) + String(changed) + id.slice(position + 1);
          const result = parsePrcId(mutated, today);
          expect(result.ok).toBe(false);
          if (result.ok) return;
          // MOD 11-2 detects every single substitution, so the only way to fail differently is
          // for the change to break the region or the birth date first.
          expect(['check_digit', 'region', 'birth_date']).toContain(result.reason);
          if (position >= 14) expect(result.reason).toBe('check_digit');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('rejects every other check character', () => {
    fc.assert(
      fc.property(validBody, fc.constantFrom(...'0123456789X'), (body, check) => {
        fc.pre(check !== prcIdCheckCharacter(body));
        expect(parsePrcId(body + check, today)).toEqual({ ok: false, reason: 'check_digit' });
      }),
    );
  });
});

describe('prcIdCheckCharacter', () => {
  it('computes X for the well-known sample', () => {
    expect(prcIdCheckCharacter('11010519491231002')).toBe('X');
  });

  it.each([
    '',
    '1101051949123100',
    '110105194912310021',
    '1101051949123100X',
    '１1010519491231002',
  ])('refuses %j, which is a programmer error', (text) => {
    expect(() => prcIdCheckCharacter(text)).toThrow(RangeError);
  });
});
