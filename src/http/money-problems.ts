import { parseMoney, type Money, type MoneyErrorCode } from '../money/index.js';
import type { CodeSpec } from '../lib/code-spec.js';
import { ProblemError } from './problem.js';

/**
 * Money arrives as `{ amount: "12.50", currency: "CNY" }`. A wrong amount is a validation
 * problem with its own code (docs/errors.md, "Money parsing"), naming the field.
 */
const moneySpecs: Readonly<Record<MoneyErrorCode, CodeSpec>> = {
  amount_invalid_format: {
    status: 400,
    retryable: false,
    title: { en: 'Amount is not a decimal number', 'zh-CN': '金额格式无效' },
  },
  amount_too_many_decimals: {
    status: 400,
    retryable: false,
    title: { en: 'Amount has too many decimals', 'zh-CN': '金额小数位过多' },
  },
  amount_too_large: {
    status: 400,
    retryable: false,
    title: { en: 'Amount is too large', 'zh-CN': '金额过大' },
  },
  currency_unknown: {
    status: 400,
    retryable: false,
    title: { en: 'Unknown currency', 'zh-CN': '币种不受支持' },
  },
};

/** A positive amount of money from the wire, or the problem that names `param`. */
export function positiveMoney(
  wire: { readonly amount: string; readonly currency: string },
  param: string,
): Money {
  const parsed = parseMoney({ amount: wire.amount, currency: wire.currency });
  if (!parsed.ok) {
    throw new ProblemError(parsed.code, {
      spec: moneySpecs[parsed.code],
      param: parsed.code === 'currency_unknown' ? `${param}.currency` : `${param}.amount`,
    });
  }
  if (parsed.money.amountMinor <= 0n) {
    throw new ProblemError('validation_failed', {
      param: `${param}.amount`,
      detail: 'The amount must be greater than zero.',
    });
  }
  return parsed.money;
}
