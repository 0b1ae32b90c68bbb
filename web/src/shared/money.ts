import {
  currencies,
  formatAmount,
  isCurrencyCode,
  parseAmount,
  type CurrencyCode,
} from '../../../src/money/index';

/**
 * Amounts on screen come from the API's decimal strings and never pass through a float: the
 * digits are grouped as text, and user input is parsed by the same code the server uses.
 */

export interface MoneyWire {
  readonly amount: string;
  readonly currency: string;
}

const SYMBOLS: Readonly<Record<string, string>> = {
  CNY: '¥',
  USD: '$',
  EUR: '€',
  GBP: '£',
  HKD: 'HK$',
  JPY: 'JP¥',
  KRW: '₩',
  SGD: 'S$',
  THB: '฿',
  MOP: 'MOP$',
  TWD: 'NT$',
  AUD: 'A$',
  CAD: 'C$',
  CHF: 'CHF ',
  KWD: 'KD ',
};

/** `{ amount: '1234.5', currency: 'CNY' }` → `¥1,234.50`; a leading '-' is kept in front. */
export function formatMoney(value: MoneyWire, options: { sign?: 'always' } = {}): string {
  const text = canonical(value);
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  const [whole = '0', fraction] = digits.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = negative ? '-' : options.sign === 'always' && digits !== zero(value) ? '+' : '';
  const symbol = SYMBOLS[value.currency] ?? `${value.currency} `;
  return `${sign}${symbol}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** The amount with exactly the currency's decimals, without symbol or grouping. */
export function canonical(value: MoneyWire): string {
  if (!isCurrencyCode(value.currency)) return value.amount;
  const negative = value.amount.startsWith('-');
  const parsed = parseAmount(negative ? value.amount.slice(1) : value.amount, value.currency);
  if (!parsed.ok) return value.amount;
  return formatAmount(negative ? -parsed.amountMinor : parsed.amountMinor, value.currency);
}

function zero(value: MoneyWire): string {
  return canonical({ amount: '0', currency: value.currency });
}

export type AmountInputError = 'required' | 'format' | 'decimals' | 'too_large' | 'zero';

/**
 * What the user typed, as the API's decimal string: '12.5' → '12.50' in CNY. Spaces around it
 * are forgiven; grouping commas, signs and exponents are not.
 */
export function parseAmountInput(
  input: string,
  currency: string,
): { ok: true; amount: string; minor: bigint } | { ok: false; error: AmountInputError } {
  const text = input.trim();
  if (text === '') return { ok: false, error: 'required' };
  if (!isCurrencyCode(currency)) return { ok: false, error: 'format' };
  const normalised = text.startsWith('.')
    ? `0${text}`
    : text.endsWith('.')
      ? text.slice(0, -1)
      : text;
  const parsed = parseAmount(normalised.replace(/^0+(?=\d)/, ''), currency);
  if (!parsed.ok) {
    const error =
      parsed.code === 'amount_too_many_decimals'
        ? 'decimals'
        : parsed.code === 'amount_too_large'
          ? 'too_large'
          : 'format';
    return { ok: false, error };
  }
  if (parsed.amountMinor === 0n) return { ok: false, error: 'zero' };
  return {
    ok: true,
    amount: formatAmount(parsed.amountMinor, currency),
    minor: parsed.amountMinor,
  };
}

/** Minor units of a wire amount, for comparing amounts exactly (a balance with a payment). */
export function minorOf(value: MoneyWire): bigint | undefined {
  if (!isCurrencyCode(value.currency)) return undefined;
  const negative = value.amount.startsWith('-');
  const parsed = parseAmount(negative ? value.amount.slice(1) : value.amount, value.currency);
  if (!parsed.ok) return undefined;
  return negative ? -parsed.amountMinor : parsed.amountMinor;
}

export function currencyName(code: string, language: string): string {
  if (!isCurrencyCode(code)) return code;
  const entry = currencies[code as CurrencyCode];
  return language.startsWith('zh') ? entry.nameZh : entry.nameEn;
}
