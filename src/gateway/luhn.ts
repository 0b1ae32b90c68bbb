/**
 * The Luhn (mod 10) check digit that every card number carries. It catches every single-digit
 * typo and most swaps of neighbouring digits, so a card number that fails it was mistyped.
 */
export function luhnValid(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // Double every second digit counting from the right, the check digit being the first.
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The digit that makes `partial + digit` pass the check; used to build test numbers. */
export function luhnCheckDigit(partial: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    if (luhnValid(`${partial}${digit}`)) return String(digit);
  }
  throw new RangeError(`not a digit string: ${partial}`);
}
