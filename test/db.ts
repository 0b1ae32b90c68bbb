import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { createPool, type Pool } from '../src/db/index.js';

export interface TestDatabase {
  readonly pool: Pool;
  readonly url: string;
  /** Opens another pool on the same database (another "process"). */
  newPool(max?: number): Pool;
}

/**
 * A fresh database for the calling test file, cloned from the migrated template, dropped when the
 * file's tests are done.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `hebao_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pools: Pool[] = [];
  const newPool = (max = 20) => {
    const pool = createPool(url.toString(), { max });
    pools.push(pool);
    return pool;
  };
  const pool = newPool();
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  });
  return { pool, url: url.toString(), newPool };
}
