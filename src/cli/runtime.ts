/**
 * The imperative shell of a Hebao process: opens the database (an embedded PostgreSQL when
 * `DATABASE_URL` is unset), migrates it, and builds the services over it. Every command of the
 * CLI starts here, so they all see the same database the same way.
 */
import pg from 'pg';
import pino, { type Logger } from 'pino';
import type { Config } from '../config.js';
import { createPool, migrate, sqlState, startEmbeddedPostgres, type Pool } from '../db/index.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { assertLimits } from '../limits.js';
import {
  createLedger,
  createSealer,
  parseSigningKey,
  type Ledger,
  type Sealer,
} from '../ledger/index.js';

const DATABASE = 'hebao';

export interface Runtime {
  readonly config: Config;
  readonly log: Logger;
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly sealer: Sealer;
  /** Where the database is, for printing (the password is not shown). */
  readonly databaseLabel: string;
  close(): Promise<void>;
}

export async function openRuntime(
  config: Config,
  options: { readonly migrate?: boolean } = {},
): Promise<Runtime> {
  assertLimits();
  const log = pino({ level: config.logLevel, base: { service: 'hebao' } });
  const database = await openDatabase(config, log);
  const pool = createPool(database.url, {
    onError: (error) => {
      // 57P01: the server is shutting down (Ctrl+C in a terminal reaches the embedded
      // PostgreSQL too, and it stops at once); expected, so not worth a warning.
      const level = sqlState(error) === '57P01' ? 'debug' : 'warn';
      log[level](
        { code: sqlState(error), reason: error.message },
        'idle database connection closed',
      );
    },
  });
  try {
    if (options.migrate !== false) {
      const applied = await migrate(pool);
      if (applied.length > 0) log.info({ applied }, 'migrations applied');
    }
  } catch (error) {
    await pool.end();
    await database.stop();
    throw error;
  }
  const clock = systemClock;
  const signingKey =
    config.sealSigningKey === undefined ? undefined : parseSigningKey(config.sealSigningKey);
  return {
    config,
    log,
    pool,
    clock,
    ledger: createLedger({ pool, clock }),
    sealer: createSealer({ pool, clock, signingKey }),
    databaseLabel: database.label,
    close: async () => {
      await pool.end();
      await database.stop();
    },
  };
}

async function openDatabase(
  config: Config,
  log: Logger,
): Promise<{ url: string; label: string; stop: () => Promise<void> }> {
  if (config.databaseUrl !== undefined) {
    const url = new URL(config.databaseUrl);
    return {
      url: config.databaseUrl,
      label: `${url.host}${url.pathname}`,
      stop: async () => undefined,
    };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    durable: true,
    log: (line) => log.debug({ postgres: line }, 'embedded postgres'),
  });
  try {
    await ensureDatabase(embedded.adminUrl, DATABASE);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return {
    url: embedded.urlFor(DATABASE),
    label: `embedded PostgreSQL on 127.0.0.1:${embedded.port}, data in ${config.dataDir}`,
    stop: () => embedded.stop(),
  };
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}
