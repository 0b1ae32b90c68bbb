/**
 * The currencies the wallet knows, from ISO 4217. The table is fixed in code rather than loaded
 * at run time, because an amount's meaning depends on its currency's exponent and a changing
 * exponent would silently rescale every stored amount.
 */

/** ISO 4217 minor-unit digits; no active currency uses more than four. */
export type Exponent = 0 | 1 | 2 | 3 | 4;

interface CurrencyEntry {
  /** The ISO 4217 numeric code as three digits, kept as a string so '036' keeps its zero. */
  readonly numeric: string;
  /** How many fraction digits one major unit has; 2 means 1.00 is 100 minor units. */
  readonly exponent: Exponent;
  readonly nameEn: string;
  readonly nameZh: string;
}

const table = {
  CNY: { numeric: '156', exponent: 2, nameEn: 'Yuan Renminbi', nameZh: '人民币' },
  USD: { numeric: '840', exponent: 2, nameEn: 'US Dollar', nameZh: '美元' },
  EUR: { numeric: '978', exponent: 2, nameEn: 'Euro', nameZh: '欧元' },
  HKD: { numeric: '344', exponent: 2, nameEn: 'Hong Kong Dollar', nameZh: '港元' },
  JPY: { numeric: '392', exponent: 0, nameEn: 'Yen', nameZh: '日元' },
  GBP: { numeric: '826', exponent: 2, nameEn: 'Pound Sterling', nameZh: '英镑' },
  SGD: { numeric: '702', exponent: 2, nameEn: 'Singapore Dollar', nameZh: '新加坡元' },
  KRW: { numeric: '410', exponent: 0, nameEn: 'Won', nameZh: '韩元' },
  THB: { numeric: '764', exponent: 2, nameEn: 'Baht', nameZh: '泰铢' },
  MOP: { numeric: '446', exponent: 2, nameEn: 'Pataca', nameZh: '澳门元' },
  TWD: { numeric: '901', exponent: 2, nameEn: 'New Taiwan Dollar', nameZh: '新台币' },
  AUD: { numeric: '036', exponent: 2, nameEn: 'Australian Dollar', nameZh: '澳大利亚元' },
  CAD: { numeric: '124', exponent: 2, nameEn: 'Canadian Dollar', nameZh: '加拿大元' },
  CHF: { numeric: '756', exponent: 2, nameEn: 'Swiss Franc', nameZh: '瑞士法郎' },
  KWD: { numeric: '414', exponent: 3, nameEn: 'Kuwaiti Dinar', nameZh: '科威特第纳尔' },
} as const satisfies Readonly<Record<string, CurrencyEntry>>;

/** An ISO 4217 alphabetic code that is in the table above. */
export type CurrencyCode = keyof typeof table;

export interface Currency extends CurrencyEntry {
  readonly code: CurrencyCode;
}

/** Every known currency by its alphabetic code; the objects are frozen so nobody can rescale one. */
export const currencies: Readonly<Record<CurrencyCode, Currency>> = Object.freeze(
  Object.fromEntries(
    Object.entries(table).map(([code, entry]) => [code, Object.freeze({ code, ...entry })]),
  ) as Record<CurrencyCode, Currency>,
);

/** All codes in table order, for iteration and for tests that must cover every currency. */
export const currencyCodes: readonly CurrencyCode[] = Object.freeze(
  Object.keys(table) as CurrencyCode[],
);

const byNumeric: ReadonlyMap<string, Currency> = new Map(
  Object.values(currencies).map((c) => [c.numeric, c]),
);

/**
 * Narrows untrusted text to a known code. It uses an own-property check, because a plain `in`
 * would accept inherited names such as 'toString'; the match is case-sensitive because ISO codes
 * are upper case and accepting 'cny' would let two spellings of one currency into storage.
 */
export function isCurrencyCode(s: string): s is CurrencyCode {
  return typeof s === 'string' && Object.hasOwn(table, s);
}

/**
 * Finds a currency by its three-digit numeric code (as used in EMVCo QR tag 53). The lookup is an
 * exact string match, so '36' does not find AUD: a QR payload with a malformed tag is an error.
 */
export function currencyByNumeric(numeric: string): Currency | undefined {
  return byNumeric.get(numeric);
}

/** The minor-unit digits of a currency; it throws for an unknown code, a programmer error. */
export function exponentOf(code: CurrencyCode): Exponent {
  if (!isCurrencyCode(code)) throw new RangeError(`unknown currency code: ${String(code)}`);
  return currencies[code].exponent;
}
