/**
 * The public face of the money module. Other modules import from here only, so the files behind
 * it can be rearranged without touching callers.
 */
export {
  currencies,
  currencyByNumeric,
  currencyCodes,
  exponentOf,
  isCurrencyCode,
  type Currency,
  type CurrencyCode,
  type Exponent,
} from './currency.js';
export {
  AMOUNT_MINOR_MAX,
  CurrencyMismatchError,
  add,
  compare,
  isZero,
  money,
  subtract,
  type Money,
} from './money.js';
export {
  AMOUNT_TEXT_LENGTH_MAX,
  amountErrorCodes,
  moneyErrorCodes,
  formatAmount,
  formatMoney,
  parseAmount,
  parseMoney,
  type AmountErrorCode,
  type MoneyErrorCode,
  type MoneyParseResult,
  type MoneyWire,
  type ParseResult,
} from './decimal.js';
export { ALLOCATION_PARTS_MAX, allocate, splitEvenly } from './allocate.js';
