import type { CodeSpec, Failure } from '../lib/code-spec.js';
import { fundingCodes } from './funding-codes.js';
import { fxCodes } from './fx-codes.js';
import { requestCodes } from './requests-codes.js';

/** Every outcome of the wallet that goes against the caller; docs/errors.md lists them. */
const p2pCodes = {
  insufficient_funds: {
    status: 402,
    retryable: true,
    title: { en: 'Insufficient funds', 'zh-CN': '余额不足' },
  },
  currency_not_enabled: {
    status: 400,
    retryable: false,
    title: { en: 'This currency is not enabled', 'zh-CN': '暂不支持该币种' },
  },
  recipient_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such recipient', 'zh-CN': '收款人不存在' },
  },
  recipient_not_verified: {
    status: 409,
    retryable: true,
    title: {
      en: 'The recipient has not verified their account yet',
      'zh-CN': '收款人尚未完成账户验证',
    },
  },
  cannot_pay_self: {
    status: 400,
    retryable: false,
    title: { en: 'You cannot pay yourself', 'zh-CN': '不能向自己转账' },
  },
  new_payee_confirmation_required: {
    status: 409,
    retryable: false,
    title: {
      en: 'First payment to this person: confirm the recipient',
      'zh-CN': '首次向此人转账，请确认收款人',
    },
  },
  wallet_frozen: {
    status: 403,
    retryable: true,
    title: { en: 'The wallet is frozen', 'zh-CN': '钱包已冻结' },
  },
  payment_blocked: {
    status: 403,
    retryable: false,
    title: {
      en: 'This payment was blocked for your safety',
      'zh-CN': '为保障资金安全，本次支付已被拦截',
    },
  },
  transfer_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such transfer', 'zh-CN': '转账不存在' },
  },
  transfer_not_cancellable: {
    status: 409,
    retryable: false,
    title: {
      en: 'Only a transfer that is still held can be cancelled',
      'zh-CN': '只能撤销尚在保留期内的转账',
    },
  },
} as const satisfies Record<string, CodeSpec>;

/** The whole table: P2P and balances here, and the tables beside their rules (FX, funding). */
export const walletCodes = {
  ...p2pCodes,
  ...fxCodes,
  ...fundingCodes,
  ...requestCodes,
} as const satisfies Record<string, CodeSpec>;

export type WalletCode = keyof typeof walletCodes;
export type WalletFailure = Failure<WalletCode>;
