import type { CodeSpec } from '../lib/code-spec.js';

/**
 * Every code the sandbox bank answers with, and its HTTP status. The bank is a stand-in for an
 * outside provider, so these are its codes, not Hebao's: the adapter translates them into the
 * port's result codes and they never reach a wallet user as they are.
 */
export type BankCode =
  | 'unauthenticated'
  | 'validation_failed'
  | 'malformed_json'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'route_not_found'
  | 'card_number_invalid'
  | 'card_details_invalid'
  | 'card_declined'
  | 'card_expired'
  | 'card_token_unknown'
  | 'amount_invalid'
  | 'reference_reused'
  | 'not_found'
  | 'date_invalid'
  | 'sandbox_full'
  | 'internal_error';

export const bankCodes = {
  unauthenticated: spec(401, false, 'Missing or wrong API key', 'API 密钥缺失或错误'),
  validation_failed: spec(400, false, 'Validation failed', '参数校验失败'),
  malformed_json: spec(400, false, 'Malformed JSON', 'JSON 格式错误'),
  body_too_large: spec(413, false, 'Request body too large', '请求体过大'),
  unsupported_media_type: spec(415, false, 'Unsupported media type', '不支持的媒体类型'),
  route_not_found: spec(404, false, 'Route not found', '路由不存在'),
  card_number_invalid: spec(400, false, 'Card number invalid', '卡号无效'),
  card_details_invalid: spec(400, false, 'Card details invalid', '卡信息无效'),
  card_declined: spec(402, false, 'Card declined', '银行卡被拒绝'),
  card_expired: spec(402, false, 'Card expired', '银行卡已过期'),
  card_token_unknown: spec(422, false, 'Unknown card token', '未知的银行卡令牌'),
  amount_invalid: spec(400, false, 'Amount invalid', '金额无效'),
  reference_reused: spec(
    409,
    false,
    'Reference used with other details',
    '业务参考号已用于其他请求',
  ),
  not_found: spec(404, false, 'Not found', '对象不存在'),
  date_invalid: spec(400, false, 'Date invalid', '日期无效'),
  sandbox_full: spec(503, true, 'Sandbox full', '沙箱容量已满'),
  internal_error: spec(500, true, 'Internal error', '服务器内部错误'),
} as const satisfies Record<BankCode, CodeSpec>;

function spec(status: number, retryable: boolean, en: string, zh: string): CodeSpec {
  return { status, retryable, title: { en, 'zh-CN': zh } };
}

export const BANK_PROBLEM_TYPE_BASE = 'https://hebao.dev/sandbox-bank/errors/';

/** Thrown by the bank's handlers; the error handler turns it into problem+json. */
export class BankProblemError extends Error {
  override readonly name = 'BankProblemError';

  constructor(
    readonly code: BankCode,
    readonly detail?: string,
    readonly param?: string,
  ) {
    super(detail ?? bankCodes[code].title.en);
  }
}
