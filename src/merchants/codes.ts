import type { CodeSpec, Failure } from '../lib/code-spec.js';

/** Every outcome of the merchant side that goes against the caller; docs/errors.md lists them. */
export const merchantCodes = {
  merchant_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such merchant', 'zh-CN': '商户不存在' },
  },
  merchant_not_active: {
    status: 403,
    retryable: true,
    title: {
      en: 'The merchant is under review or suspended',
      'zh-CN': '商户正在审核中或已被暂停',
    },
  },
  merchants_too_many: {
    status: 409,
    retryable: false,
    title: { en: 'You already run the most merchants allowed', 'zh-CN': '已达到可创建商户的上限' },
  },
  merchant_status_unchanged: {
    status: 409,
    retryable: false,
    title: { en: 'The merchant is already in that status', 'zh-CN': '商户已处于该状态' },
  },
  settlement_card_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such bank card among yours', 'zh-CN': '未找到您绑定的这张银行卡' },
  },
  api_key_required: {
    status: 401,
    retryable: false,
    title: {
      en: 'This route takes a merchant API key',
      'zh-CN': '此接口需要使用商户 API 密钥',
    },
  },
  api_key_invalid: {
    status: 401,
    retryable: false,
    title: { en: 'The API key is unknown or revoked', 'zh-CN': 'API 密钥无效或已被撤销' },
  },
  api_key_scope_missing: {
    status: 403,
    retryable: false,
    title: {
      en: 'The API key does not have the scope this route needs',
      'zh-CN': 'API 密钥没有此接口所需的权限',
    },
  },
  api_key_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such API key', 'zh-CN': 'API 密钥不存在' },
  },
  api_keys_too_many: {
    status: 409,
    retryable: false,
    title: {
      en: 'The merchant already has the most API keys allowed',
      'zh-CN': '商户的 API 密钥数量已达上限',
    },
  },
  payment_intent_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such payment', 'zh-CN': '支付单不存在' },
  },
  payment_intent_currency_invalid: {
    status: 400,
    retryable: false,
    title: {
      en: 'A payment must be in the merchant’s settlement currency',
      'zh-CN': '支付币种必须与商户结算币种一致',
    },
  },
  payment_intent_expired: {
    status: 409,
    retryable: false,
    title: { en: 'This payment has expired', 'zh-CN': '支付单已过期' },
  },
  payment_intent_not_payable: {
    status: 409,
    retryable: false,
    title: {
      en: 'This payment has already been paid or cancelled',
      'zh-CN': '该支付单已支付或已取消',
    },
  },
  payment_intent_not_cancelable: {
    status: 409,
    retryable: false,
    title: {
      en: 'Only an unpaid payment can be cancelled',
      'zh-CN': '只能取消尚未支付的支付单',
    },
  },
  payment_intent_not_refundable: {
    status: 409,
    retryable: false,
    title: { en: 'Only a completed payment can be refunded', 'zh-CN': '只有已完成的支付可以退款' },
  },
  payment_intent_not_capturable: {
    status: 409,
    retryable: false,
    title: {
      en: 'Only a payment held for capture can be captured',
      'zh-CN': '只有已预授权、待收款的支付可以收款',
    },
  },
  capture_exceeds_authorization: {
    status: 409,
    retryable: false,
    title: {
      en: 'A capture cannot be more than the amount held',
      'zh-CN': '收款金额不能超过预授权金额',
    },
  },
  payment_authorization_expired: {
    status: 409,
    retryable: false,
    title: {
      en: 'The hold on the payer’s wallet has expired and the payment is cancelled',
      'zh-CN': '预授权已过期，支付已取消',
    },
  },
  payment_intent_conversion_unsupported: {
    status: 409,
    retryable: false,
    title: {
      en: 'A payment captured later is paid from the wallet in its own currency',
      'zh-CN': '需稍后收款的支付只能使用同币种钱包支付',
    },
  },
  refund_exceeds_payment: {
    status: 409,
    retryable: false,
    title: {
      en: 'Refunds cannot add up to more than was paid',
      'zh-CN': '退款总额不能超过实付金额',
    },
  },
  refund_window_closed: {
    status: 409,
    retryable: false,
    title: {
      en: 'Payments can be refunded for one year only',
      'zh-CN': '只能在支付后一年内退款',
    },
  },
  merchant_insufficient_funds: {
    status: 402,
    retryable: true,
    title: {
      en: 'The merchant’s balance cannot cover this refund',
      'zh-CN': '商户余额不足，无法退款',
    },
  },
  refund_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such refund', 'zh-CN': '退款不存在' },
  },
  qr_malformed: {
    status: 400,
    retryable: false,
    title: { en: 'This is not a payment code', 'zh-CN': '这不是有效的收款码' },
  },
  qr_crc_mismatch: {
    status: 400,
    retryable: false,
    title: {
      en: 'The code is damaged (its checksum does not match)',
      'zh-CN': '收款码已损坏（校验码不符）',
    },
  },
  qr_missing_field: {
    status: 400,
    retryable: false,
    title: { en: 'The code lacks a required field', 'zh-CN': '收款码缺少必要字段' },
  },
  qr_invalid_field: {
    status: 400,
    retryable: false,
    title: { en: 'The code has an invalid field', 'zh-CN': '收款码字段无效' },
  },
  qr_unknown: {
    status: 404,
    retryable: false,
    title: {
      en: 'This code does not belong to a Hebao merchant or user',
      'zh-CN': '这不是荷包商户或用户的收款码',
    },
  },
  qr_expired: {
    status: 410,
    retryable: false,
    title: { en: 'This code has expired', 'zh-CN': '收款码已过期' },
  },
  qr_used: {
    status: 409,
    retryable: false,
    title: { en: 'This code has already been paid', 'zh-CN': '该收款码已被支付' },
  },
  payment_code_malformed: {
    status: 400,
    retryable: false,
    title: { en: 'A payment code is 18 digits', 'zh-CN': '付款码应为 18 位数字' },
  },
  payment_code_unknown_prefix: {
    status: 400,
    retryable: false,
    title: { en: 'This is not a Hebao payment code', 'zh-CN': '这不是荷包的付款码' },
  },
  payment_code_invalid: {
    status: 400,
    retryable: false,
    title: {
      en: 'The payment code is wrong or has expired; ask for the code on screen now',
      'zh-CN': '付款码错误或已过期，请让付款人出示当前的付款码',
    },
  },
  payment_code_used: {
    status: 409,
    retryable: false,
    title: {
      en: 'This payment code has already been used; ask for a new one',
      'zh-CN': '该付款码已被使用，请让付款人出示新的付款码',
    },
  },
  payment_code_device_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such payment code device', 'zh-CN': '付款码设备不存在' },
  },
  payment_code_devices_too_many: {
    status: 409,
    retryable: false,
    title: {
      en: 'You already have the most payment code devices allowed; remove one first',
      'zh-CN': '付款码设备数量已达上限，请先移除一台设备',
    },
  },
  charge_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such charge', 'zh-CN': '扣款不存在' },
  },
  charge_not_pending: {
    status: 409,
    retryable: false,
    title: {
      en: 'This charge is no longer waiting for your confirmation',
      'zh-CN': '该扣款已不在等待您确认',
    },
  },
} as const satisfies Record<string, CodeSpec>;

export type MerchantCode = keyof typeof merchantCodes;
export type MerchantFailure = Failure<MerchantCode>;
