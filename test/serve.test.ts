/**
 * The process as `npm start` runs it: a runtime over a real database, the API listening on a
 * port, the workers expiring holds and sealing; and the `hebao verify` command's exit codes.
 */
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openRuntime, type Runtime } from '../src/cli/runtime.js';
import { seedDemo } from '../src/cli/demo.js';
import { serve, type Server } from '../src/cli/serve.js';
import { verifyLedger } from '../src/ledger/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { transferId, walletAndFunding } from './ledger-fixtures.js';

const run = promisify(execFile);
let db: TestDatabase;
let runtime: Runtime;
let server: Server;

beforeAll(async () => {
  db = await createTestDatabase();
  // The sandbox bank calls the API back at its public URL, so the port is chosen up front.
  const port = await freePort();
  runtime = await openRuntime(
    loadConfig({
      DATABASE_URL: db.url,
      PORT: String(port),
      HEBAO_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'silent',
      HEBAO_SEAL_INTERVAL_MS: '100',
      HEBAO_EXPIRY_INTERVAL_MS: '100',
    }),
  );
  server = await serve(runtime, { worker: true });
});

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

afterAll(async () => {
  await server.close();
  await runtime.close();
});

describe('hebao serve', () => {
  it('serves health, readiness, metrics, OpenAPI and docs over HTTP', async () => {
    const base = server.urls.Health!.replace('/healthz', '');
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(
      'process_cpu_user_seconds_total',
    );
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string };
    expect(openapi.openapi).toMatch(/^3\.1/);
    expect((await fetch(`${base}/docs`)).status).toBe(200);
    const missing = await fetch(`${base}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });

  it('runs the workers: holds expire and transfers get sealed', async () => {
    const { wallet, funding } = await walletAndFunding(runtime.ledger);
    const hold = transferId();
    const [fund, held] = await runtime.ledger.submit([
      {
        id: transferId(),
        debitAccountId: funding,
        creditAccountId: wallet,
        amountMinor: 500n,
        currency: 'CNY',
        code: 'topup',
      },
      {
        id: hold,
        debitAccountId: wallet,
        creditAccountId: funding,
        amountMinor: 100n,
        currency: 'CNY',
        code: 'withdrawal',
        flags: { pending: true },
        timeoutSeconds: 1,
      },
    ]);
    expect([fund!.code, held!.code]).toEqual(['ok', 'ok']);
    await expect
      .poll(async () => (await runtime.ledger.getAccounts([wallet]))[0]!.debitsPending, {
        timeout: 10_000,
      })
      .toBe(0n);
    await expect
      .poll(async () => (await runtime.sealer.proveInclusion(hold)) !== undefined, {
        timeout: 10_000,
      })
      .toBe(true);
  });
});

describe('demo data', () => {
  it('seeds users topped up through the sandbox bank, a transfer, and a merchant paid once', async () => {
    const first = await seedDemo(runtime);
    expect(first.logins).toHaveLength(3);
    expect(first.merchant.apiKey).toMatch(/^sk_test_/);
    const lilei = (await runtime.identity.identity.findUser(first.logins[0]!.login))!;
    const balances = await runtime.wallet.balances(lilei.id);
    // 1,000.00 topped up, 25.00 to Han Meimei, 32.00 at the demo merchant.
    expect(balances).toEqual([
      expect.objectContaining({ currency: 'CNY', availableMinor: 943_00n }),
    ]);
    const page = await runtime.payments.listIntents(first.merchant.id, {
      limit: 10,
      startingAfter: undefined,
    });
    expect(page.data.map((i) => i.status)).toEqual(['succeeded']);
    // Seeding again reuses the users and the merchant.
    const again = await seedDemo(runtime);
    expect(again.merchant).toEqual({ ...first.merchant, apiKey: undefined });
    expect((await verifyLedger(runtime.pool)).ok).toBe(true);
  });
});

describe('hebao verify', () => {
  const hebao = (env: Record<string, string>) =>
    run('node', ['--import', 'tsx', 'src/cli/main.ts', 'verify'], {
      env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
    });

  it('exits 0 when every invariant holds, 1 with the row when one does not', async () => {
    const ok = await hebao({ DATABASE_URL: db.url });
    expect(ok.stdout).toContain('ledger verified');
    const { wallet } = await walletAndFunding(runtime.ledger);
    const client = await db.pool.connect();
    await client.query(
      `UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = $1`,
      [wallet],
    );
    client.release();
    const failed = await hebao({ DATABASE_URL: db.url }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain(wallet);
  });

  it.each([
    [{ PORT: 'x' }, 'PORT="x" is not allowed'],
    [
      { HEBAO_SEAL_SIGNING_KEY: 'not-a-key' },
      'HEBAO_SEAL_SIGNING_KEY is not an Ed25519 private key',
    ],
  ])('exits 2 with a clear message on bad configuration: %j', async (env, message) => {
    const failed = await hebao({ DATABASE_URL: db.url, ...env }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain(message);
  });
});

describe('hebao grant-operator and the audit chain', () => {
  const hebao = (url: string, args: string[]) =>
    run('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' },
    });
  const failure = (error: { code: number; stdout: string; stderr: string }) => error;

  it('grants a role, and verify catches a tampered audit entry by its id', async () => {
    const own = await createTestDatabase();
    await own.pool.query(
      `INSERT INTO users (id, phone, password_hash, password_changed_at, display_name, locale,
         created_at, updated_at)
       VALUES ('usr_01JD3Z8W6Q2X4T9V5N7M3K1H0G', '+8613800000000', 'x', now(), 'Op', 'en', now(), now())`,
    );
    const granted = await hebao(own.url, ['grant-operator', '13800000000', 'compliance']);
    expect(granted.stdout).toContain('is now a compliance operator');
    const unknown = await hebao(own.url, ['grant-operator', '13900000000', 'admin']).catch(failure);
    expect(unknown).toMatchObject({ code: 1 });
    const usage = await hebao(own.url, ['grant-operator', '13800000000', 'king']).catch(failure);
    expect(usage).toMatchObject({ code: 2 });

    const ok = await hebao(own.url, ['verify']);
    expect(ok.stdout).toContain('audit chain holds');
    const { rows } = await own.pool.query<{ id: string }>('SELECT id FROM audit_log');
    expect(rows).toHaveLength(1);
    const client = await own.pool.connect();
    await client.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    await client.query(`UPDATE audit_log SET detail = '{"role": "admin"}'`);
    client.release();
    const tampered = await hebao(own.url, ['verify']).catch(failure);
    expect(tampered).toMatchObject({ code: 1 });
    expect((tampered as { stderr: string }).stderr).toContain(rows[0]!.id);
  });
});
