import type { Pool } from '../db/index.js';
import { limits } from '../limits.js';

/**
 * Deletes identity rows that can never be used again: challenges, one-time codes and step-up
 * confirmations a day after they expired, and sessions a month after they ended (the audit log
 * keeps the history of sign-ins). Each table is purged in bounded batches, so a pass never holds
 * many locks; returns how many rows went.
 */
const PURGES: ReadonlyArray<{
  readonly table: string;
  readonly ended: string;
  readonly graceMs: number;
}> = [
  { table: 'login_challenges', ended: 'expires_at', graceMs: 24 * 3_600_000 },
  { table: 'webauthn_challenges', ended: 'expires_at', graceMs: 24 * 3_600_000 },
  { table: 'one_time_codes', ended: 'expires_at', graceMs: 24 * 3_600_000 },
  { table: 'step_up_confirmations', ended: 'expires_at', graceMs: 24 * 3_600_000 },
  { table: 'sessions', ended: 'expires_at', graceMs: 30 * 24 * 3_600_000 },
];

export async function purgeExpired(pool: Pool, nowMs: number): Promise<number> {
  let purged = 0;
  for (const { table, ended, graceMs } of PURGES) {
    const { rowCount } = await pool.query(
      `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM ${table} WHERE ${ended} < $1 LIMIT $2))`,
      [new Date(nowMs - graceMs), limits.identityPurgeBatchSizeMax],
    );
    purged += rowCount ?? 0;
  }
  return purged;
}
