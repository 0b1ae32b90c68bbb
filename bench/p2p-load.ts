/**
 * The load generator of `npm run bench -- p2p` and `-- qr`, in a process of its own so that
 * making requests does not take CPU from the server's event loop in the same process. It
 * receives the URL, the users' tokens and the run's shape over IPC, keeps `concurrency`
 * requests in flight for `durationMs`, and reports counts and latencies back.
 */
import { randomUUID } from 'node:crypto';

interface Job {
  readonly url: string;
  readonly users: ReadonlyArray<{ readonly id: string; readonly token: string }>;
  /** P2P: every payer pays this user (hot payee), or a random one when undefined. */
  readonly hotPayeeIndex: number | undefined;
  /** QR: payment intents to confirm, each once, in order; P2P transfers when undefined. */
  readonly intents?: readonly string[];
  readonly concurrency: number;
  readonly durationMs: number;
}

export interface LoadReport {
  readonly ok: number;
  readonly failed: number;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  readonly firstFailure: string | undefined;
}

async function run(job: Job): Promise<LoadReport> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const deadline = started + job.durationMs;
  const pick = () => Math.floor(Math.random() * job.users.length);
  let nextIntent = 0;
  const request = (payer: number): { path: string; body: unknown } | undefined => {
    if (job.intents !== undefined) {
      const intent = job.intents[nextIntent++];
      return intent === undefined
        ? undefined
        : { path: `/v1/payment-intents/${intent}/confirm`, body: {} };
    }
    let payee = job.hotPayeeIndex ?? pick();
    if (payee === payer) payee = (payer + 1) % job.users.length;
    return {
      path: '/v1/transfers',
      body: {
        recipient: job.users[payee]!.id,
        amount: { amount: '0.01', currency: 'CNY' },
        confirm_new_payee: true,
      },
    };
  };
  const worker = async () => {
    while (performance.now() < deadline) {
      const payer = pick();
      const next = request(payer);
      if (next === undefined) return;
      const t0 = performance.now();
      const response = await fetch(`${job.url}${next.path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${job.users[payer]!.token}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify(next.body),
      });
      const body = await response.text();
      latencies.push(performance.now() - t0);
      if (response.status === 200 || response.status === 201) ok += 1;
      else {
        failed += 1;
        firstFailure ??= `${response.status} ${body.slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  return {
    ok,
    failed,
    elapsedMs: performance.now() - started,
    latenciesMs: latencies,
    firstFailure,
  };
}

process.on('message', (job: Job) => {
  void run(job).then((report) => {
    process.send?.(report);
    process.disconnect?.();
  });
});
