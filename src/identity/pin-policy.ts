/**
 * The pure rules of payment confirmation: which PINs may be chosen, how wrong PINs lock the PIN,
 * when a payment may skip step-up, and the result codes of all three. No clock, no database: the
 * services in payment-pin.ts and step-up.ts pass the time and the stored counters in.
 */
import type { CodeSpec, Failure } from '../lib/code-spec.js';
import { limits } from '../limits.js';

// The numbers live in src/limits.ts with every other limit; these names are the module's own.
export const PIN_LENGTH = limits.pinLength;
export const PIN_FAILURES_LOCK = limits.pinFailuresLock;
export const PIN_LOCK_BASE_MS = limits.pinLockBaseMs;
export const PIN_LOCK_MAX_MS = limits.pinLockMaxMs;
export const PIN_LOCKOUT_FORGET_MS = limits.pinLockoutForgetMs;
export const STEP_UP_CONFIRMATION_TTL_MS = limits.stepUpConfirmationTtlMs;
export const STEP_UP_TOKEN_BYTES = limits.stepUpTokenBytes;
export const STEP_UP_TOKEN_LENGTH_MAX = limits.stepUpTokenLengthMax;
export const STEP_UP_PAYEE_LENGTH_MAX = limits.ownerLengthMax;
/** The only currency the low-value exemption applies to (its amount is configured in CNY). */
export const STEP_UP_EXEMPT_CURRENCY = 'CNY';

/**
 * Outcomes of the payment PIN and of step-up. The identity code table takes these in; until then
 * they live here.
 */
export const pinCodes = {
  pin_format_invalid: {
    status: 400,
    retryable: false,
    title: { en: 'The payment PIN must be 6 digits', 'zh-CN': '支付密码必须是 6 位数字' },
  },
  pin_too_simple: {
    status: 400,
    retryable: false,
    title: { en: 'This payment PIN is too easy to guess', 'zh-CN': '支付密码过于简单，容易被猜到' },
  },
  pin_not_set: {
    status: 409,
    retryable: false,
    title: { en: 'Set a payment PIN first', 'zh-CN': '请先设置支付密码' },
  },
  pin_wrong: {
    status: 403,
    retryable: false,
    title: { en: 'Wrong payment PIN', 'zh-CN': '支付密码错误' },
  },
  pin_locked: {
    status: 429,
    retryable: true,
    title: {
      en: 'Too many wrong payment PINs; try again later',
      'zh-CN': '支付密码错误次数过多，请稍后再试',
    },
  },
  confirmation_invalid: {
    status: 403,
    retryable: false,
    title: {
      en: 'The payment confirmation is invalid, expired or already used',
      'zh-CN': '支付确认无效、已过期或已使用',
    },
  },
  step_up_required: {
    status: 403,
    retryable: false,
    title: {
      en: 'Confirm this payment with your payment PIN or a passkey',
      'zh-CN': '请使用支付密码或通行密钥确认本次支付',
    },
  },
} as const satisfies Record<string, CodeSpec>;

export type PinCode = keyof typeof pinCodes;

export type PinFailure = Failure<PinCode>;

// ---------------------------------------------------------------------------------------------
// Choosing a PIN

/**
 * PINs that people choose far more often than chance, beyond the runs and repeats that
 * `pinChoiceProblem` finds by rule: keypad patterns, mirrored and paired digits. Birth dates are
 * out of scope (the PIN is not checked against the user's data).
 */
const COMMON_PINS: ReadonlySet<string> = new Set([
  '112233',
  '111222',
  '123321',
  '147258',
  '147369',
  '159357',
  '258369',
  '369258',
  '456123',
  '789456',
  '135790',
  '246810',
]);

export type PinChoiceProblem = 'pin_format_invalid' | 'pin_too_simple';

/** Whether the text is a PIN at all: exactly six ASCII digits, nothing around them. */
export function isPinFormat(pin: unknown): pin is string {
  return typeof pin === 'string' && /^[0-9]{6}$/.test(pin);
}

/**
 * Why a PIN may not be chosen, or undefined when it may. Refused as too simple: one digit six
 * times, runs up or down (wrapping past 9, as on a dial: 890123), any two digits alternating
 * (121212), any three digits twice (123123, 520520), and the common PINs above.
 */
export function pinChoiceProblem(pin: unknown): PinChoiceProblem | undefined {
  if (!isPinFormat(pin)) return 'pin_format_invalid';
  const digits = [...pin].map(Number);
  const steps = digits.slice(1).map((d, i) => (d - digits[i]! + 10) % 10);
  const run = steps.every((s) => s === steps[0]) && [0, 1, 9].includes(steps[0]!);
  const repeats = pin.slice(0, 2).repeat(3) === pin || pin.slice(0, 3).repeat(2) === pin;
  return run || repeats || COMMON_PINS.has(pin) ? 'pin_too_simple' : undefined;
}

// ---------------------------------------------------------------------------------------------
// Lockout

/** A PIN's guessing counters as stored. */
export interface PinCounters {
  readonly failures: number;
  /** The end of the newest lock, passed or not; null if the PIN was never locked. */
  readonly lockedUntilMs: number | null;
  readonly lockouts: number;
}

export type PinAttempt =
  | { readonly outcome: 'locked'; readonly retryAfterMs: number }
  | { readonly outcome: 'right'; readonly next: PinCounters }
  | { readonly outcome: 'wrong'; readonly next: PinCounters; readonly triesLeft: number }
  | { readonly outcome: 'locked_now'; readonly next: PinCounters; readonly lockMs: number };

/** How long the `lockout`-th lock of a streak lasts (1 → 15 minutes, doubling, at most a day). */
export function lockDurationMs(lockout: number): number {
  const doublings = Math.min(Math.max(lockout, 1) - 1, 32);
  return Math.min(PIN_LOCK_BASE_MS * 2 ** doublings, PIN_LOCK_MAX_MS);
}

/**
 * The counters with a lockout streak forgotten if its last lock ended a day ago or more. The
 * streak is not reset by a right PIN: otherwise an attacker who also learns the PIN at some point
 * (or a user's own successful payment) would give every later attacker short locks again.
 */
export function forgetOldLockouts(counters: PinCounters, nowMs: number): PinCounters {
  const { lockedUntilMs } = counters;
  if (lockedUntilMs === null || nowMs < lockedUntilMs + PIN_LOCKOUT_FORGET_MS) return counters;
  return { ...counters, lockouts: 0 };
}

/** Whether the PIN is locked now, and if so until when. */
export function lockedUntil(counters: PinCounters, nowMs: number): number | null {
  return counters.lockedUntilMs !== null && nowMs < counters.lockedUntilMs
    ? counters.lockedUntilMs
    : null;
}

/**
 * Decides one try of the PIN. While locked every try is refused, the right PIN too, so that a
 * lock cannot be used to test guesses. The fifth consecutive wrong try starts a lock and resets
 * the count, so each lock window allows exactly five guesses.
 */
export function pinAttempt(counters: PinCounters, right: boolean, nowMs: number): PinAttempt {
  const until = lockedUntil(counters, nowMs);
  if (until !== null) return { outcome: 'locked', retryAfterMs: until - nowMs };
  const base = forgetOldLockouts(counters, nowMs);
  if (right) return { outcome: 'right', next: { ...base, failures: 0 } };
  const failures = base.failures + 1;
  if (failures < PIN_FAILURES_LOCK) {
    return {
      outcome: 'wrong',
      next: { ...base, failures },
      triesLeft: PIN_FAILURES_LOCK - failures,
    };
  }
  const lockouts = base.lockouts + 1;
  const lockMs = lockDurationMs(lockouts);
  return {
    outcome: 'locked_now',
    next: { failures: 0, lockedUntilMs: nowMs + lockMs, lockouts },
    lockMs,
  };
}

/** Tries left before the next lock; 0 while locked. */
export function triesLeft(counters: PinCounters, nowMs: number): number {
  if (lockedUntil(counters, nowMs) !== null) return 0;
  return Math.max(PIN_FAILURES_LOCK - counters.failures, 0);
}

/** Whole seconds to wait, rounded up so that a client waiting that long is never early. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

// ---------------------------------------------------------------------------------------------
// Step-up

/** What a confirmation is bound to: one payment of one amount to one payee. */
export interface PaymentBinding {
  readonly amountMinor: bigint;
  readonly currency: string;
  /** The payee's id: a user (usr_…), a merchant (mch_…), a bank card for a withdrawal. */
  readonly payee: string;
}

/** A binding the payment code validated: a programmer error otherwise, not a user's mistake. */
export function bindingProblem(binding: PaymentBinding): string | undefined {
  if (typeof binding.amountMinor !== 'bigint' || binding.amountMinor <= 0n) {
    return 'amountMinor must be a positive bigint';
  }
  if (typeof binding.currency !== 'string' || !/^[A-Z]{3}$/.test(binding.currency)) {
    return 'currency must be an ISO 4217 code';
  }
  const payee = binding.payee;
  if (typeof payee !== 'string' || payee.length < 1 || payee.length > STEP_UP_PAYEE_LENGTH_MAX) {
    return `payee must be 1 to ${STEP_UP_PAYEE_LENGTH_MAX} characters`;
  }
  return undefined;
}

export interface ExemptionPolicy {
  /** 0n turns the exemption off. */
  readonly exemptAmountMinor: bigint;
  /** 0 turns the exemption off. */
  readonly exemptDailyCount: number;
}

/** Why a payment needs step-up even before the day's count is looked at. */
export type ExemptionRefusal = 'exemption_off' | 'currency' | 'amount_over' | 'daily_count_used';

/**
 * Whether the low-value exemption can apply to this payment, leaving aside how many the user has
 * used today (which only the database can answer atomically).
 */
export function exemptionRefusal(
  binding: PaymentBinding,
  policy: ExemptionPolicy,
): ExemptionRefusal | undefined {
  if (policy.exemptAmountMinor <= 0n || policy.exemptDailyCount <= 0) return 'exemption_off';
  if (binding.currency !== STEP_UP_EXEMPT_CURRENCY) return 'currency';
  if (binding.amountMinor > policy.exemptAmountMinor) return 'amount_over';
  return undefined;
}

/** The `detail` of a `step_up_required`, saying why this payment could not skip confirmation. */
export function stepUpDetail(
  refusal: ExemptionRefusal,
  policy: ExemptionPolicy,
  exemptAmountText: string,
): string {
  const confirm = 'confirm it with your payment PIN or a passkey';
  switch (refusal) {
    case 'exemption_off':
      return `Every payment needs confirmation: ${confirm}.`;
    case 'currency':
      return `Only ${STEP_UP_EXEMPT_CURRENCY} payments can skip confirmation: ${confirm}.`;
    case 'amount_over':
      return `Only payments up to ${exemptAmountText} ${STEP_UP_EXEMPT_CURRENCY} can skip confirmation: ${confirm}.`;
    case 'daily_count_used':
      return `The ${policy.exemptDailyCount} payments a day that can skip confirmation are used up: ${confirm}.`;
  }
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (YYYY-MM-DD) that the instant falls on in the IANA time zone. */
export function calendarDay(nowMs: number, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dayFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(nowMs));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}
