/**
 * Splitting an amount into parts without losing or inventing a minor unit: a bill split among
 * friends, a refund across the original payment's legs, a fee shared by merchants. Multiplying by a
 * float ratio and rounding each part does not work, because the rounded parts need not add up to
 * the total. Here every part starts at the floor of its exact share, and the units left over go one
 * at a time to the parts whose shares were cut the most (the largest-remainder method).
 */

/** The most parts one call may produce; more is a sign of a bug rather than of a real split. */
export const ALLOCATION_PARTS_MAX = 10_000;

interface Share {
  readonly index: number;
  /** The exact share rounded down. */
  readonly floor: bigint;
  /** What rounding down cut off, scaled by the weight sum so that it stays an integer. */
  readonly remainder: bigint;
}

/**
 * Allocates `totalMinor` in proportion to `weights` and returns one part per weight, in order. The
 * parts sum to the total exactly, each is within one minor unit of its exact share, and a zero
 * weight always gets zero. Ties between equal remainders go to the lower index, so the result is
 * deterministic. It throws RangeError for a negative total, a negative weight, no positive weight,
 * or more than ALLOCATION_PARTS_MAX weights, all of which are programmer errors.
 */
export function allocate(totalMinor: bigint, weights: readonly bigint[]): bigint[] {
  const weightSum = checkAllocation(totalMinor, weights);
  const shares: Share[] = weights.map((weight, index) => ({
    index,
    floor: (totalMinor * weight) / weightSum,
    remainder: (totalMinor * weight) % weightSum,
  }));
  const leftover = totalMinor - shares.reduce((sum, s) => sum + s.floor, 0n);
  // The leftover is smaller than the number of parts, so each receiving part gets one unit.
  const receivers = new Set(
    [...shares]
      .sort(byLargestRemainder)
      .filter((_, rank) => BigInt(rank) < leftover)
      .map((s) => s.index),
  );
  return shares.map((s) => (receivers.has(s.index) ? s.floor + 1n : s.floor));
}

/**
 * Splits `totalMinor` into `parts` parts that differ by at most one minor unit, the larger parts
 * first: 100 fen in three is 34, 33, 33.
 */
export function splitEvenly(totalMinor: bigint, parts: number): bigint[] {
  if (!Number.isSafeInteger(parts) || parts < 1 || parts > ALLOCATION_PARTS_MAX) {
    throw new RangeError(`parts must be an integer in 1..${ALLOCATION_PARTS_MAX}: ${parts}`);
  }
  return allocate(totalMinor, new Array<bigint>(parts).fill(1n));
}

/** Validates the arguments of `allocate` and returns the sum of the weights. */
function checkAllocation(totalMinor: bigint, weights: readonly bigint[]): bigint {
  if (typeof totalMinor !== 'bigint') throw new TypeError('totalMinor must be a bigint');
  if (totalMinor < 0n) throw new RangeError(`cannot allocate a negative total: ${totalMinor}`);
  if (weights.length > ALLOCATION_PARTS_MAX) {
    throw new RangeError(`at most ${ALLOCATION_PARTS_MAX} weights: ${weights.length}`);
  }
  let sum = 0n;
  for (const weight of weights) {
    if (typeof weight !== 'bigint' || weight < 0n) {
      throw new RangeError(`weights must be non-negative bigints: ${String(weight)}`);
    }
    sum += weight;
  }
  if (sum === 0n) throw new RangeError('at least one weight must be positive');
  return sum;
}

/** Larger remainders first; equal remainders keep index order. */
function byLargestRemainder(a: Share, b: Share): number {
  if (a.remainder !== b.remainder) return a.remainder > b.remainder ? -1 : 1;
  return a.index - b.index;
}
