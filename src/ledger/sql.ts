/**
 * The ledger's SQL. Every function takes the executor first, so it is always visible which
 * transaction a read or write belongs to. Bulk writes go through `unnest` so that a batch of any
 * size costs a fixed number of statements.
 */
import type { Executor } from '../db/index.js';
import type { Json } from '../lib/canonical-json.js';
import type { HoldRef, Plan } from './plan.js';
import type {
  Account,
  AccountState,
  AccountStatus,
  CreateAccountCommand,
  HoldState,
  JournalEntry,
  Transfer,
  TransferKind,
} from './types.js';

interface AccountRow {
  id: string;
  currency: string;
  code: string;
  owner: string;
  debits_must_not_exceed_credits: boolean;
  credits_must_not_exceed_debits: boolean;
  status: AccountStatus;
  freeze_credits: boolean;
  debits_posted: bigint;
  credits_posted: bigint;
  debits_pending: bigint;
  credits_pending: bigint;
  journal_seq: bigint;
  created_at: Date;
}

interface TransferRow {
  seq: bigint;
  id: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: bigint;
  currency: string;
  code: string;
  kind: TransferKind;
  linked: boolean;
  pending_id: string | null;
  timeout_s: number | null;
  metadata: Json | null;
  created_at: Date;
}

const TRANSFER_COLUMNS = [
  'seq',
  'id',
  'debit_account_id',
  'credit_account_id',
  'amount',
  'currency',
  'code',
  'kind',
  'linked',
  'pending_id',
  'timeout_s',
  'metadata',
  'created_at',
] as const;

/** The transfer columns that `toTransfer` reads, qualified by a table alias when one is given. */
function transferColumns(alias?: string): string {
  return TRANSFER_COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');
}

export function toAccount(row: AccountRow): Account {
  return {
    ...toAccountState(row),
    code: row.code,
    owner: row.owner,
    createdAtMs: row.created_at.getTime(),
  };
}

export function toTransfer(row: TransferRow): Transfer {
  return {
    seq: row.seq,
    id: row.id,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amountMinor: row.amount,
    currency: row.currency,
    code: row.code,
    kind: row.kind,
    linked: row.linked,
    pendingId: row.pending_id,
    timeoutSeconds: row.timeout_s,
    metadata: row.metadata,
    createdAtMs: row.created_at.getTime(),
  };
}

export async function selectAccounts(ex: Executor, ids: readonly string[]): Promise<Account[]> {
  const { rows } = await ex.query<AccountRow>(
    'SELECT * FROM ledger_accounts WHERE id = ANY($1::text[])',
    [ids],
  );
  return rows.map(toAccount);
}

const STATE_COLUMNS =
  'id, currency, debits_must_not_exceed_credits, credits_must_not_exceed_debits, status, freeze_credits, debits_posted, credits_posted, debits_pending, credits_pending, journal_seq';

/**
 * Locks the rows in ascending id order, so that batches never deadlock each other. Only the
 * columns the planner needs are read: parsing descriptive columns (a timestamp above all) for
 * every account of a batch costs more than the lock itself.
 */
export async function lockAccounts(ex: Executor, ids: readonly string[]): Promise<AccountState[]> {
  const { rows } = await ex.query<AccountRow>({
    name: 'ledger_lock_accounts',
    text: `SELECT ${STATE_COLUMNS} FROM ledger_accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
    values: [tokenArray(ids)],
  });
  return rows.map(toAccountState);
}

function toAccountState(row: AccountRow): AccountState {
  return {
    id: row.id,
    currency: row.currency,
    debitsMustNotExceedCredits: row.debits_must_not_exceed_credits,
    creditsMustNotExceedDebits: row.credits_must_not_exceed_debits,
    status: row.status,
    freezeCredits: row.freeze_credits,
    debitsPosted: row.debits_posted,
    creditsPosted: row.credits_posted,
    debitsPending: row.debits_pending,
    creditsPending: row.credits_pending,
    journalSeq: row.journal_seq,
  };
}

/**
 * A PostgreSQL array literal of values that need no quoting: ids, codes, currencies and kinds
 * (all validated against patterns of letters, digits and underscores), bigints, booleans and
 * nulls. Building it directly is several times faster than the driver's generic escaping, and
 * a batch sends tens of thousands of such values.
 */
function tokenArray(values: ReadonlyArray<string | bigint | number | boolean | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (v === null) out += 'NULL';
    else if (typeof v === 'boolean') out += v ? 't' : 'f';
    else out += String(v);
  }
  return `${out}}`;
}

export async function insertAccounts(
  ex: Executor,
  commands: readonly CreateAccountCommand[],
  nowMs: number,
): Promise<Set<string>> {
  const { rows } = await ex.query<{ id: string }>(
    `INSERT INTO ledger_accounts (id, currency, code, owner, debits_must_not_exceed_credits, credits_must_not_exceed_debits, created_at)
     SELECT u.id, u.currency, u.code, u.owner, u.dmnec, u.cmned, $7::timestamptz
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::bool[]) AS u(id, currency, code, owner, dmnec, cmned)
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [
      commands.map((c) => c.id),
      commands.map((c) => c.currency),
      commands.map((c) => c.code),
      commands.map((c) => c.owner),
      commands.map((c) => c.flags?.debitsMustNotExceedCredits === true),
      commands.map((c) => c.flags?.creditsMustNotExceedDebits === true),
      new Date(nowMs),
    ],
  );
  return new Set(rows.map((r) => r.id));
}

export async function updateAccountStatus(
  ex: Executor,
  id: string,
  status: AccountStatus,
  freezeCredits: boolean,
): Promise<void> {
  await ex.query('UPDATE ledger_accounts SET status = $2, freeze_credits = $3 WHERE id = $1', [
    id,
    status,
    freezeCredits,
  ]);
}

/** Transfers with `afterSeq < seq <= throughSeq`, in seq order, at most `limit` of them. */
export async function selectTransfersInSeqRange(
  ex: Executor,
  afterSeq: bigint,
  throughSeq: bigint,
  limit: number,
): Promise<Transfer[]> {
  const { rows } = await ex.query<TransferRow>(
    `SELECT ${transferColumns()} FROM ledger_transfers WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3`,
    [afterSeq, throughSeq, limit],
  );
  return rows.map(toTransfer);
}

export async function selectTransfers(ex: Executor, ids: readonly string[]): Promise<Transfer[]> {
  const { rows } = await ex.query<TransferRow>(
    `SELECT ${transferColumns()} FROM ledger_transfers WHERE id = ANY($1::text[])`,
    [ids],
  );
  return rows.map(toTransfer);
}

/**
 * Locks the open holds among `pendingIds` (ascending, before any account lock) and reads the
 * stored transfers named by `ids` with how each hold stands. A pending transfer counts as open
 * only if this transaction holds the lock on its open-hold row; one that another batch created
 * but this snapshot cannot yet lock is reported as not found, which is transient.
 */
export async function lockHoldsAndReadTransfers(
  ex: Executor,
  ids: readonly string[],
  pendingIds: readonly string[],
): Promise<{ transfers: Map<string, Transfer>; holds: Map<string, HoldRef> }> {
  const open = new Map<string, number | null>();
  if (pendingIds.length > 0) {
    const locked = await ex.query<{ transfer_id: string; expires_at: Date | null }>(
      'SELECT transfer_id, expires_at FROM ledger_open_holds WHERE transfer_id = ANY($1::text[]) ORDER BY transfer_id FOR UPDATE',
      [pendingIds],
    );
    for (const r of locked.rows)
      open.set(r.transfer_id, r.expires_at ? r.expires_at.getTime() : null);
  }
  const { rows } = await ex.query<TransferRow & { resolved_kind: TransferKind | null }>(
    `SELECT ${transferColumns('t')}, r.kind AS resolved_kind
     FROM ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_id = t.id
     WHERE t.id = ANY($1::text[])`,
    [ids],
  );
  const transfers = new Map<string, Transfer>();
  const holds = new Map<string, HoldRef>();
  const pendingSet = new Set(pendingIds);
  for (const row of rows) {
    const transfer = toTransfer(row);
    transfers.set(transfer.id, transfer);
    if (!pendingSet.has(transfer.id)) continue;
    const state = holdState(transfer.kind, row.resolved_kind, open.has(transfer.id));
    if (state === undefined) continue;
    holds.set(transfer.id, { transfer, state, expiresAtMs: open.get(transfer.id) ?? null });
  }
  return { transfers, holds };
}

function holdState(
  kind: TransferKind,
  resolvedKind: TransferKind | null,
  locked: boolean,
): HoldState | undefined {
  if (kind !== 'pending') return 'open'; // meaningless: the plan answers pending_transfer_not_pending
  switch (resolvedKind) {
    case 'post_pending':
      return 'posted';
    case 'void_pending':
      return 'voided';
    case 'expire_pending':
      return 'expired';
    default:
      return locked ? 'open' : undefined;
  }
}

/**
 * Writes everything a plan decided in one statement: the transfers (seq assigned in command
 * order), the journal rows, the accounts' new balances, and the open-hold work list.
 * Returns each new transfer's seq, by id.
 */
export async function writePlan(
  ex: Executor,
  plan: Plan,
  nowMs: number,
): Promise<Map<string, bigint>> {
  const t = plan.inserts;
  const e = plan.entries;
  const a = plan.accounts;
  const { rows } = await ex.query<{ seqs: bigint[] }>({
    name: 'ledger_write_plan',
    text: `WITH new_transfers AS (
       INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, kind, linked, pending_id, timeout_s, metadata, created_at)
       SELECT u.id, u.debit, u.credit, u.amount, u.currency, u.code, u.kind, u.linked, u.pending_id, u.timeout_s, u.metadata, $12::timestamptz
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::bool[], $9::text[], $10::int4[], $11::jsonb[])
         WITH ORDINALITY AS u(id, debit, credit, amount, currency, code, kind, linked, pending_id, timeout_s, metadata, ord)
       ORDER BY u.ord
       RETURNING seq
     ), new_entries AS (
       INSERT INTO ledger_entries (account_id, account_seq, transfer_id, debits_posted, credits_posted, debits_pending, credits_pending)
       SELECT * FROM unnest($13::text[], $14::int8[], $15::text[], $16::int8[], $17::int8[], $18::int8[], $19::int8[])
     ), balances AS (
       UPDATE ledger_accounts AS acc
       SET debits_posted = u.dp, credits_posted = u.cp, debits_pending = u.dpe, credits_pending = u.cpe, journal_seq = u.js
       FROM unnest($20::text[], $21::int8[], $22::int8[], $23::int8[], $24::int8[], $25::int8[]) AS u(id, dp, cp, dpe, cpe, js)
       WHERE acc.id = u.id
     ), opened AS (
       INSERT INTO ledger_open_holds (transfer_id, expires_at)
       SELECT * FROM unnest($26::text[], $27::timestamptz[])
     ), closed AS (
       DELETE FROM ledger_open_holds WHERE transfer_id = ANY($28::text[])
     )
     SELECT array_agg(seq ORDER BY seq) AS seqs FROM new_transfers`,
    // Every value below was validated by the planner (ids, codes, currencies and kinds match
    // token patterns), so token arrays are safe; metadata and times go through the driver.
    values: [
      tokenArray(t.map((x) => x.id)),
      tokenArray(t.map((x) => x.debitAccountId)),
      tokenArray(t.map((x) => x.creditAccountId)),
      tokenArray(t.map((x) => x.amountMinor)),
      tokenArray(t.map((x) => x.currency)),
      tokenArray(t.map((x) => x.code)),
      tokenArray(t.map((x) => x.kind)),
      tokenArray(t.map((x) => x.linked)),
      tokenArray(t.map((x) => x.pendingId)),
      tokenArray(t.map((x) => x.timeoutSeconds)),
      t.map((x) => (x.metadata === null ? null : JSON.stringify(x.metadata))),
      new Date(nowMs),
      tokenArray(e.map((x) => x.accountId)),
      tokenArray(e.map((x) => x.accountSeq)),
      tokenArray(e.map((x) => x.transferId)),
      tokenArray(e.map((x) => x.debitsPosted)),
      tokenArray(e.map((x) => x.creditsPosted)),
      tokenArray(e.map((x) => x.debitsPending)),
      tokenArray(e.map((x) => x.creditsPending)),
      tokenArray(a.map((x) => x.id)),
      tokenArray(a.map((x) => x.debitsPosted)),
      tokenArray(a.map((x) => x.creditsPosted)),
      tokenArray(a.map((x) => x.debitsPending)),
      tokenArray(a.map((x) => x.creditsPending)),
      tokenArray(a.map((x) => x.journalSeq)),
      tokenArray(plan.holdsOpened.map((h) => h.transferId)),
      plan.holdsOpened.map((h) => (h.expiresAtMs === null ? null : new Date(h.expiresAtMs))),
      tokenArray(plan.holdsClosed),
    ],
  });
  // Seqs are drawn in insert order, which is the plan's order: the smallest belongs to the first.
  const seqs = rows[0]?.seqs ?? [];
  return new Map(t.map((x, i) => [x.id, seqs[i]!]));
}

export interface StatementRow {
  readonly entry: JournalEntry;
  readonly transfer: Transfer;
}

/** One page of an account's journal, newest first, by keyset on the per-account sequence. */
export async function selectStatement(
  ex: Executor,
  accountId: string,
  beforeSeq: bigint | null,
  limit: number,
): Promise<StatementRow[]> {
  const { rows } = await ex.query<
    TransferRow & {
      e_account_seq: bigint;
      e_debits_posted: bigint;
      e_credits_posted: bigint;
      e_debits_pending: bigint;
      e_credits_pending: bigint;
    }
  >(
    `SELECT e.account_seq AS e_account_seq, e.debits_posted AS e_debits_posted, e.credits_posted AS e_credits_posted,
            e.debits_pending AS e_debits_pending, e.credits_pending AS e_credits_pending,
            ${transferColumns('t')}
     FROM ledger_entries e JOIN ledger_transfers t ON t.id = e.transfer_id
     WHERE e.account_id = $1 AND ($2::int8 IS NULL OR e.account_seq < $2::int8)
     ORDER BY e.account_seq DESC
     LIMIT $3`,
    [accountId, beforeSeq, limit],
  );
  return rows.map((r) => ({
    entry: {
      accountId,
      accountSeq: r.e_account_seq,
      transferId: r.id,
      debitsPosted: r.e_debits_posted,
      creditsPosted: r.e_credits_posted,
      debitsPending: r.e_debits_pending,
      creditsPending: r.e_credits_pending,
    },
    transfer: toTransfer(r),
  }));
}

export async function selectDueHolds(
  ex: Executor,
  nowMs: number,
  limit: number,
): Promise<string[]> {
  const { rows } = await ex.query<{ transfer_id: string }>(
    `SELECT transfer_id FROM ledger_open_holds WHERE expires_at <= $1 ORDER BY expires_at, transfer_id LIMIT $2`,
    [new Date(nowMs), limit],
  );
  return rows.map((r) => r.transfer_id);
}
