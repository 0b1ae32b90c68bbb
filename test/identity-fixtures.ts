import { randomInt } from 'node:crypto';
import type { Pool } from '../src/db/index.js';
import { newId } from '../src/lib/ids.js';

/**
 * A user row written straight into the database, for tests of one identity service that do not
 * need to go through registration (the HTTP tests use the harness in identity-app.ts instead).
 */
export async function insertUser(
  pool: Pool,
  options: {
    readonly nowMs?: number;
    readonly verified?: boolean;
    readonly tier?: 1 | 2 | 3;
    readonly passwordHash?: string;
  } = {},
): Promise<{ readonly id: string; readonly phone: string }> {
  const nowMs = options.nowMs ?? Date.now();
  const id = newId('usr', nowMs);
  const phone = `+86137${String(randomInt(0, 1e8)).padStart(8, '0')}`;
  const now = new Date(nowMs);
  await pool.query(
    `INSERT INTO users (id, phone, contact_verified_at, password_hash, password_changed_at,
       display_name, locale, kyc_tier, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'Test', 'en', $6, $5, $5)`,
    [
      id,
      phone,
      options.verified === false ? null : new Date(nowMs - 86_400_000),
      options.passwordHash ?? 'unused',
      now,
      options.tier ?? 1,
    ],
  );
  return { id, phone };
}
