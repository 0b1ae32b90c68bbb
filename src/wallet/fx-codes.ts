import type { CodeSpec, Failure } from '../lib/code-spec.js';

/**
 * Outcomes of currency conversion (FX) that go against the caller. A conversion refused for any
 * of these reasons moved no money and did not use up its quote. The routes also answer
 * `insufficient_funds`, `currency_not_enabled` and `wallet_frozen` from the wallet's table.
 */
export const fxCodes = {
  fx_quote_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such FX quote', 'zh-CN': '换汇报价不存在' },
  },
  fx_quote_expired: {
    status: 409,
    retryable: false,
    title: {
      en: 'The FX quote has expired; ask for a new one',
      'zh-CN': '换汇报价已过期，请重新获取报价',
    },
  },
  fx_quote_used: {
    status: 409,
    retryable: false,
    title: {
      en: 'The FX quote was already used for a conversion',
      'zh-CN': '该换汇报价已用于一笔兑换',
    },
  },
  fx_same_currency: {
    status: 400,
    retryable: false,
    title: {
      en: 'A conversion needs two different currencies',
      'zh-CN': '兑换需要两种不同的币种',
    },
  },
  fx_rate_unavailable: {
    status: 409,
    retryable: true,
    title: {
      en: 'No exchange rate is set for this currency pair',
      'zh-CN': '该币种对暂无汇率',
    },
  },
  fx_amount_too_small: {
    status: 400,
    retryable: false,
    title: {
      en: 'The amount is too small to convert into at least one minor unit',
      'zh-CN': '金额过小，兑换后不足最小货币单位',
    },
  },
  fx_amount_too_large: {
    status: 400,
    retryable: false,
    title: {
      en: 'The converted amount is above the maximum',
      'zh-CN': '兑换后的金额超过上限',
    },
  },
  fx_rate_out_of_range: {
    status: 400,
    retryable: false,
    title: {
      en: 'The mid rate must be above zero and below 1,000,000,000, with at most 12 decimals',
      'zh-CN': '中间价须大于零、小于 1,000,000,000，且至多 12 位小数',
    },
  },
  fx_spread_out_of_range: {
    status: 400,
    retryable: false,
    title: {
      en: 'The spread must be a whole number of basis points from 0 to 1000',
      'zh-CN': '点差须为 0 至 1000 之间的整数基点',
    },
  },
} as const satisfies Record<string, CodeSpec>;

export type FxCode = keyof typeof fxCodes;
export type FxFailure = Failure<FxCode>;
