import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { openRuntime } from '../src/cli/runtime.js';
import { serve } from '../src/cli/serve.js';
import { newId } from '../src/lib/ids.js';
import { ensureSystemAccount, ensureWalletAccount } from '../src/wallet/index.js';
import type { BenchDatabase } from './main.js';
import type { LoadReport } from './p2p-load.js';
import { measurePgbench } from './pgbench.js';

/**
 * `npm run bench -- p2p`: signed-in users paying each other over HTTP on loopback, through the
 * whole production stack (sessions, rate limits, Idempotency-Key, step-up with the low-value
 * exemption, payment limits, the risk hook, the ledger), with durable commits. Two runs: 10,000
 * users paying each other uniformly, then 10,000 payers paying one payee. pgbench (TPC-B, 8
 * clients) on the same server gives the scale.
 *
 * Bench configuration (documented in bench/README.md): the exemption allows 1,000 payments a
 * day per user, the tiers' payment limits are raised, and the rate limit is lifted, so that the
 * run measures the payment path and not the product's caps.
 */
const USERS = 10_000;
const CONCURRENCY = 64;
const DURATION_MS = 20_000;
const BALANCE_MINOR = 1_000_000n;

/** A runtime with the bench configuration (see the module comment and bench/README.md). */
export async function openBenchRuntime(database: BenchDatabase) {
  const rt = await openRuntime(
    loadConfig({
      DATABASE_URL: database.url,
      LOG_LEVEL: 'silent',
      PORT: '1',
      HEBAO_STEP_UP_EXEMPT_DAILY_COUNT: '1000',
      HEBAO_RATE_LIMIT_PER_MINUTE: '1000000',
      HEBAO_GATEWAY_URL: 'http://127.0.0.1:9',
    }),
  );
  await rt.pool.query(
    `UPDATE payment_limits SET per_transaction_minor = 1e15, daily_minor = 1e15, period_minor = 1e15`,
  );
  return rt;
}

export async function runP2pBench(database: BenchDatabase): Promise<void> {
  const rt = await openBenchRuntime(database);
  try {
    const started = performance.now();
    const users = await createUsers(rt);
    console.log(
      `p2p: ${USERS.toLocaleString('en')} signed-in users with funded wallets in ${Math.round((performance.now() - started) / 1000)} s`,
    );
    const server = await serve({ ...rt, config: { ...rt.config, port: 0 } }, { worker: false });
    try {
      const url = new URL(server.urls['Health']!).origin;
      const uniform = await load(url, users, undefined);
      report('p2p uniform: 10,000 users paying each other', uniform);
      const hot = await load(url, users, 0);
      report('p2p hot payee: 10,000 payers paying one payee', hot);
      const pg = await measurePgbench(database);
      if (pg !== undefined) {
        for (const [name, r] of [
          ['uniform', uniform],
          ['hot payee', hot],
        ] as const) {
          console.log(
            `  ${name}: ${(throughput(r) / pg.tps).toFixed(2)}× pgbench's transactions/s`,
          );
        }
      }
    } finally {
      await server.close();
    }
  } finally {
    await rt.close();
  }
}

export interface BenchUser {
  readonly id: string;
  readonly token: string;
}

/** How many sets of bench users this process has made: each set gets phones of its own. */
let userSets = 0;

/** Users, devices, sessions and funded wallets, written in bulk straight to the tables. */
export async function createUsers(
  rt: Awaited<ReturnType<typeof openRuntime>>,
): Promise<BenchUser[]> {
  const now = new Date(rt.clock.nowMs());
  const users: Array<BenchUser & { createdAt: Date }> = [];
  const rows: Array<[string, string, string, string, Buffer, Buffer]> = [];
  const set = userSets++;
  for (let i = 0; i < USERS; i++) {
    const id = newId('usr', now.getTime());
    const token = `hbs_${randomBytes(32).toString('base64url')}`;
    users.push({ id, token, createdAt: now });
    rows.push([
      id,
      `+861${3 + set}${String(i).padStart(9, '0')}`,
      newId('dev', now.getTime()),
      newId('ses', now.getTime()),
      createHash('sha256').update(token).digest(),
      createHash('sha256').update(`device-${id}`).digest(),
    ]);
  }
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    const column = (k: number) => chunk.map((r) => r[k]);
    await rt.pool.query(
      `WITH u AS (
         INSERT INTO users (id, phone, contact_verified_at, password_hash, password_changed_at,
           display_name, locale, created_at, updated_at)
         SELECT id, phone, $7, 'bench', $7, 'Bench user', 'en', $7, $7
           FROM unnest($1::text[], $2::text[]) AS t(id, phone) RETURNING id),
       d AS (
         INSERT INTO devices (id, user_id, token_hash, name, user_agent, last_ip, created_at, last_seen_at)
         SELECT dev, id, dth, 'bench', 'bench', '127.0.0.1', $7, $7
           FROM unnest($1::text[], $3::text[], $6::bytea[]) AS t(id, dev, dth) RETURNING id)
       INSERT INTO sessions (id, user_id, device_id, token_hash, csrf_token, method, ip, user_agent,
         created_at, last_seen_at, expires_at)
       SELECT ses, id, dev, th, 'bench', 'password', '127.0.0.1', 'bench', $7, $7, $7::timestamptz + interval '7 days'
         FROM unnest($1::text[], $3::text[], $4::text[], $5::bytea[]) AS t(id, dev, ses, th)
        WHERE EXISTS (SELECT 1 FROM u) AND EXISTS (SELECT 1 FROM d)`,
      [column(0), column(1), column(2), column(3), column(4), column(5), now],
    );
  }
  const clearing = await ensureSystemAccount(rt.ledger, 'bank_clearing', 'CNY');
  const accounts: string[] = [];
  for (const user of users) {
    accounts.push(await ensureWalletAccount(rt.pool, rt.ledger, user, 'CNY', now));
  }
  for (let i = 0; i < accounts.length; i += 1000) {
    const results = await rt.ledger.submit(
      accounts.slice(i, i + 1000).map((account) => ({
        id: newId('trf', now.getTime()),
        debitAccountId: clearing,
        creditAccountId: account,
        amountMinor: BALANCE_MINOR,
        currency: 'CNY',
        code: 'bench_funding',
      })),
    );
    if (results.some((r) => r.code !== 'ok')) throw new Error('bench funding failed');
  }
  return users.map(({ id, token }) => ({ id, token }));
}

export function load(
  url: string,
  users: readonly BenchUser[],
  hotPayeeIndex: number | undefined,
  intents?: readonly string[],
) {
  return new Promise<LoadReport>((resolve, reject) => {
    const child = fork(new URL('./p2p-load.ts', import.meta.url), {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
    });
    child.once('message', (message) => resolve(message as LoadReport));
    child.once('error', reject);
    child.send({
      url,
      users,
      hotPayeeIndex,
      intents,
      concurrency: CONCURRENCY,
      durationMs: DURATION_MS,
    });
  });
}

export function throughput(r: LoadReport): number {
  return r.ok / (r.elapsedMs / 1000);
}

export function report(name: string, r: LoadReport): void {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  console.log(
    `${name} (${CONCURRENCY} in flight, ${DURATION_MS / 1000} s)\n  ${Math.round(throughput(r)).toLocaleString('en')} payments/s; p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms; ${r.failed} failed${r.firstFailure === undefined ? '' : ` (first: ${r.firstFailure})`}`,
  );
}
