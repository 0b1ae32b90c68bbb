export { createPool, withTransaction, sqlState, SQLSTATE } from './pool.js';
export type { Executor, NamedQuery, Pool, PoolClient, PoolOptions } from './pool.js';
export {
  migrate,
  migrationsApplied,
  loadMigrations,
  MigrationError,
  migrationsDir,
} from './migrate.js';
export type { Migration } from './migrate.js';
export { startEmbeddedPostgres, startTemporaryPostgres } from './embedded.js';
export type { EmbeddedDatabase, EmbeddedOptions } from './embedded.js';
