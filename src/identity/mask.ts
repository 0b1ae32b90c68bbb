/**
 * How personal data leaves the server: a payer confirming a payee, a support agent or a receipt
 * sees enough to recognise a person ("*三", "+86 138****5678") but not enough to learn who they
 * are. Every function works on Unicode code points, so that a surrogate pair is never split into
 * half a character, and every function fails closed: input of an unexpected shape comes back fully
 * masked rather than unmasked.
 */

const MASK = '*';

/** Splits into code points; `String.length` would count a character outside the BMP twice. */
function codePoints(text: string): readonly string[] {
  return Array.from(text);
}

function maskAll(text: string): string {
  return MASK.repeat(codePoints(text).length);
}

/**
 * Masks a real name.
 *
 * Without a space (Chinese names, and single-word names in any script) only the last code point
 * stays: 张三 → *三, 欧阳娜娜 → ***娜, as Chinese wallets show a payee. The surname is what is
 * hidden, because it is the part shared with relatives and easiest to look up; a one-character
 * name becomes '*'.
 *
 * With a space (Latin-script names such as "Alice Smith") the last character would be the least
 * recognisable one, so the first letter of the first word stays instead and every other code point
 * except the spaces is masked: "Alice Smith" → "A**** *****". Runs of white space are collapsed
 * to one space and the ends trimmed first, so that stray spacing neither leaks nor changes the
 * shape. The shape (word lengths) is shown deliberately, like the character count of a Chinese
 * name, because it helps a payer recognise the payee.
 */
export function maskName(name: string): string {
  const tidy = name.trim().replace(/\s+/gu, ' ');
  if (tidy.includes(' ')) return maskLatinName(tidy);
  const points = codePoints(tidy);
  // Keeping the last character of a one-character name would keep all of it.
  if (points.length <= 1) return MASK.repeat(points.length);
  return MASK.repeat(points.length - 1) + (points.at(-1) ?? '');
}

function maskLatinName(name: string): string {
  return codePoints(name)
    .map((point, index) => (index === 0 || point === ' ' ? point : MASK))
    .join('');
}

/**
 * Masks an identity document number, keeping the first and the last character and the length:
 * 11010519491231002X → 1****************X. With fewer than three characters keeping both ends
 * would reveal everything, so such input is masked completely.
 */
export function maskIdNumber(id: string): string {
  const points = codePoints(id);
  if (points.length < 3) return maskAll(id);
  return (points[0] ?? '') + MASK.repeat(points.length - 2) + (points.at(-1) ?? '');
}

// prettier-ignore
/**
 * E.164 country calling codes are prefix-free and one to three digits long; these are all the
 * one- and two-digit codes, so any other code is three digits long. Listing them avoids a phone
 * number library for the one thing masking needs to know.
 */
const COUNTRY_CODES_SHORT: ReadonlySet<string> = new Set([
  '1', '7', '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45',
  '46', '47', '48', '49', '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63',
  '64', '65', '66', '81', '82', '84', '86', '90', '91', '92', '93', '94', '95', '98',
]);

const E164_PATTERN = /^\+[1-9][0-9]{6,14}$/;

/** The national digits that always stay hidden, so a short number is never shown almost whole. */
const PHONE_MASKED_DIGITS_MIN = 4;
const PHONE_HEAD_DIGITS = 3;
const PHONE_TAIL_DIGITS = 4;

/**
 * Masks an E.164 phone number: the country code, the first three and the last four national digits
 * stay, one '*' per hidden digit: '+8613812345678' → '+86 138****5678'. Numbers shorter than a
 * Chinese mobile number show less (first the head shrinks, then the tail) so that at least four
 * digits are always hidden: '+85291234567' → '+852 ****4567'. Anything that is not E.164 is masked
 * completely.
 */
export function maskPhone(phone: string): string {
  if (!E164_PATTERN.test(phone)) return maskAll(phone);
  const digits = phone.slice(1);
  const countryCode = countryCodeOf(digits);
  const national = digits.slice(countryCode.length);
  const tailLength = Math.min(
    PHONE_TAIL_DIGITS,
    Math.max(0, national.length - PHONE_MASKED_DIGITS_MIN),
  );
  const headLength = Math.min(
    PHONE_HEAD_DIGITS,
    Math.max(0, national.length - tailLength - PHONE_MASKED_DIGITS_MIN),
  );
  const masked = national.length - headLength - tailLength;
  const head = national.slice(0, headLength);
  const tail = national.slice(national.length - tailLength);
  return `+${countryCode} ${head}${MASK.repeat(masked)}${tail}`;
}

function countryCodeOf(digits: string): string {
  for (const length of [1, 2]) {
    const candidate = digits.slice(0, length);
    if (COUNTRY_CODES_SHORT.has(candidate)) return candidate;
  }
  return digits.slice(0, 3);
}

/**
 * Masks an email address: the first code point of the local part, then a fixed '***', then the
 * domain: 'alice@example.com' → 'a***@example.com'. The mask has a fixed width so that the length
 * of the local part does not show. The domain stays because it tells the user which of their
 * addresses is meant and is rarely personal. Input without a local part or a domain is masked
 * completely.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return maskAll(email);
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length === 0 || domain.length === 0) return maskAll(email);
  return `${codePoints(local)[0] ?? ''}${MASK.repeat(3)}@${domain}`;
}
