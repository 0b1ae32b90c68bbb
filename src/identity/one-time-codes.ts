import type { Executor } from '../db/index.js';
import { newId } from '../lib/ids.js';
import { keyedHash } from '../lib/encryption.js';
import { limits } from '../limits.js';
import { newOneTimeCode, sameBytes } from './secrets.js';

/**
 * Six-digit codes sent to a contact. Only the newest code of a purpose counts; it is stored as an
 * HMAC keyed with the server secret (a million values are too few for a plain hash), expires
 * after ten minutes, and dies after five wrong tries.
 */
export type CodePurpose = 'verify_contact' | 'reset_password';

export type IssueResult =
  | { readonly ok: true; readonly code: string; readonly expiresAt: Date }
  | { readonly ok: false; readonly retryAfterMs: number };

function codeHash(key: Buffer, codeId: string, code: string): Buffer {
  return keyedHash(key, 'one-time-code', codeId, code);
}

export async function issueCode(
  tx: Executor,
  key: Buffer,
  userId: string,
  purpose: CodePurpose,
  nowMs: number,
): Promise<IssueResult> {
  const { rows } = await tx.query<{ created_at: Date }>(
    `SELECT created_at FROM one_time_codes WHERE user_id = $1 AND purpose = $2
      ORDER BY created_at DESC LIMIT 1`,
    [userId, purpose],
  );
  const last = rows[0]?.created_at.getTime();
  if (last !== undefined && nowMs - last < limits.oneTimeCodeResendIntervalMs) {
    return { ok: false, retryAfterMs: last + limits.oneTimeCodeResendIntervalMs - nowMs };
  }
  const id = newId('otc', nowMs);
  const code = newOneTimeCode();
  const expiresAt = new Date(nowMs + limits.oneTimeCodeTtlMs);
  await tx.query(
    `INSERT INTO one_time_codes (id, user_id, purpose, code_hash, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [id, userId, purpose, codeHash(key, id, code), new Date(nowMs), expiresAt],
  );
  return { ok: true, code, expiresAt };
}

export type CheckResult = 'ok' | 'wrong' | 'exhausted';

/**
 * Checks a code against the newest live code of the purpose, and consumes it when right. A wrong
 * code counts against that code; the fifth wrong one kills it, so a new one must be requested.
 */
export async function checkCode(
  tx: Executor,
  key: Buffer,
  userId: string,
  purpose: CodePurpose,
  code: string,
  nowMs: number,
): Promise<CheckResult> {
  const { rows } = await tx.query<{ id: string; code_hash: Buffer; failures: number }>(
    `SELECT id, code_hash, failures FROM one_time_codes
      WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > $3
      ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
    [userId, purpose, new Date(nowMs)],
  );
  const live = rows[0];
  if (live === undefined) return 'wrong';
  if (live.failures >= limits.oneTimeCodeFailuresMax) return 'exhausted';
  if (sameBytes(codeHash(key, live.id, code), live.code_hash)) {
    await tx.query('UPDATE one_time_codes SET consumed_at = $2 WHERE id = $1', [
      live.id,
      new Date(nowMs),
    ]);
    return 'ok';
  }
  await tx.query('UPDATE one_time_codes SET failures = failures + 1 WHERE id = $1', [live.id]);
  return live.failures + 1 >= limits.oneTimeCodeFailuresMax ? 'exhausted' : 'wrong';
}
