import type { CodeSpec, Failure } from '../lib/code-spec.js';

/**
 * Outcomes of money requests (request money, split a bill) that go against the caller. A refusal
 * with any of these codes wrote nothing and moved no money. The routes also answer
 * `currency_not_enabled`, `cannot_pay_self`, `recipient_not_found` and `recipient_not_verified`
 * (a payer who is not a verified user) from the wallet's table, and paying a share answers every
 * code of a P2P transfer (`insufficient_funds`, step-up, limits, ...), which leaves it pending.
 */
export const requestCodes = {
  money_request_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such money request', 'zh-CN': '收款请求不存在' },
  },
  money_request_closed: {
    status: 409,
    retryable: false,
    title: {
      en: 'The money request is completed or cancelled',
      'zh-CN': '该收款请求已完成或已取消',
    },
  },
  share_already_settled: {
    status: 409,
    retryable: false,
    title: {
      en: 'Your share of this request is already paid or declined',
      'zh-CN': '您在该请求中的份额已支付或已拒绝',
    },
  },
  share_payment_in_progress: {
    status: 409,
    retryable: true,
    title: {
      en: 'A payment of this share is under way; look at the request again shortly',
      'zh-CN': '该份额正在支付中，请稍后查看',
    },
  },
  too_many_payers: {
    status: 400,
    retryable: false,
    title: {
      en: 'A money request asks at most 20 people',
      'zh-CN': '一个收款请求最多向 20 人发起',
    },
  },
  duplicate_payer: {
    status: 400,
    retryable: false,
    title: {
      en: 'Each person may appear only once in a money request',
      'zh-CN': '同一人在一个收款请求中只能出现一次',
    },
  },
  split_amount_too_small: {
    status: 400,
    retryable: false,
    title: {
      en: 'The total is too small to give every payer at least one minor unit',
      'zh-CN': '总金额过小，无法让每位付款人至少分摊一个最小货币单位',
    },
  },
} as const satisfies Record<string, CodeSpec>;

export type RequestCode = keyof typeof requestCodes;
export type RequestFailure = Failure<RequestCode>;
