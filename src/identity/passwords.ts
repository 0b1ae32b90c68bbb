import { hash, verify, type Algorithm } from '@node-rs/argon2';

/**
 * Password hashing: Argon2id with OWASP's minimum (19 MiB, 2 iterations, 1 lane). The parameters
 * are stored in each hash, so raising them later only affects new hashes.
 */
const OPTIONS = {
  // The package declares Algorithm as a const enum, which this project's module settings cannot
  // read at runtime; 2 is its Argon2id member.
  algorithm: 2 satisfies Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/**
 * Verifying against this hash costs the same as against a real one, so a sign-in for a login that
 * does not exist takes as long as one with a wrong password.
 */
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(
  storedHash: string | undefined,
  password: string,
): Promise<boolean> {
  dummyHash ??= hash('hebao-dummy-password-for-timing', OPTIONS);
  const target = storedHash ?? (await dummyHash);
  const ok = await verify(target, password).catch(() => false);
  return ok && storedHash !== undefined;
}
