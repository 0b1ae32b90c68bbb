import pg from 'pg';
import { limits } from '../limits.js';

/**
 * Anything that runs SQL: the pool, or one client inside a transaction. A query is text with
 * values, or a config with a `name`, which makes it a prepared statement on each connection.
 */
export interface Executor {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    config: NamedQuery,
  ): Promise<pg.QueryResult<R>>;
}

export interface NamedQuery {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;

/**
 * int8 is parsed to `bigint` here, once, for every connection the project makes. The parsers are
 * set on the pool rather than globally so that nothing else in the process is affected.
 */
const bigintTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => BigInt(value);
    if (oid === INT8_ARRAY_OID) {
      // 1009 is text[]: its parser splits the array literal, and each element becomes a bigint.
      const parseArray = (
        pg.types.getTypeParser as (
          oid: number,
          format: 'text',
        ) => (v: string) => Array<string | null>
      )(1009, 'text');
      return (value: string) => parseArray(value).map((v) => (v === null ? null : BigInt(v)));
    }
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export interface PoolOptions {
  readonly max?: number;
  readonly applicationName?: string;
  readonly onError?: (error: Error) => void;
}

export function createPool(connectionString: string, options: PoolOptions = {}): Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? limits.poolSizeMax,
    types: bigintTypes,
    application_name: options.applicationName ?? 'hebao',
    statement_timeout: limits.statementTimeoutMs,
  });
  // An idle client can lose its server (a restart, an administrator's termination); the pool
  // drops it and the next query opens a new one. Without a listener this would crash the process.
  pool.on('error', (error) => options.onError?.(error));
  return pool;
}

/** Runs `work` in one transaction on one client; commits if it resolves, rolls back if it throws. */
export async function withTransaction<T>(
  pool: Pool,
  work: (tx: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** PostgreSQL's SQLSTATE of a driver error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const SQLSTATE = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;
