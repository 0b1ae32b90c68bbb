import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Random secrets handed to clients (session, device and challenge tokens) and their stored form.
 * Tokens carry 256 bits, so a fast hash is enough to store them: nobody can guess one to match.
 */
export function newToken(prefix: 'hbs' | 'hbd' | 'hbc'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A 6-digit one-time code, uniformly random (randomInt has no modulo bias). */
export function newOneTimeCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
