/**
 * The payment PIN: six digits that confirm payments. A PIN has only a million values, so a slow
 * hash would not protect it; it is stored as an HMAC keyed with the server secret (kept outside
 * the database) and protected by lockout instead: five consecutive wrong tries lock it, for 15
 * minutes the first time and twice as long for each further lock of a streak, up to a day (see
 * pin-policy.ts). Checking it is cheap, so it can guard every payment.
 */
import { audit } from './security-events.js';
import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { failure, type Failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { keyedHash } from '../lib/encryption.js';
import type { IdentityCode } from './codes.js';
import { verifyPassword } from './passwords.js';
import {
  PIN_FAILURES_LOCK,
  isPinFormat,
  pinAttempt,
  pinChoiceProblem,
  lockedUntil,
  retryAfterSeconds,
  triesLeft,
  type PinCode,
  type PinCounters,
} from './pin-policy.js';
import { sameBytes } from './secrets.js';
import type { RequestContext } from './sessions.js';
import { beginAttempt, forgiveAttempt, loginPolicy } from './throttle.js';
import { selectUser } from './users.js';

/** The codes this file answers with: its own, and the identity codes it shares. */
export type PaymentPinCode =
  | PinCode
  | Extract<IdentityCode, 'unauthenticated' | 'current_password_wrong' | 'too_many_attempts'>;

export type PinResult<T = object> = ({ readonly ok: true } & T) | Failure<PaymentPinCode>;

export interface PaymentPinDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  /** The server secret that keys PIN hashes (32 bytes or more). */
  readonly hmacKey: Buffer;
}

export interface PinStatus {
  readonly set: boolean;
  /** When the current lock ends; null when the PIN is not locked. */
  readonly lockedUntil: Date | null;
  /** Wrong tries left before the PIN locks; 0 while locked. */
  readonly triesLeft: number;
}

export interface PaymentPins {
  /**
   * Sets or changes the PIN after re-authentication with the current password. Lifts a lock and
   * clears the wrong-try count: knowing the password is a stronger proof than the PIN.
   */
  setPin(
    userId: string,
    input: { readonly pin: string; readonly currentPassword: string },
    ctx: RequestContext,
  ): Promise<PinResult>;
  /**
   * Checks the PIN inside the caller's transaction, which must commit even when the answer is a
   * failure: a wrong try that is rolled back is not counted. The PIN row stays locked until that
   * transaction ends, so concurrent tries take turns and no lock window allows more than five
   * guesses. On the try that locks the PIN, an audit entry is appended: the caller must not
   * write anything after a failure.
   */
  verifyPin(tx: Executor, userId: string, pin: string, ctx?: RequestContext): Promise<PinResult>;
  status(userId: string): Promise<PinStatus>;
}

interface PinRow {
  pin_hash: Buffer;
  failures: number;
  locked_until: Date | null;
  lockouts: number;
}

function countersOf(row: PinRow): PinCounters {
  return {
    failures: row.failures,
    lockedUntilMs: row.locked_until?.getTime() ?? null,
    lockouts: row.lockouts,
  };
}

async function selectPin(db: Executor, userId: string, lock: boolean): Promise<PinRow | undefined> {
  const { rows } = await db.query<PinRow>(
    `SELECT pin_hash, failures, locked_until, lockouts FROM payment_pins WHERE user_id = $1${
      lock ? ' FOR UPDATE' : ''
    }`,
    [userId],
  );
  return rows[0];
}

async function updateCounters(
  tx: Executor,
  userId: string,
  counters: PinCounters,
  now: Date,
): Promise<void> {
  await tx.query(
    `UPDATE payment_pins SET failures = $2, locked_until = $3, lockouts = $4, updated_at = $5
      WHERE user_id = $1`,
    [
      userId,
      counters.failures,
      counters.lockedUntilMs === null ? null : new Date(counters.lockedUntilMs),
      counters.lockouts,
      now,
    ],
  );
}

/**
 * Writes the new PIN, clearing the wrong-try count and ending a running lock now. The streak of
 * locks is kept (its last lock "ended" now), so someone who can reset the PIN still does not get
 * short locks back at once. Answers whether a PIN was set before.
 */
async function upsertPin(tx: Executor, userId: string, pinHash: Buffer, now: Date) {
  // xmax is 0 in the version a plain INSERT wrote and the updating transaction's id in the
  // version ON CONFLICT DO UPDATE wrote, so it tells a new PIN from a changed one in one statement.
  const { rows } = await tx.query<{ inserted: boolean }>(
    `INSERT INTO payment_pins AS p (user_id, pin_hash, failures, created_at, updated_at)
     VALUES ($1, $2, 0, $3, $3)
     ON CONFLICT (user_id) DO UPDATE SET
       pin_hash = EXCLUDED.pin_hash,
       failures = 0,
       locked_until = CASE WHEN p.locked_until > $3 THEN $3 ELSE p.locked_until END,
       updated_at = $3
     RETURNING (xmax = 0) AS inserted`,
    [userId, pinHash, now],
  );
  return { existed: rows[0]?.inserted === false };
}

export function createPaymentPins(deps: PaymentPinDeps): PaymentPins {
  const { pool, clock, hmacKey } = deps;
  const pinHash = (userId: string, pin: string) => keyedHash(hmacKey, 'payment-pin', userId, pin);

  /**
   * Re-authentication with the password is throttled per user like a sign-in, so that a stolen
   * session cannot be used to guess the password through this form.
   */
  async function checkCurrentPassword(
    userId: string,
    password: string,
  ): Promise<PinResult | undefined> {
    const user = await selectUser(pool, userId);
    if (user === undefined) return failure('unauthenticated');
    const key = `reauth:${userId}`;
    const attempt = await withTransaction(pool, (tx) =>
      beginAttempt(tx, [{ key, policy: loginPolicy }], clock.nowMs()),
    );
    if (!attempt.allowed) {
      return failure('too_many_attempts', {
        param: 'current_password',
        retryAfterSeconds: retryAfterSeconds(attempt.retryAfterMs),
      });
    }
    if (!(await verifyPassword(user.passwordHash, password.normalize('NFKC')))) {
      return failure('current_password_wrong', { param: 'current_password' });
    }
    await forgiveAttempt(pool, key, 'clear', clock.nowMs());
    return undefined;
  }

  async function setPin(
    userId: string,
    input: { readonly pin: string; readonly currentPassword: string },
    ctx: RequestContext,
  ): Promise<PinResult> {
    const problem = pinChoiceProblem(input.pin);
    if (problem === 'pin_format_invalid') {
      return failure(problem, { param: 'pin', detail: 'Use exactly 6 digits, 0 to 9.' });
    }
    if (problem === 'pin_too_simple') {
      return failure(problem, {
        param: 'pin',
        detail: 'Avoid repeated digits, runs such as 123456 and well-known patterns.',
      });
    }
    const refused = await checkCurrentPassword(userId, input.currentPassword);
    if (refused !== undefined) return refused;
    const now = new Date(clock.nowMs());
    return withTransaction(pool, async (tx) => {
      const { existed } = await upsertPin(tx, userId, pinHash(userId, input.pin), now);
      await audit(tx, userId, existed ? 'pin.changed' : 'pin.set', ctx, now);
      return { ok: true as const };
    });
  }

  async function verifyPin(
    tx: Executor,
    userId: string,
    pin: string,
    ctx?: RequestContext,
  ): Promise<PinResult> {
    // Text that cannot be a PIN is not a guess, so it is not counted.
    if (!isPinFormat(pin)) return failure('pin_format_invalid', { param: 'pin' });
    const row = await selectPin(tx, userId, true);
    if (row === undefined) return failure('pin_not_set');
    const nowMs = clock.nowMs();
    const now = new Date(nowMs);
    // Constant-time, so the time taken tells nothing about how close a guess was.
    const right = sameBytes(pinHash(userId, pin), row.pin_hash);
    const attempt = pinAttempt(countersOf(row), right, nowMs);
    switch (attempt.outcome) {
      case 'locked':
        return lockedFailure(attempt.retryAfterMs);
      case 'right':
        if (row.failures !== 0 || row.lockouts !== attempt.next.lockouts) {
          await updateCounters(tx, userId, attempt.next, now);
        }
        return { ok: true };
      case 'wrong':
        await updateCounters(tx, userId, attempt.next, now);
        return failure('pin_wrong', {
          param: 'pin',
          detail: `Wrong payment PIN: ${attempt.triesLeft} ${
            attempt.triesLeft === 1 ? 'try' : 'tries'
          } left before it locks.`,
        });
      case 'locked_now':
        await updateCounters(tx, userId, attempt.next, now);
        await audit(tx, userId, 'pin.locked', ctx, now, {
          lockouts: attempt.next.lockouts,
          locked_ms: attempt.lockMs,
        });
        return lockedFailure(attempt.lockMs);
    }
  }

  async function status(userId: string): Promise<PinStatus> {
    const row = await selectPin(pool, userId, false);
    if (row === undefined) return { set: false, lockedUntil: null, triesLeft: PIN_FAILURES_LOCK };
    const counters = countersOf(row);
    const nowMs = clock.nowMs();
    const until = lockedUntil(counters, nowMs);
    return {
      set: true,
      lockedUntil: until === null ? null : new Date(until),
      triesLeft: triesLeft(counters, nowMs),
    };
  }

  return { setPin, verifyPin, status };
}

function lockedFailure(retryAfterMs: number): Failure<PaymentPinCode> {
  const seconds = retryAfterSeconds(retryAfterMs);
  const minutes = Math.ceil(seconds / 60);
  return failure('pin_locked', {
    param: 'pin',
    detail: `Too many wrong payment PINs: try again in ${minutes} ${
      minutes === 1 ? 'minute' : 'minutes'
    }, or set a new PIN with your password.`,
    retryAfterSeconds: seconds,
  });
}
