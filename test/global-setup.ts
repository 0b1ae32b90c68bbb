/**
 * One embedded PostgreSQL for the whole test run, with a migrated template database that each
 * test file clones (see `test/db.ts`), so files run in parallel on databases of their own and
 * `npm test` needs nothing installed beyond `npm install`. `DATABASE_URL`, when set, names a
 * server to use instead (its user must be allowed to create databases).
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createPool, migrate, startTemporaryPostgres } from '../src/db/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

const TEMPLATE = 'hebao_test_template';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl = process.env.DATABASE_URL;
  let stop = async () => undefined as void;
  if (!adminUrl) {
    const db = await startTemporaryPostgres({ prefix: 'hebao-test-', durable: false });
    adminUrl = db.adminUrl;
    stop = db.stop;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  const pool = createPool(templateUrl.toString(), { max: 1 });
  await migrate(pool);
  await pool.end();
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', TEMPLATE);
  return stop;
}
