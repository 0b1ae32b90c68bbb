/**
 * One Hebao for the whole browser test run, started the way `npm start` starts it: builds the web
 * apps (unless `HEBAO_E2E_SKIP_BUILD=1`), then runs `hebao serve` on a free port with an embedded
 * PostgreSQL in a temporary directory, which seeds the demo data on its first start. The tests get
 * the URL and the demo merchant's API key (printed once, at seeding); the server's output goes to
 * `test-results/e2e-server.log`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the wallet is (`/`) and the merchant portal (`/merchant/`), without a slash. */
    baseUrl: string;
    demoMerchant: { readonly id: string; readonly name: string; readonly apiKey: string };
  }
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 30_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.HEBAO_E2E_SKIP_BUILD !== '1') {
    // The runner sets NODE_ENV=test, which would bundle React's development build: test what ships.
    execFileSync('npm', ['run', 'build'], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    });
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'hebao-e2e-'));
  const port = await freePort();
  // The sandbox bank calls the API back at its public URL, so the port is chosen up front.
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HEBAO_ENV: 'development',
    HEBAO_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    HEBAO_PUBLIC_URL: baseUrl,
    LOG_LEVEL: 'warn',
    // Many sign-ups and sign-ins from one address in a few minutes.
    HEBAO_RATE_LIMIT_PER_MINUTE: '100000',
  };
  delete env.DATABASE_URL;
  delete env.HEBAO_GATEWAY_URL;
  const server = spawn(process.execPath, ['bin/hebao.js', 'serve'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async (): Promise<void> => {
    await stopProcess(server);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const output = await started(server);
    project.provide('baseUrl', baseUrl);
    project.provide('demoMerchant', demoMerchant(output));
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}

/** Resolves with the server's output once it says it is ready (demo data seeded). */
function started(server: ChildProcess): Promise<string> {
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  const log = createWriteStream(join(ROOT, 'test-results/e2e-server.log'));
  let output = '';
  let ready = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`hebao serve did not start in time:\n${output}`)),
      START_TIMEOUT_MS,
    );
    // Everything goes to the log file; only the start is kept in memory, to read from.
    const take = (chunk: Buffer): void => {
      log.write(chunk);
      if (ready) return;
      output += chunk.toString('utf8');
      if (output.includes('Press Ctrl+C to stop.')) {
        ready = true;
        clearTimeout(timer);
        resolve(output);
      }
    };
    server.stdout?.on('data', take);
    server.stderr?.on('data', take);
    server.once('exit', (code) => {
      clearTimeout(timer);
      log.end();
      if (!ready) reject(new Error(`hebao serve exited with ${code}:\n${output}`));
    });
  });
}

/** The demo merchant as `hebao serve` prints it on its first start. */
function demoMerchant(output: string): { id: string; name: string; apiKey: string } {
  const merchant = /Demo merchant: (.+) \((mch_\w+)\)/.exec(output);
  const key = /API key \(shown only now\): (sk_test_\S+)/.exec(output);
  if (merchant === null || key === null) {
    throw new Error(`hebao serve printed no demo merchant:\n${output}`);
  }
  return { name: merchant[1] ?? '', id: merchant[2] ?? '', apiKey: key[1] ?? '' };
}

/** SIGTERM, and SIGKILL if it has not exited after a while. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
