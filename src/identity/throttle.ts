import type { Executor } from '../db/index.js';
import { limits } from '../limits.js';

/**
 * Guessing limits for sign-in. Each key ('login:<login>', 'ip:<address>') counts failed attempts;
 * after a few free ones every further failure makes the key wait longer, and enough failures lock
 * it for an hour. Keys are the login as typed (normalised), not the user, so a login that does
 * not exist locks exactly like one that does and the lock tells an attacker nothing.
 */
export interface ThrottlePolicy {
  readonly free: number;
  readonly lockAt: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly lockMs: number;
}

export const loginPolicy: ThrottlePolicy = {
  free: limits.loginFailuresFree,
  lockAt: limits.loginFailuresLock,
  baseMs: limits.loginDelayBaseMs,
  maxMs: limits.loginDelayMaxMs,
  lockMs: limits.loginLockMs,
};

export const ipPolicy: ThrottlePolicy = {
  free: limits.ipLoginFailuresFree,
  lockAt: Number.MAX_SAFE_INTEGER,
  baseMs: limits.loginDelayBaseMs,
  maxMs: limits.loginDelayMaxMs,
  lockMs: limits.loginLockMs,
};

/** How long a key must wait after its `failures`-th failure; 0 while failures are free. Pure. */
export function waitAfterFailures(failures: number, policy: ThrottlePolicy): number {
  if (failures >= policy.lockAt) return policy.lockMs;
  if (failures < policy.free) return 0;
  return Math.min(policy.baseMs * 2 ** (failures - policy.free), policy.maxMs);
}

/** Counters forget failures that are a day old, so a forgetful user is not delayed forever. */
const FORGET_MS = 24 * 3_600_000;

export type AttemptDecision =
  | { readonly allowed: true; readonly failures: number }
  | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * Counts an attempt as a failure before the password is checked, in one short transaction that
 * locks the counter rows. Concurrent guesses therefore cannot all slip through before the first
 * failure is written; a right password then undoes the count (`forgiveAttempt`).
 */
export async function beginAttempt(
  tx: Executor,
  keys: ReadonlyArray<{ readonly key: string; readonly policy: ThrottlePolicy }>,
  nowMs: number,
): Promise<AttemptDecision & { readonly failuresByKey?: ReadonlyMap<string, number> }> {
  const now = new Date(nowMs);
  const names = keys.map((k) => k.key);
  await tx.query(
    `INSERT INTO auth_throttles (key, failures, locked_until, updated_at)
     SELECT k, 0, NULL, $2 FROM unnest($1::text[]) AS k ORDER BY k ON CONFLICT (key) DO NOTHING`,
    [names, now],
  );
  const { rows } = await tx.query<{
    key: string;
    failures: number;
    locked_until: Date | null;
    updated_at: Date;
  }>(
    'SELECT key, failures, locked_until, updated_at FROM auth_throttles WHERE key = ANY($1) ORDER BY key FOR UPDATE',
    [names],
  );
  const waits = rows.map((r) => (r.locked_until === null ? 0 : r.locked_until.getTime() - nowMs));
  const retryAfterMs = Math.max(0, ...waits);
  if (retryAfterMs > 0) return { allowed: false, retryAfterMs };
  const failuresByKey = new Map<string, number>();
  for (const row of rows) {
    const policy = keys.find((k) => k.key === row.key)!.policy;
    const previous = nowMs - row.updated_at.getTime() > FORGET_MS ? 0 : row.failures;
    const failures = previous + 1;
    const waitMs = waitAfterFailures(failures, policy);
    failuresByKey.set(row.key, failures);
    await tx.query(
      'UPDATE auth_throttles SET failures = $2, locked_until = $3, updated_at = $4 WHERE key = $1',
      [row.key, failures, waitMs === 0 ? null : new Date(nowMs + waitMs), now],
    );
  }
  return { allowed: true, failures: Math.max(0, ...failuresByKey.values()), failuresByKey };
}

/** Undoes a counted attempt that turned out right: clears the key, or takes one failure back. */
export async function forgiveAttempt(
  db: Executor,
  key: string,
  mode: 'clear' | 'one',
  nowMs: number,
): Promise<void> {
  await db.query(
    mode === 'clear'
      ? 'UPDATE auth_throttles SET failures = 0, locked_until = NULL, updated_at = $2 WHERE key = $1'
      : `UPDATE auth_throttles SET failures = greatest(failures - 1, 0), updated_at = $2,
           locked_until = CASE WHEN failures - 1 < $3 THEN NULL ELSE locked_until END
         WHERE key = $1`,
    mode === 'clear' ? [key, new Date(nowMs)] : [key, new Date(nowMs), ipPolicy.free],
  );
}
