/**
 * `npm run bench -- <name>`: benchmarks that print their figures. They run against a durable
 * PostgreSQL (`synchronous_commit` on, as shipped): `DATABASE_URL` if set (a database the
 * benchmark may fill), otherwise a fresh embedded one in a temporary folder.
 */
import { cpus, totalmem } from 'node:os';
import { createPool, migrate, startTemporaryPostgres, type Pool } from '../src/db/index.js';
import { runLedgerBench } from './ledger.js';
import { runP2pBench } from './p2p.js';
import { runPgbench } from './pgbench.js';
import { runQrBench } from './qr.js';

export interface BenchDatabase {
  readonly pool: Pool;
  /** Where the pool connects, for benchmarks that run their own client (pgbench). */
  readonly url: string;
}

const benches: Record<string, (database: BenchDatabase) => Promise<void>> = {
  ledger: (database) => runLedgerBench(database.pool),
  pgbench: runPgbench,
  p2p: runP2pBench,
  qr: runQrBench,
};

export async function main(args: readonly string[]): Promise<number> {
  const names = args.length > 0 ? args : Object.keys(benches);
  const unknown = names.filter((n) => !(n in benches));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(benches).join(', ')}`,
    );
    return 2;
  }
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  const database = await openBenchDatabase();
  try {
    const { rows } = await database.pool.query<{ v: string; sc: string }>(
      "SELECT version() AS v, current_setting('synchronous_commit') AS sc",
    );
    console.log(`database: ${rows[0]!.v.split(',')[0]}; synchronous_commit=${rows[0]!.sc}`);
    for (const name of names) await benches[name]!(database);
  } finally {
    await database.close();
  }
  return 0;
}

async function openBenchDatabase(): Promise<BenchDatabase & { close: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const pool = createPool(url, { max: 16 });
    await migrate(pool);
    return { pool, url, close: () => pool.end() };
  }
  const db = await startTemporaryPostgres({ prefix: 'hebao-bench-', durable: true });
  const pool = createPool(db.adminUrl, { max: 16 });
  await migrate(pool);
  return {
    pool,
    url: db.adminUrl,
    close: async () => {
      await pool.end();
      await db.stop();
    },
  };
}
