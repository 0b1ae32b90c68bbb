import {
  sqlState,
  SQLSTATE,
  withTransaction,
  type Executor,
  type Pool,
  type PoolClient,
} from '../db/index.js';
import { assert } from '../lib/assert.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import { createBatcher, type Batcher } from './batcher.js';
import { planBatch, type ExpireCommand, type LedgerCommand } from './plan.js';
import { isSuccess, type AccountResultCode, type TransferResultCode } from './result-codes.js';
import * as sql from './sql.js';
import type {
  Account,
  AccountState,
  CreateAccountCommand,
  Transfer,
  TransferCommand,
} from './types.js';
import { isAccountId, validateCreateAccount } from './validate.js';

export interface TransferResult {
  readonly id: string;
  readonly code: TransferResultCode;
  /** The committed transfer, for `ok` and `exists`. */
  readonly transfer?: Transfer;
}

export interface AccountResult {
  readonly id: string;
  readonly code: AccountResultCode;
}

/**
 * A domain write that belongs to a money movement (an order marked paid, an outbox event). It
 * runs in the transfer's own database transaction, after the ledger's writes, only when its
 * command's result is `ok`. It must not fail for business reasons: check those before
 * submitting. If it throws anyway, the batch is rolled back and its commands are retried one by
 * one, so only the command whose write failed fails. A write can therefore run more than once;
 * only its effects in `tx` count, and those commit exactly once, with the transfer.
 */
export type DomainWrite = ((tx: Executor, result: TransferResult) => Promise<void>) | BatchedWrite;

/**
 * A domain write many commands of one batch can share: the ledger calls `writer` once per batch
 * with the items of every successful command that carries it, so a batch of hundreds of
 * payments marks them paid in one statement instead of one round trip each. The same rules as
 * for a single write apply.
 */
export type BatchWriter<T> = (
  tx: Executor,
  items: ReadonlyArray<{ readonly item: T; readonly result: TransferResult }>,
) => Promise<void>;

export interface BatchedWrite {
  readonly writer: BatchWriter<never>;
  readonly item: unknown;
}

/** One command's share of a batched write. */
export function batchedWrite<T>(writer: BatchWriter<T>, item: T): DomainWrite {
  return { writer: writer as BatchWriter<never>, item };
}

export interface SubmitOptions {
  /** One optional write per command, by index. */
  readonly writes?: ReadonlyArray<DomainWrite | undefined>;
}

export interface StatementPage {
  readonly data: readonly sql.StatementRow[];
  readonly hasMore: boolean;
}

export interface Ledger {
  createAccounts(commands: readonly CreateAccountCommand[]): Promise<AccountResult[]>;
  getAccounts(ids: readonly string[]): Promise<Account[]>;
  getAccount(id: string): Promise<Account | undefined>;
  freezeAccount(id: string, options?: { readonly blockCredits?: boolean }): Promise<AccountResult>;
  unfreezeAccount(id: string): Promise<AccountResult>;
  closeAccount(id: string): Promise<AccountResult>;
  /** The batch call: one transaction, one result per command, in order. */
  submit(commands: readonly TransferCommand[], options?: SubmitOptions): Promise<TransferResult[]>;
  /**
   * One command, or one linked chain, through the per-process group-commit batcher: it shares a
   * database transaction with other callers' commands but never their outcome.
   */
  transfer(command: TransferCommand, write?: DomainWrite): Promise<TransferResult>;
  transferChain(
    commands: readonly TransferCommand[],
    writes?: ReadonlyArray<DomainWrite | undefined>,
  ): Promise<TransferResult[]>;
  getTransfers(ids: readonly string[]): Promise<Transfer[]>;
  statement(
    accountId: string,
    page?: { readonly limit?: number; readonly beforeSeq?: bigint },
  ): Promise<StatementPage>;
  /** Voids holds whose timeout has passed; returns how many it expired. */
  expireDueHolds(): Promise<number>;
  /** Waits for the batcher's queued commands to commit. */
  drain(): Promise<void>;
}

export interface LedgerDeps {
  readonly pool: Pool;
  readonly clock: Clock;
}

export function createLedger(deps: LedgerDeps): Ledger {
  const { pool, clock } = deps;
  const execute = (
    commands: readonly LedgerCommand[],
    writes: ReadonlyArray<DomainWrite | undefined>,
  ) => executeWithRetry(pool, clock, commands, writes);
  const batcher: Batcher = createBatcher({ execute });

  return {
    createAccounts: (commands) => createAccounts(pool, clock, commands),
    getAccounts: (ids) => sql.selectAccounts(pool, ids),
    getAccount: async (id) => (await sql.selectAccounts(pool, [id]))[0],
    freezeAccount: (id, options) =>
      changeStatus(pool, id, (a) =>
        a.status === 'closed' ? 'account_closed' : ['frozen', options?.blockCredits === true],
      ),
    unfreezeAccount: (id) =>
      changeStatus(pool, id, (a) => (a.status === 'closed' ? 'account_closed' : ['active', false])),
    closeAccount: (id) =>
      changeStatus(pool, id, (a) => (isZero(a) ? ['closed', false] : 'account_balance_not_zero')),
    submit: async (commands, options = {}) => {
      assert(
        commands.length <= limits.batchSizeMax,
        `a batch holds at most ${limits.batchSizeMax} commands`,
      );
      return execute(commands, options.writes ?? []);
    },
    transfer: async (command, write) => (await batcher.submit([command], [write]))[0]!,
    transferChain: (commands, writes = []) => batcher.submit(commands, writes),
    getTransfers: (ids) => sql.selectTransfers(pool, ids),
    statement: async (accountId, page = {}) => {
      const limit = Math.min(Math.max(page.limit ?? limits.pageSizeDefault, 1), limits.pageSizeMax);
      const rows = await sql.selectStatement(pool, accountId, page.beforeSeq ?? null, limit + 1);
      return { data: rows.slice(0, limit), hasMore: rows.length > limit };
    },
    expireDueHolds: () => expireDueHolds(pool, clock, execute),
    drain: () => batcher.drain(),
  };
}

function isZero(a: AccountState): boolean {
  return a.debitsPending === 0n && a.creditsPending === 0n && a.debitsPosted === a.creditsPosted;
}

async function createAccounts(
  pool: Pool,
  clock: Clock,
  commands: readonly CreateAccountCommand[],
): Promise<AccountResult[]> {
  assert(commands.length <= limits.batchSizeMax, `at most ${limits.batchSizeMax} accounts at once`);
  const invalid = commands.map(validateCreateAccount);
  // Duplicate ids within one call: the first creates, the later ones compare against it.
  const firstIndex = new Map<string, number>();
  commands.forEach((c, i) => {
    if (invalid[i] === undefined && !firstIndex.has(c.id)) firstIndex.set(c.id, i);
  });
  const firsts = [...firstIndex.values()].map((i) => commands[i]!);
  const created =
    firsts.length > 0 ? await sql.insertAccounts(pool, firsts, clock.nowMs()) : new Set<string>();
  const stored = new Map(
    (await sql.selectAccounts(pool, [...firstIndex.keys()])).map((a) => [a.id, a]),
  );
  return commands.map((c, i): AccountResult => {
    const code = invalid[i];
    if (code) return { id: c.id, code };
    if (created.has(c.id) && firstIndex.get(c.id) === i) return { id: c.id, code: 'ok' };
    const existing = stored.get(c.id);
    assert(existing, `account ${c.id} neither created nor found`);
    return { id: c.id, code: sameAccount(c, existing) ? 'exists' : 'exists_with_different_fields' };
  });
}

function sameAccount(c: CreateAccountCommand, a: Account): boolean {
  return (
    a.currency === c.currency &&
    a.code === c.code &&
    a.owner === c.owner &&
    a.debitsMustNotExceedCredits === (c.flags?.debitsMustNotExceedCredits === true) &&
    a.creditsMustNotExceedDebits === (c.flags?.creditsMustNotExceedDebits === true)
  );
}

async function changeStatus(
  pool: Pool,
  id: string,
  decide: (a: AccountState) => AccountResultCode | readonly [Account['status'], boolean],
): Promise<AccountResult> {
  return withTransaction(pool, async (tx) => {
    const [locked] = await sql.lockAccounts(tx, [id]);
    if (!locked) return { id, code: 'account_not_found' };
    const decision = decide(locked);
    if (typeof decision === 'string') return { id, code: decision };
    await sql.updateAccountStatus(tx, id, decision[0], decision[1]);
    return { id, code: 'ok' };
  });
}

/**
 * A batch can lose a race on a transfer id: another process inserts the same id between this
 * batch's read and its write. The unique index stops the second insert; the batch is then run
 * again and finds the stored transfer (`exists`).
 */
async function executeWithRetry(
  pool: Pool,
  clock: Clock,
  commands: readonly LedgerCommand[],
  writes: ReadonlyArray<DomainWrite | undefined>,
): Promise<TransferResult[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(pool, (tx) => executeBatch(tx, clock.nowMs(), commands, writes));
    } catch (error) {
      if (sqlState(error) !== SQLSTATE.uniqueViolation || attempt >= limits.batchAttemptsMax)
        throw error;
    }
  }
}

async function executeBatch(
  tx: PoolClient,
  nowMs: number,
  commands: readonly LedgerCommand[],
  writes: ReadonlyArray<DomainWrite | undefined>,
): Promise<TransferResult[]> {
  const pendingIds = unique(
    commands.flatMap((c) => (typeof c.pendingId === 'string' ? [c.pendingId] : [])),
  );
  const { transfers, holds } = await sql.lockHoldsAndReadTransfers(
    tx,
    unique([...commands.map((c) => c.id), ...pendingIds]),
    pendingIds,
  );
  // Only well-formed ids are looked up; the planner answers account_id_invalid for the others.
  const accountIds = new Set<string>();
  for (const c of commands) {
    if (!('expire' in c)) {
      if (isAccountId(c.debitAccountId)) accountIds.add(c.debitAccountId);
      if (isAccountId(c.creditAccountId)) accountIds.add(c.creditAccountId);
    }
  }
  for (const hold of holds.values()) {
    accountIds.add(hold.transfer.debitAccountId);
    accountIds.add(hold.transfer.creditAccountId);
  }
  const locked = await sql.lockAccounts(tx, [...accountIds].sort());
  const accounts = new Map(locked.map((a) => [a.id, a]));
  let plan = planBatch({ commands, accounts, existing: transfers, holds, nowMs });
  // Transfers were read before the account locks were taken, so another batch may have
  // committed one of these ids in between. Its result would then be judged by the balance (a
  // refusal) instead of `exists`. Only refused commands can be affected (a command that passes
  // would hit the unique index and the batch would run again), so only they are read again, and
  // the batch is planned again if one of them turns out to exist.
  const refused = plan.results
    .filter((r) => !isSuccess(r.code) && !transfers.has(r.id))
    .map((r) => r.id);
  if (refused.length > 0) {
    const late = await sql.lockHoldsAndReadTransfers(tx, unique(refused), []);
    if (late.transfers.size > 0) {
      const existing = new Map([...transfers, ...late.transfers]);
      plan = planBatch({ commands, accounts, existing, holds, nowMs });
    }
  }
  const seqs =
    plan.inserts.length > 0 ? await sql.writePlan(tx, plan, nowMs) : new Map<string, bigint>();
  const results = plan.results.map((r): TransferResult => {
    if (r.stored) return { id: r.id, code: r.code, transfer: r.stored };
    if (r.insertIndex === undefined) return { id: r.id, code: r.code };
    const inserted = plan.inserts[r.insertIndex]!;
    const seq = seqs.get(inserted.id);
    assert(seq !== undefined, `no seq returned for ${inserted.id}`);
    return { id: r.id, code: r.code, transfer: { ...inserted, seq } };
  });
  const batched = new Map<BatchWriter<never>, Array<{ item: never; result: TransferResult }>>();
  for (let i = 0; i < results.length; i++) {
    const write = writes[i];
    const result = results[i]!;
    if (write === undefined || result.code !== 'ok') continue;
    if (typeof write === 'function') await write(tx, result);
    else {
      const items = batched.get(write.writer) ?? [];
      items.push({ item: write.item as never, result });
      batched.set(write.writer, items);
    }
  }
  for (const [writer, items] of batched) await writer(tx, items);
  return results;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

async function expireDueHolds(
  pool: Pool,
  clock: Clock,
  execute: (commands: readonly LedgerCommand[], writes: readonly []) => Promise<TransferResult[]>,
): Promise<number> {
  let expired = 0;
  for (;;) {
    const nowMs = clock.nowMs();
    const due = await sql.selectDueHolds(pool, nowMs, limits.expiryBatchSizeMax);
    if (due.length === 0) return expired;
    const commands: ExpireCommand[] = due.map((pendingId) => ({
      expire: true,
      id: newId('trf', nowMs),
      pendingId,
    }));
    const results = await execute(commands, []);
    const done = results.filter((r) => r.code === 'ok').length;
    expired += done;
    // A pass that expired nothing would find the same rows again: stop until the next tick.
    if (due.length < limits.expiryBatchSizeMax || done === 0) return expired;
  }
}
