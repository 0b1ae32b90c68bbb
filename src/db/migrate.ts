import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Executor, Pool } from './pool.js';

export const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** An arbitrary constant; every Hebao process that migrates takes this lock first. */
const MIGRATION_LOCK_KEY = 7_244_218_001;

export interface Migration {
  readonly version: string;
  readonly sql: string;
  readonly checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export async function loadMigrations(dir: string = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      if (!/^[0-9]{4}_[a-z0-9_]+\.sql$/.test(file)) {
        throw new MigrationError(`migration file name ${file} must look like 0001_name.sql`);
      }
      const sql = await readFile(`${dir}/${file}`, 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      return { version: file.replace(/\.sql$/, ''), sql, checksum };
    }),
  );
}

/**
 * Applies the forward-only migrations that are not applied yet, each in its own transaction,
 * under an advisory lock so that several processes starting at once apply each exactly once.
 * A migration that was applied and then edited is refused: the database no longer matches
 * the file, and only a new migration may change it.
 */
export async function migrate(pool: Pool, dir: string = migrationsDir): Promise<string[]> {
  const migrations = await loadMigrations(dir);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const applied = await appliedMigrations(client);
    const known = new Set(migrations.map((m) => m.version));
    for (const version of applied.keys()) {
      if (!known.has(version)) {
        throw new MigrationError(
          `migration ${version} is applied in the database but its file is missing`,
        );
      }
    }
    const done: string[] = [];
    for (const m of migrations) {
      const checksum = applied.get(m.version);
      if (checksum !== undefined) {
        if (checksum !== m.checksum) {
          throw new MigrationError(
            `migration ${m.version} was edited after it was applied (checksum ${checksum.slice(0, 12)} in the database, ${m.checksum.slice(0, 12)} on disk); migrations are forward-only: restore the file and add a new migration`,
          );
        }
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)', [
          m.version,
          m.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${m.version} failed: ${(error as Error).message}`);
      }
      done.push(m.version);
    }
    return done;
  } finally {
    await client
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    client.release();
  }
}

/** Applied migrations: version → checksum. */
async function appliedMigrations(ex: Executor): Promise<Map<string, string>> {
  const { rows } = await ex.query<{ version: string; checksum: string }>(
    'SELECT version, checksum FROM schema_migrations',
  );
  return new Map(rows.map((r) => [r.version, r.checksum]));
}

/**
 * True when every migration on disk is applied with the same checksum (for /readyz). Throws
 * when the database cannot be asked.
 */
export async function migrationsApplied(
  ex: Executor,
  migrations: readonly Migration[],
): Promise<boolean> {
  const applied = await appliedMigrations(ex);
  return migrations.every((m) => applied.get(m.version) === m.checksum);
}
