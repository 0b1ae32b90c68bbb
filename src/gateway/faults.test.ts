import { describe, expect, it } from 'vitest';
import {
  faultSettingsProblem,
  noFaults,
  planDelivery,
  planReorder,
  seededRandom,
  type FaultSettings,
} from './faults.js';

describe('seededRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('stays in [0, 1) and spreads over it', () => {
    const random = seededRandom(7);
    const values = Array.from({ length: 10_000 }, () => random());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('planDelivery', () => {
  it('injects nothing without faults', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 100; i++) {
      expect(planDelivery(noFaults, random)).toEqual({ lost: false, copies: 1, extraDelayMs: 0 });
    }
  });

  it('always injects a fault whose probability is 1', () => {
    const all: FaultSettings = {
      ...noFaults,
      duplicateCallbacks: 1,
      lateCallbacks: 1,
      lateCallbackMs: 250,
      loseCallbacks: 1,
    };
    expect(planDelivery(all, seededRandom(9))).toEqual({
      lost: true,
      copies: 2,
      extraDelayMs: 250,
    });
    expect(planReorder({ ...noFaults, reorderCallbacks: 1 }, seededRandom(9))).toBe(true);
    expect(planReorder(noFaults, seededRandom(9))).toBe(false);
  });

  it('draws the same faults for the same seed, in proportion to the probability', () => {
    const half: FaultSettings = { ...noFaults, duplicateCallbacks: 0.5, seed: 1234 };
    const run = () => {
      const random = seededRandom(half.seed);
      return Array.from({ length: 1000 }, () => planDelivery(half, random).copies);
    };
    const first = run();
    expect(run()).toEqual(first);
    const twice = first.filter((copies) => copies === 2).length;
    expect(twice).toBeGreaterThan(400);
    expect(twice).toBeLessThan(600);
  });

  it('keeps the other draws when one probability changes', () => {
    const lateOnly: FaultSettings = { ...noFaults, lateCallbacks: 0.5, lateCallbackMs: 10 };
    const lateAndLost: FaultSettings = { ...lateOnly, loseCallbacks: 0.5 };
    const delays = (faults: FaultSettings) => {
      const random = seededRandom(5);
      return Array.from({ length: 50 }, () => planDelivery(faults, random).extraDelayMs);
    };
    expect(delays(lateAndLost)).toEqual(delays(lateOnly));
  });
});

describe('faultSettingsProblem', () => {
  it('accepts the defaults and valid settings', () => {
    expect(faultSettingsProblem(noFaults)).toBeUndefined();
    expect(
      faultSettingsProblem({ ...noFaults, loseCallbacks: 1, lateCallbackMs: 3_600_000, seed: 0 }),
    ).toBeUndefined();
  });

  it.each<[string, Partial<FaultSettings>]>([
    ['a probability above 1', { duplicateCallbacks: 1.5 }],
    ['a negative probability', { loseCallbacks: -0.1 }],
    ['NaN', { reorderCallbacks: Number.NaN }],
    ['a fractional delay', { lateCallbackMs: 1.5 }],
    ['a delay over an hour', { lateCallbackMs: 3_600_001 }],
    ['a negative seed', { seed: -1 }],
    ['a seed over 32 bits', { seed: 2 ** 32 }],
  ])('rejects %s', (_what, change) => {
    expect(faultSettingsProblem({ ...noFaults, ...change })).toBeTypeOf('string');
  });
});
