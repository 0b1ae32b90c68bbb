/**
 * Assertions are for broken invariants and programmer errors, never for business outcomes
 * (those are result codes). A failed assertion crashes the request or job loudly.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
