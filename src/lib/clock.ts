/** The one source of time for services; tests pass a clock they can move. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export function manualClock(startMs: number): Clock & { advanceMs(ms: number): void } {
  let now = startMs;
  return {
    nowMs: () => now,
    advanceMs: (ms: number) => {
      now += ms;
    },
  };
}
