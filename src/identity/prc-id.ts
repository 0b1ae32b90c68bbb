/**
 * Validation of the 18-character resident identity card number of the People's Republic of China
 * (GB 11643-1999): a six-digit region code, the birth date as YYYYMMDD, a three-digit sequence
 * number whose last digit is odd for men and even for women, and an ISO 7064 MOD 11-2 check
 * character. The check catches typing mistakes before the number reaches the real-name
 * verification provider, which charges per query and counts failures against us.
 *
 * Today's date is a parameter, so that the caller's clock (and time zone) decide what "born in the
 * future" means and tests can pin it.
 */

export type PrcIdFailureReason = 'length' | 'characters' | 'region' | 'birth_date' | 'check_digit';

export type PrcIdResult =
  | {
      readonly ok: true;
      readonly normalized: string;
      /** The birth date as YYYY-MM-DD. */
      readonly birthDate: string;
      readonly sex: 'male' | 'female';
    }
  | { readonly ok: false; readonly reason: PrcIdFailureReason };

/** A calendar date in the caller's reference time zone (China Standard Time for this check). */
export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export const PRC_ID_LENGTH = 18;

/**
 * The earliest birth year accepted. Nobody holding a card today was born earlier, and the bound
 * keeps obvious garbage such as year 0001 out.
 */
export const PRC_ID_BIRTH_YEAR_MIN = 1900;

/** Weight of each of the first 17 digits: 2^(17-i) mod 11, as ISO 7064 MOD 11-2 prescribes. */
const WEIGHTS: readonly number[] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** The check character for each remainder of the weighted sum modulo 11. */
const CHECK_CHARACTERS = '10X98765432';

const BODY_PATTERN = /^[0-9]{17}$/;
const ID_PATTERN = /^[0-9]{17}[0-9X]$/;

/**
 * Parses and validates an identity card number. A lower-case 'x' as the check character is
 * accepted and normalized to 'X', because phone keyboards and OCR produce both; nothing else is
 * forgiven (no spaces or separators), so that one person has one stored spelling.
 */
export function parsePrcId(input: string, today: CalendarDate): PrcIdResult {
  if (typeof input !== 'string' || input.length !== PRC_ID_LENGTH) {
    return { ok: false, reason: 'length' };
  }
  const normalized = input.endsWith('x') ? `${input.slice(0, -1)}X` : input;
  if (!ID_PATTERN.test(normalized)) return { ok: false, reason: 'characters' };
  if (!isPlausibleRegion(normalized.slice(0, 6))) return { ok: false, reason: 'region' };
  const birth = birthDateOf(normalized.slice(6, 14), today);
  if (birth === undefined) return { ok: false, reason: 'birth_date' };
  if (prcIdCheckCharacter(normalized.slice(0, 17)) !== normalized[17]) {
    return { ok: false, reason: 'check_digit' };
  }
  // The pattern guarantees that position 16 holds a digit.
  const sequenceLastDigit = Number(normalized[16]);
  return {
    ok: true,
    normalized,
    birthDate: birth,
    sex: sequenceLastDigit % 2 === 1 ? 'male' : 'female',
  };
}

/**
 * The ISO 7064 MOD 11-2 check character for the first 17 digits. Anything other than 17 ASCII
 * digits is a programmer error, because callers validate the shape first.
 */
export function prcIdCheckCharacter(first17: string): string {
  if (typeof first17 !== 'string' || !BODY_PATTERN.test(first17)) {
    throw new RangeError('prcIdCheckCharacter needs exactly 17 ASCII digits');
  }
  let sum = 0;
  for (let i = 0; i < WEIGHTS.length; i++) {
    sum += Number(first17[i]) * (WEIGHTS[i] ?? 0);
  }
  return CHECK_CHARACTERS[sum % 11] ?? '';
}

/**
 * Region codes are not checked against the GB/T 2260 list: codes are retired when districts are
 * merged, but people keep their numbers for life, so a list would reject real cards. Province codes
 * start at 11, which rules out a leading zero (and with it the all-zero code).
 */
function isPlausibleRegion(region: string): boolean {
  return /^[1-9][0-9]{5}$/.test(region);
}

/**
 * Returns the birth date as YYYY-MM-DD when the eight digits form a real calendar date between
 * 1900-01-01 and today inclusive, and undefined otherwise.
 */
function birthDateOf(digits: string, today: CalendarDate): string | undefined {
  const year = Number(digits.slice(0, 4));
  const month = Number(digits.slice(4, 6));
  const day = Number(digits.slice(6, 8));
  if (year < PRC_ID_BIRTH_YEAR_MIN || month < 1 || month > 12) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  const birthKey = year * 10_000 + month * 100 + day;
  const todayKey = today.year * 10_000 + today.month * 100 + today.day;
  if (birthKey > todayKey) return undefined;
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Gregorian rule: every fourth year, except centuries, except every fourth century. */
function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
