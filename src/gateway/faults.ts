/**
 * Failure injection for the sandbox bank's callbacks, as pure decisions over the settings and a
 * seeded random generator, so that a test that sets a seed sees the same faults on every run.
 * Probabilities of 0 and 1 need no seed: 0 never happens and 1 always does.
 */

export interface FaultSettings {
  /** Probability that a callback is delivered twice (the same event, the same id). */
  readonly duplicateCallbacks: number;
  /** Probability that a callback is held back by `lateCallbackMs` before its first delivery. */
  readonly lateCallbacks: number;
  readonly lateCallbackMs: number;
  /** Probability that a movement's final event is delivered before its `pending` event. */
  readonly reorderCallbacks: number;
  /** Probability that a callback is never delivered (the receiver has to poll). */
  readonly loseCallbacks: number;
  /** Seed of the generator that draws against the probabilities; setting it restarts it. */
  readonly seed: number;
}

export const noFaults: FaultSettings = Object.freeze({
  duplicateCallbacks: 0,
  lateCallbacks: 0,
  lateCallbackMs: 0,
  reorderCallbacks: 0,
  loseCallbacks: 0,
  seed: 1,
});

/** The longest extra delay of a late callback: an hour. */
export const LATE_CALLBACK_MS_MAX = 3_600_000;

/** Returns the first broken rule, or undefined when the settings are usable. */
export function faultSettingsProblem(faults: FaultSettings): string | undefined {
  const probabilities = [
    faults.duplicateCallbacks,
    faults.lateCallbacks,
    faults.reorderCallbacks,
    faults.loseCallbacks,
  ];
  if (!probabilities.every((p) => Number.isFinite(p) && p >= 0 && p <= 1)) {
    return 'probabilities are between 0 and 1';
  }
  if (!Number.isInteger(faults.lateCallbackMs) || faults.lateCallbackMs < 0) {
    return 'lateCallbackMs is a whole number of milliseconds';
  }
  if (faults.lateCallbackMs > LATE_CALLBACK_MS_MAX) return 'lateCallbackMs is at most an hour';
  if (!Number.isInteger(faults.seed) || faults.seed < 0 || faults.seed > 0xffff_ffff) {
    return 'the seed is a 32-bit unsigned integer';
  }
  return undefined;
}

/** A generator of numbers in [0, 1). */
export type Random = () => number;

/**
 * Mulberry32: a tiny generator with a 32-bit state. It is not for secrets, only for repeatable
 * fault draws.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export interface DeliveryPlan {
  readonly lost: boolean;
  readonly copies: 1 | 2;
  readonly extraDelayMs: number;
}

/**
 * Decides the faults of one callback. It always draws three numbers, whatever the settings, so
 * that changing one probability does not shift the draws of the others.
 */
export function planDelivery(faults: FaultSettings, random: Random): DeliveryPlan {
  const lose = random() < faults.loseCallbacks;
  const duplicate = random() < faults.duplicateCallbacks;
  const late = random() < faults.lateCallbacks;
  return {
    lost: lose,
    copies: duplicate ? 2 : 1,
    extraDelayMs: late ? faults.lateCallbackMs : 0,
  };
}

/** Decides, once per movement, whether its events are delivered newest first. */
export function planReorder(faults: FaultSettings, random: Random): boolean {
  return random() < faults.reorderCallbacks;
}
