/**
 * Background jobs, run in the API process by default (`hebao serve`) or alone (`hebao worker`).
 * Each job runs on its own interval, never overlapping itself; a failed pass is logged and the
 * next pass tries again. `stop()` waits for running passes to finish.
 */
export interface Job {
  readonly name: string;
  readonly intervalMs: number;
  readonly run: () => Promise<number>;
}

export interface WorkerLog {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface Workers {
  stop(): Promise<void>;
}

export function startWorkers(jobs: readonly Job[], log: WorkerLog): Workers {
  let stopped = false;
  const running = jobs.map(async (job) => {
    while (!stopped) {
      try {
        const done = await job.run();
        if (done > 0) log.info({ job: job.name, done }, `${job.name} pass`);
      } catch (error) {
        log.error({ job: job.name, err: error }, `${job.name} pass failed`);
      }
      await sleepUnlessStopped(job.intervalMs, () => stopped);
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(running);
    },
  };
}

async function sleepUnlessStopped(ms: number, isStopped: () => boolean): Promise<void> {
  const step = 50;
  for (let waited = 0; waited < ms && !isStopped(); waited += step) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(step, ms - waited)));
  }
}
