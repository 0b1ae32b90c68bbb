import type { CodeSpec, Failure } from '../lib/code-spec.js';
import { kycCodes } from './kyc.js';
import { limitCodes } from './payment-limits.js';
import { pinCodes } from './pin-policy.js';

/**
 * Every outcome of the identity service that goes against the caller, with its HTTP status,
 * whether retrying can help, and its title in both languages. `docs/errors.md` lists them and a
 * test keeps the two in step.
 */
export type IdentityCode = keyof typeof identityCodes;

/** Codes of the operator routes of this module (the KYC review queue). */
const operatorCodes = {
  operator_mfa_required: {
    status: 403,
    retryable: false,
    title: {
      en: 'Operators must sign in with a second factor',
      'zh-CN': '操作员须使用第二重验证登录',
    },
  },
} as const satisfies Record<string, CodeSpec>;

export type IdentityFailure = Failure<IdentityCode>;

const sessionCodes = {
  unauthenticated: {
    status: 401,
    retryable: false,
    title: { en: 'Sign-in required', 'zh-CN': '请先登录' },
  },
  session_expired: {
    status: 401,
    retryable: false,
    title: { en: 'Session expired; sign in again', 'zh-CN': '登录已过期，请重新登录' },
  },
  csrf_token_invalid: {
    status: 403,
    retryable: false,
    title: { en: 'Missing or wrong CSRF token', 'zh-CN': 'CSRF 令牌缺失或错误' },
  },
  contact_required: {
    status: 400,
    retryable: false,
    title: { en: 'Give exactly one of phone and email', 'zh-CN': '请提供手机号或邮箱中的一项' },
  },
  phone_invalid: {
    status: 400,
    retryable: false,
    title: { en: 'Not a valid mobile number', 'zh-CN': '手机号格式无效' },
  },
  email_invalid: {
    status: 400,
    retryable: false,
    title: { en: 'Not a valid email address', 'zh-CN': '邮箱格式无效' },
  },
  login_invalid: {
    status: 400,
    retryable: false,
    title: { en: 'Not a mobile number or email address', 'zh-CN': '登录名不是有效的手机号或邮箱' },
  },
  contact_already_registered: {
    status: 409,
    retryable: false,
    title: { en: 'This phone or email is already registered', 'zh-CN': '该手机号或邮箱已注册' },
  },
  password_too_short: {
    status: 400,
    retryable: false,
    title: { en: 'Password too short', 'zh-CN': '密码太短' },
  },
  password_too_long: {
    status: 400,
    retryable: false,
    title: { en: 'Password too long', 'zh-CN': '密码太长' },
  },
  password_too_common: {
    status: 400,
    retryable: false,
    title: { en: 'Password is too common', 'zh-CN': '密码过于常见' },
  },
  password_contains_personal_info: {
    status: 400,
    retryable: false,
    title: { en: 'Password contains your name or login', 'zh-CN': '密码不能包含姓名或登录名' },
  },
  invalid_credentials: {
    status: 401,
    retryable: false,
    title: { en: 'Wrong login or password', 'zh-CN': '登录名或密码错误' },
  },
  login_locked: {
    status: 429,
    retryable: true,
    title: {
      en: 'Too many failed sign-ins; try again later',
      'zh-CN': '登录失败次数过多，请稍后再试',
    },
  },
  current_password_wrong: {
    status: 403,
    retryable: false,
    title: { en: 'The current password is wrong', 'zh-CN': '当前密码错误' },
  },
  verification_code_invalid: {
    status: 400,
    retryable: false,
    title: { en: 'Wrong or expired code', 'zh-CN': '验证码错误或已过期' },
  },
  too_many_attempts: {
    status: 429,
    retryable: true,
    title: { en: 'Too many attempts; try again later', 'zh-CN': '尝试次数过多，请稍后再试' },
  },
  contact_already_verified: {
    status: 409,
    retryable: false,
    title: { en: 'The contact is already verified', 'zh-CN': '联系方式已验证' },
  },
  session_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such session', 'zh-CN': '会话不存在' },
  },
  device_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such device', 'zh-CN': '设备不存在' },
  },
  contact_not_verified: {
    status: 403,
    retryable: false,
    title: {
      en: 'Verify your phone or email before moving money',
      'zh-CN': '请先验证手机号或邮箱再进行资金操作',
    },
  },
  mfa_challenge_invalid: {
    status: 401,
    retryable: false,
    title: {
      en: 'The sign-in step expired or was already used; sign in again',
      'zh-CN': '登录验证已过期或已使用，请重新登录',
    },
  },
  mfa_proof_required: {
    status: 400,
    retryable: false,
    title: {
      en: 'Give exactly one of totp, recovery_code and passkey',
      'zh-CN': '请提供身份验证器验证码、恢复码或通行密钥中的一项',
    },
  },
  mfa_method_not_enabled: {
    status: 409,
    retryable: false,
    title: {
      en: 'This account does not use that verification method',
      'zh-CN': '该账户未启用此验证方式',
    },
  },
  totp_code_wrong: {
    status: 403,
    retryable: false,
    title: { en: 'Wrong authenticator code', 'zh-CN': '身份验证器验证码错误' },
  },
  totp_code_replayed: {
    status: 403,
    retryable: false,
    title: {
      en: 'This authenticator code was already used; wait for the next one',
      'zh-CN': '该验证码已使用过，请等待下一个验证码',
    },
  },
  recovery_code_wrong: {
    status: 403,
    retryable: false,
    title: { en: 'Wrong or already used recovery code', 'zh-CN': '恢复码错误或已使用' },
  },
  totp_already_enabled: {
    status: 409,
    retryable: false,
    title: { en: 'An authenticator app is already set up', 'zh-CN': '已设置身份验证器' },
  },
  totp_not_enrolled: {
    status: 409,
    retryable: false,
    title: {
      en: 'Start setting up the authenticator app first',
      'zh-CN': '请先开始设置身份验证器',
    },
  },
  totp_not_enabled: {
    status: 409,
    retryable: false,
    title: { en: 'No authenticator app is set up', 'zh-CN': '尚未设置身份验证器' },
  },
  passkey_challenge_invalid: {
    status: 400,
    retryable: false,
    title: {
      en: 'The passkey request expired or was already used; start again',
      'zh-CN': '通行密钥请求已过期或已使用，请重新开始',
    },
  },
  passkey_registration_invalid: {
    status: 400,
    retryable: false,
    title: { en: 'The new passkey could not be verified', 'zh-CN': '无法验证新的通行密钥' },
  },
  passkey_assertion_invalid: {
    status: 403,
    retryable: false,
    title: { en: 'The passkey could not be verified', 'zh-CN': '通行密钥验证失败' },
  },
  passkey_already_registered: {
    status: 409,
    retryable: false,
    title: { en: 'This passkey is already registered', 'zh-CN': '该通行密钥已注册' },
  },
  passkey_limit_reached: {
    status: 409,
    retryable: false,
    title: {
      en: 'Too many passkeys; remove one first',
      'zh-CN': '通行密钥数量已达上限，请先删除一个',
    },
  },
  passkey_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such passkey', 'zh-CN': '通行密钥不存在' },
  },
  passkey_not_registered: {
    status: 409,
    retryable: false,
    title: { en: 'Add a passkey first', 'zh-CN': '请先添加通行密钥' },
  },
} as const satisfies Record<string, CodeSpec>;

/**
 * The whole table: sign-in and sessions here, and the tables that live beside their rules
 * (payment PIN and step-up, real-name tiers, payment limits).
 */
export const identityCodes = {
  ...sessionCodes,
  ...pinCodes,
  ...kycCodes,
  ...limitCodes,
  ...operatorCodes,
} as const satisfies Record<string, CodeSpec>;
