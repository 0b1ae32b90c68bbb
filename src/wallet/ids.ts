import { createHash } from 'node:crypto';
import { ulidBody } from '../lib/ids.js';

/**
 * Ids derived from what they name, so that creating the same thing twice (two requests racing
 * to open a user's wallet, a release job running twice) names the same ledger object and the
 * ledger answers `exists` instead of creating a second one.
 */
function derived(prefix: 'acc' | 'trf', timeMs: number, ...parts: string[]): string {
  const random = createHash('sha256').update(parts.join('\u0000')).digest().subarray(0, 10);
  return `${prefix}_${ulidBody(timeMs, random)}`;
}

/** The ledger account of a user's wallet in one currency (time part: the user's creation). */
export function walletAccountId(userId: string, userCreatedAtMs: number, currency: string): string {
  return derived('acc', userCreatedAtMs, 'wallet', userId, currency);
}

/** A system account (bank clearing, transfer hold, ...) of one currency. */
export function systemAccountId(code: string, currency: string): string {
  return derived('acc', 0, 'system', code, currency);
}

/**
 * The ledger transfer that settles an earlier one (release, cancellation). Its time part is the
 * earlier transfer's creation, so every run of a job derives the same id.
 */
export function settlementTransferId(
  transferId: string,
  createdAtMs: number,
  purpose: 'release' | 'cancel',
): string {
  return derived('trf', createdAtMs, transferId, purpose);
}
