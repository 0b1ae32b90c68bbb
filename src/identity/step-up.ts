/**
 * Step-up confirmation of money movement (API.md): a user moving money confirms that one payment
 * with the payment PIN or a passkey, and gets a short-lived single-use token bound to the amount,
 * currency and payee; the payment hands the token back and `authorize` consumes it inside the
 * payment's transaction. Small CNY payments may skip confirmation a few times a day (the
 * low-value exemption). Confirmations are routine, not security events, so they are not audited;
 * PIN lockouts are (payment-pin.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { assert } from '../lib/assert.js';
import { failure, type Failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { formatAmount } from '../money/index.js';
import type { PaymentPinCode, PaymentPins } from './payment-pin.js';
import {
  STEP_UP_CONFIRMATION_TTL_MS,
  STEP_UP_EXEMPT_CURRENCY,
  STEP_UP_TOKEN_BYTES,
  STEP_UP_TOKEN_LENGTH_MAX,
  bindingProblem,
  calendarDay,
  exemptionRefusal,
  stepUpDetail,
  type ExemptionPolicy,
  type ExemptionRefusal,
  type PaymentBinding,
} from './pin-policy.js';
import type { RequestContext } from './sessions.js';

export type { PaymentBinding } from './pin-policy.js';

export type ConfirmationMethod = 'pin' | 'passkey';

export interface Confirmation {
  /** Handed to the client once; only its hash is stored. */
  readonly token: string;
  readonly expiresAt: Date;
}

export type StepUpResult<T = object> = ({ readonly ok: true } & T) | Failure<PaymentPinCode>;

export interface StepUpDeps extends ExemptionPolicy {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly pins: PaymentPins;
  /** The IANA time zone whose calendar days the exemption count runs over. */
  readonly timeZone: string;
}

export interface StepUp {
  /** Checks the PIN and, if right, issues a confirmation for this one payment. */
  confirmWithPin(
    userId: string,
    binding: PaymentBinding,
    pin: string,
    ctx: RequestContext,
  ): Promise<StepUpResult<Confirmation>>;
  /** Issues a confirmation after another proof (a passkey assertion) was checked by the caller. */
  issueConfirmation(
    tx: Executor,
    userId: string,
    binding: PaymentBinding,
    method: ConfirmationMethod,
    nowMs: number,
  ): Promise<Confirmation>;
  /**
   * Called by payment code inside the payment's transaction, so that the token is consumed (or
   * the exemption counted) if and only if the payment commits. With a token: the token must be
   * this user's, unexpired, unused and bound to exactly this amount, currency and payee; it is
   * then used up. Without one: the low-value exemption, if it applies.
   */
  authorize(
    tx: Executor,
    userId: string,
    binding: PaymentBinding,
    confirmationToken: string | undefined,
  ): Promise<StepUpResult<{ method: ConfirmationMethod | 'exempt' }>>;
}

const TOKEN_PREFIX = 'hbu_';

function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function assertBinding(binding: PaymentBinding): void {
  const problem = bindingProblem(binding);
  assert(problem === undefined, `payment binding: ${problem}`);
}

/**
 * Stores a new confirmation and returns its token. The token carries 256 random bits, so a fast
 * hash is enough to store it: nobody can find a token that matches a stored hash.
 */
export async function issueConfirmation(
  tx: Executor,
  userId: string,
  binding: PaymentBinding,
  method: ConfirmationMethod,
  nowMs: number,
): Promise<Confirmation> {
  assertBinding(binding);
  const token = TOKEN_PREFIX + randomBytes(STEP_UP_TOKEN_BYTES).toString('base64url');
  const expiresAt = new Date(nowMs + STEP_UP_CONFIRMATION_TTL_MS);
  await tx.query(
    `INSERT INTO step_up_confirmations
       (token_hash, user_id, method, amount_minor, currency, payee, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      tokenHash(token),
      userId,
      method,
      binding.amountMinor,
      binding.currency,
      binding.payee,
      new Date(nowMs),
      expiresAt,
    ],
  );
  return { token, expiresAt };
}

/**
 * Uses the token up if everything matches. One UPDATE does the check and the write: a second
 * payment with the same token waits for the first one's row lock, then sees `consumed_at` set
 * (or, if the first payment rolled back, finds the token unused and may have it).
 */
async function consumeConfirmation(
  tx: Executor,
  userId: string,
  binding: PaymentBinding,
  token: string,
  nowMs: number,
): Promise<ConfirmationMethod | undefined> {
  if (token.length > STEP_UP_TOKEN_LENGTH_MAX) return undefined;
  const { rows } = await tx.query<{ method: ConfirmationMethod }>(
    `UPDATE step_up_confirmations SET consumed_at = $6
      WHERE token_hash = $1 AND user_id = $2 AND amount_minor = $3 AND currency = $4
        AND payee = $5 AND consumed_at IS NULL AND expires_at > $6
      RETURNING method`,
    [
      tokenHash(token),
      userId,
      binding.amountMinor,
      binding.currency,
      binding.payee,
      new Date(nowMs),
    ],
  );
  return rows[0]?.method;
}

/**
 * Counts one use of the exemption on the given day, unless the day's uses have reached `max`.
 * The upsert locks the user's row, so concurrent payments count one after another and never past
 * `max`. A day earlier than the stored one (a clock behind another node's) is refused.
 */
async function useExemption(
  tx: Executor,
  userId: string,
  day: string,
  max: number,
): Promise<boolean> {
  const { rowCount } = await tx.query({
    name: 'step_up_use_exemption',
    text: `INSERT INTO step_up_exemptions AS e (user_id, day, used) VALUES ($1, $2::date, 1)
     ON CONFLICT (user_id) DO UPDATE SET
       day = EXCLUDED.day,
       used = CASE WHEN EXCLUDED.day > e.day THEN 1 ELSE e.used + 1 END
     WHERE EXCLUDED.day > e.day OR (EXCLUDED.day = e.day AND e.used < $3)`,
    values: [userId, day, max],
  });
  return rowCount === 1;
}

export function createStepUp(deps: StepUpDeps): StepUp {
  const { pool, clock, pins, timeZone } = deps;
  const policy: ExemptionPolicy = {
    exemptAmountMinor: deps.exemptAmountMinor,
    exemptDailyCount: deps.exemptDailyCount,
  };
  assert(policy.exemptAmountMinor >= 0n, 'exemptAmountMinor must not be negative');
  assert(
    Number.isSafeInteger(policy.exemptDailyCount) && policy.exemptDailyCount >= 0,
    'exemptDailyCount must be a whole number',
  );
  // Fails here, at start-up, rather than at the first payment, if the time zone is unknown.
  calendarDay(clock.nowMs(), timeZone);

  function stepUpRequired(refusal: ExemptionRefusal): Failure<PaymentPinCode> {
    const exemptAmountText = formatAmount(policy.exemptAmountMinor, STEP_UP_EXEMPT_CURRENCY);
    return failure('step_up_required', {
      detail: stepUpDetail(refusal, policy, exemptAmountText),
    });
  }

  async function confirmWithPin(
    userId: string,
    binding: PaymentBinding,
    pin: string,
    ctx: RequestContext,
  ): Promise<StepUpResult<Confirmation>> {
    assertBinding(binding);
    return withTransaction(pool, async (tx) => {
      const verified = await pins.verifyPin(tx, userId, pin, ctx);
      if (!verified.ok) return verified;
      const confirmation = await issueConfirmation(tx, userId, binding, 'pin', clock.nowMs());
      return { ok: true as const, ...confirmation };
    });
  }

  async function authorize(
    tx: Executor,
    userId: string,
    binding: PaymentBinding,
    confirmationToken: string | undefined,
  ): Promise<StepUpResult<{ method: ConfirmationMethod | 'exempt' }>> {
    assertBinding(binding);
    const nowMs = clock.nowMs();
    if (confirmationToken !== undefined) {
      const method = await consumeConfirmation(tx, userId, binding, confirmationToken, nowMs);
      // One code for every way a token can be wrong, so that trying tokens reveals nothing.
      if (method === undefined) return failure('confirmation_invalid');
      return { ok: true, method };
    }
    const refusal = exemptionRefusal(binding, policy);
    if (refusal !== undefined) return stepUpRequired(refusal);
    const day = calendarDay(nowMs, timeZone);
    if (!(await useExemption(tx, userId, day, policy.exemptDailyCount))) {
      return stepUpRequired('daily_count_used');
    }
    return { ok: true, method: 'exempt' };
  }

  return { confirmWithPin, issueConfirmation, authorize };
}
