import { performance } from 'node:perf_hooks';
import type { Pool } from '../src/db/index.js';
import { systemClock } from '../src/lib/clock.js';
import { newId } from '../src/lib/ids.js';
import { createLedger, type Ledger, type TransferCommand } from '../src/ledger/index.js';

const ACCOUNTS = 10_000;
const BATCH = 1000;
const BATCHES = 60;
const CALLERS = 256;
const SINGLES_PER_CALLER = 100;

/**
 * (a) batches of 1,000 transfers uniform over 10,000 accounts; (b) the same with every transfer
 * crediting one hot account; (c) single transfers from 256 concurrent callers through the
 * group-commit batcher, with latency percentiles.
 */
export async function runLedgerBench(pool: Pool): Promise<void> {
  const ledger = createLedger({ pool, clock: systemClock });
  const accounts = await createAccounts(ledger, ACCOUNTS);
  const hot = (await createAccounts(ledger, 1))[0]!;
  const fund = (i: number) =>
    transfer(accounts[i % ACCOUNTS]!, accounts[(i * 7919 + 1) % ACCOUNTS]!);
  await ledger.submit(Array.from({ length: BATCH }, (_, i) => fund(i))); // warm-up

  const uniform = await timeBatches(ledger, () => randomBatch(accounts));
  print('(a) batches of 1,000, uniform over 10,000 accounts', uniform);
  const hotBatches = await timeBatches(ledger, () => randomBatch(accounts, hot));
  print('(b) batches of 1,000, every transfer credits one hot account', hotBatches);
  await timeSingles(ledger, accounts, 10); // warm-up: every pool connection prepares its statements
  const singles = await timeSingles(ledger, accounts, SINGLES_PER_CALLER);
  print(`(c) single transfers from ${CALLERS} concurrent callers through the batcher`, singles);
}

interface Figures {
  readonly transfers: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
}

function print(title: string, f: Figures): void {
  const sorted = [...f.latenciesMs].sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1);
  console.log(
    `${title}\n  ${Math.round(f.transfers / f.seconds).toLocaleString('en')} transfers/s (${f.transfers} in ${f.seconds.toFixed(2)} s); latency p50 ${pct(50)} ms, p99 ${pct(99)} ms`,
  );
}

async function createAccounts(ledger: Ledger, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => newId('acc', Date.now()));
  for (let i = 0; i < ids.length; i += 5000) {
    const results = await ledger.createAccounts(
      ids.slice(i, i + 5000).map((id) => ({ id, currency: 'CNY', code: 'bench', owner: 'bench' })),
    );
    if (results.some((r) => r.code !== 'ok')) throw new Error('account creation failed');
  }
  return ids;
}

function transfer(debit: string, credit: string): TransferCommand {
  return {
    id: newId('trf', Date.now()),
    debitAccountId: debit,
    creditAccountId: credit,
    amountMinor: 1n,
    currency: 'CNY',
    code: 'bench',
  };
}

function randomBatch(accounts: readonly string[], creditTo?: string): TransferCommand[] {
  return Array.from({ length: BATCH }, () => {
    const debit = accounts[Math.floor(Math.random() * accounts.length)]!;
    let credit = creditTo ?? accounts[Math.floor(Math.random() * accounts.length)]!;
    if (credit === debit) credit = accounts[(accounts.indexOf(debit) + 1) % accounts.length]!;
    return transfer(debit, credit);
  });
}

/** Two submitters, so that one batch's planning overlaps the other's commit. */
async function timeBatches(ledger: Ledger, make: () => TransferCommand[]): Promise<Figures> {
  const latenciesMs: number[] = [];
  let next = 0;
  const start = performance.now();
  const submitter = async () => {
    while (next++ < BATCHES) {
      const batch = make();
      const t = performance.now();
      const results = await ledger.submit(batch);
      latenciesMs.push(performance.now() - t);
      if (results.some((r) => r.code !== 'ok'))
        throw new Error(`bench transfer failed: ${results.find((r) => r.code !== 'ok')!.code}`);
    }
  };
  await Promise.all([submitter(), submitter()]);
  return { transfers: BATCHES * BATCH, seconds: (performance.now() - start) / 1000, latenciesMs };
}

async function timeSingles(
  ledger: Ledger,
  accounts: readonly string[],
  perCaller: number,
): Promise<Figures> {
  const latenciesMs: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, caller) => {
      for (let i = 0; i < perCaller; i++) {
        const debit = accounts[(caller * 31 + i * 17) % accounts.length]!;
        const credit = accounts[(caller * 57 + i * 13 + 1) % accounts.length]!;
        const t = performance.now();
        const result = await ledger.transfer(
          transfer(debit, credit === debit ? accounts[0]! : credit),
        );
        latenciesMs.push(performance.now() - t);
        if (result.code !== 'ok') throw new Error(`bench transfer failed: ${result.code}`);
      }
    }),
  );
  return {
    transfers: CALLERS * SINGLES_PER_CALLER,
    seconds: (performance.now() - start) / 1000,
    latenciesMs,
  };
}
