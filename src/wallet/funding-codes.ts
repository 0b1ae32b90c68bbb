import type { CodeSpec, Failure } from '../lib/code-spec.js';

/**
 * Outcomes of funding (cards, top-ups, withdrawals and the gateway's callbacks) that go against
 * the caller. A refusal with any of these codes moved no money. The routes also answer
 * `currency_not_enabled`, `insufficient_funds` and `wallet_frozen` from the wallet's table, and
 * the step-up and limit codes from identity's.
 */
export const fundingCodes = {
  card_number_invalid: {
    status: 400,
    retryable: false,
    title: { en: 'The card number is not valid', 'zh-CN': '银行卡号无效' },
  },
  card_details_invalid: {
    status: 400,
    retryable: false,
    title: {
      en: 'The card’s expiry date, security code or holder name is not valid',
      'zh-CN': '银行卡有效期、安全码或持卡人姓名无效',
    },
  },
  card_declined: {
    status: 402,
    retryable: false,
    title: { en: 'The bank declined the card', 'zh-CN': '发卡行拒绝了该银行卡' },
  },
  card_expired: {
    status: 402,
    retryable: false,
    title: { en: 'The card has expired', 'zh-CN': '银行卡已过期' },
  },
  card_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such card', 'zh-CN': '银行卡不存在' },
  },
  card_limit_reached: {
    status: 409,
    retryable: false,
    title: {
      en: 'Too many cards: remove one before adding another',
      'zh-CN': '绑定的银行卡已达上限，请先解绑一张',
    },
  },
  card_unusable: {
    status: 409,
    retryable: false,
    title: {
      en: 'The bank no longer accepts this card: remove it and add it again',
      'zh-CN': '银行已不再受理该银行卡，请解绑后重新绑定',
    },
  },
  amount_not_accepted: {
    status: 400,
    retryable: false,
    title: { en: 'The bank does not accept this amount', 'zh-CN': '银行不受理该金额' },
  },
  topup_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such top-up', 'zh-CN': '充值记录不存在' },
  },
  withdrawal_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such withdrawal', 'zh-CN': '提现记录不存在' },
  },
  gateway_unavailable: {
    status: 503,
    retryable: true,
    title: {
      en: 'The bank cannot be reached right now; try again shortly',
      'zh-CN': '暂时无法连接银行，请稍后重试',
    },
  },
  callback_signature_invalid: {
    status: 401,
    retryable: false,
    title: {
      en: 'The callback is not signed, or its signature does not match',
      'zh-CN': '回调缺少签名或签名不匹配',
    },
  },
  callback_stale: {
    status: 400,
    retryable: false,
    title: {
      en: 'The callback’s signature timestamp is too old or in the future',
      'zh-CN': '回调签名时间戳已过期或超前',
    },
  },
  callback_malformed: {
    status: 400,
    retryable: false,
    title: { en: 'The callback is not a gateway event', 'zh-CN': '回调内容不是有效的网关事件' },
  },
  callback_deferred: {
    status: 503,
    retryable: true,
    title: {
      en: 'The callback cannot be applied right now; send it again later',
      'zh-CN': '回调暂时无法处理，请稍后重新发送',
    },
  },
} as const satisfies Record<string, CodeSpec>;

export type FundingCode = keyof typeof fundingCodes;
export type FundingFailure = Failure<FundingCode>;
