/**
 * Waits `ms`, or less when `signal` aborts; never rejects. Returns whether the whole wait passed,
 * so that work scheduled on a closing bank can stop.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal === undefined) return new Promise((resolve) => setTimeout(() => resolve(true), ms));
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
