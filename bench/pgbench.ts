import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BenchDatabase } from './main.js';

const run = promisify(execFile);

/**
 * Plain `pgbench` (TPC-B: scale 8, 8 clients, 2 threads, 20 s) against the same server the other
 * benchmarks use, so that their figures come with a scale measured in the same run. It needs the
 * `pgbench` program (Debian: `apt-get install postgresql-client`); without it, it says so.
 */
export async function runPgbench(database: BenchDatabase): Promise<void> {
  await measurePgbench(database);
}

/** Runs pgbench and prints its figures; undefined when pgbench is not installed. */
export async function measurePgbench(
  database: BenchDatabase,
): Promise<{ readonly tps: number; readonly latencyMs: number } | undefined> {
  const url = new URL(database.url);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password) };
  const name = decodeURIComponent(url.pathname.slice(1)) || 'postgres';
  const connection = [
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username),
  ];
  try {
    await run('pgbench', [...connection, '-i', '-s', '8', '-q', name], { env });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      console.log('pgbench: not installed (Debian: apt-get install postgresql-client); skipped');
      return undefined;
    }
    throw error;
  }
  const { stdout } = await run('pgbench', [...connection, '-c', '8', '-j', '2', '-T', '20', name], {
    env,
  });
  const tps = /tps = ([0-9.]+)/.exec(stdout)?.[1];
  const latency = /latency average = ([0-9.]+) ms/.exec(stdout)?.[1];
  console.log(
    `pgbench TPC-B (scale 8, 8 clients, 2 threads, 20 s, same server)\n  ${Math.round(Number(tps)).toLocaleString('en')} transactions/s; latency average ${latency} ms`,
  );
  return { tps: Number(tps), latencyMs: Number(latency) };
}
