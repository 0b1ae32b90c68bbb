/**
 * The ledger's functional core: given the locked accounts, the stored transfers that a batch's
 * ids and pending ids refer to, and the time, decide every command's result and the exact rows to
 * write. No I/O, no clock, no randomness: the service passes all of it in.
 *
 * Commands apply in order and see the effects of the ones before them. A linked chain (commands
 * with the `linked` flag, closed by the first without it) applies all or nothing: when one fails,
 * the effects of the chain so far are undone, the failing command reports its own code and the
 * others `linked_event_failed`.
 */
import { canonicalJson, type Json } from '../lib/canonical-json.js';
import { assert } from '../lib/assert.js';
import { isSuccess, type TransferResultCode } from './result-codes.js';
import type {
  AccountState,
  HoldState,
  JournalEntry,
  Transfer,
  TransferCommand,
  TransferKind,
} from './types.js';
import { kindOf, metadataText, validateTransferShape } from './validate.js';

const INT8_MAX = 2n ** 63n - 1n;

/** Voids a due hold; only the expiry worker creates these. */
export interface ExpireCommand {
  readonly expire: true;
  readonly id: string;
  readonly pendingId: string;
}

export type LedgerCommand = TransferCommand | ExpireCommand;

/**
 * A stored transfer named as a pending id, and where its hold stands. A transfer that is not a
 * pending one may appear here too (its state is then meaningless): the plan answers
 * `pending_transfer_not_pending` for it.
 */
export interface HoldRef {
  readonly transfer: NewTransfer;
  readonly state: HoldState;
  readonly expiresAtMs: number | null;
}

export type NewTransfer = Omit<Transfer, 'seq'>;

export interface PlanInput {
  readonly commands: readonly LedgerCommand[];
  /** Every account the commands name or their pending transfers use, as locked. */
  readonly accounts: ReadonlyMap<string, AccountState>;
  /** Stored transfers whose id is one of the commands' ids. */
  readonly existing: ReadonlyMap<string, Transfer>;
  /** Stored pending transfers named by the commands' pending ids. */
  readonly holds: ReadonlyMap<string, HoldRef>;
  readonly nowMs: number;
}

export interface PlannedResult {
  readonly id: string;
  readonly code: TransferResultCode;
  /** For `exists` of a transfer committed before this batch: the stored transfer. */
  readonly stored?: Transfer;
  /** For `ok`, and `exists` of a transfer earlier in this batch: its index in `inserts`. */
  readonly insertIndex?: number;
}

export interface Plan {
  readonly results: readonly PlannedResult[];
  readonly inserts: readonly NewTransfer[];
  readonly entries: readonly JournalEntry[];
  /** The final state of every account the batch changed. */
  readonly accounts: readonly AccountState[];
  readonly holdsOpened: ReadonlyArray<{
    readonly transferId: string;
    readonly expiresAtMs: number | null;
  }>;
  readonly holdsClosed: readonly string[];
}

interface Working {
  readonly input: PlanInput;
  readonly accounts: Map<string, AccountState>;
  /** This batch's new transfers: id → index in `inserts`. */
  readonly inserted: Map<string, number>;
  readonly holds: Map<string, HoldRef & { readonly origin: 'stored' | 'new' }>;
  inserts: NewTransfer[];
  entries: JournalEntry[];
  /** Undo steps of the open linked chain; not recorded outside a chain, where nothing is undone. */
  undo: Array<() => void> | undefined;
}

export function planBatch(input: PlanInput): Plan {
  const w: Working = {
    input,
    accounts: new Map(),
    inserted: new Map(),
    holds: new Map(),
    inserts: [],
    entries: [],
    undo: undefined,
  };
  const results: PlannedResult[] = [];
  let chainStart: number | undefined;
  let chainFailed = false;
  for (let i = 0; i < input.commands.length; i++) {
    const command = input.commands[i]!;
    const linked = isLinked(command);
    if (chainStart === undefined && linked) {
      chainStart = i;
      w.undo = [];
    }
    if (chainFailed) {
      results.push({ id: command.id, code: 'linked_event_failed' });
    } else {
      const result = applyCommand(w, command);
      results.push(result);
      if (chainStart !== undefined && !isSuccess(result.code)) {
        chainFailed = true;
        rollback(w);
        for (let j = chainStart; j < i; j++)
          results[j] = { id: results[j]!.id, code: 'linked_event_failed' };
      }
    }
    if (!linked) {
      chainStart = undefined;
      chainFailed = false;
      w.undo = undefined;
    }
  }
  if (chainStart !== undefined) {
    // The batch ended inside a chain: nothing of it applies.
    if (!chainFailed) rollback(w);
    for (let j = chainStart; j < results.length; j++) {
      const last = j === results.length - 1;
      results[j] = {
        id: results[j]!.id,
        code: last ? 'linked_event_chain_open' : 'linked_event_failed',
      };
    }
  }
  return finish(w, results);
}

function isLinked(command: LedgerCommand): boolean {
  return !('expire' in command) && command.flags?.linked === true;
}

function rollback(w: Working): void {
  const undo = w.undo ?? [];
  for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
  w.undo = [];
}

function finish(w: Working, results: PlannedResult[]): Plan {
  const holdsOpened: Array<{ transferId: string; expiresAtMs: number | null }> = [];
  const holdsClosed: string[] = [];
  for (const [transferId, hold] of w.holds) {
    if (hold.origin === 'new' && hold.state === 'open')
      holdsOpened.push({ transferId, expiresAtMs: hold.expiresAtMs });
    if (hold.origin === 'stored' && hold.state !== 'open') holdsClosed.push(transferId);
  }
  return {
    results,
    inserts: w.inserts,
    entries: w.entries,
    accounts: [...w.accounts.values()],
    holdsOpened,
    holdsClosed,
  };
}

function applyCommand(w: Working, command: LedgerCommand): PlannedResult {
  if ('expire' in command) return applyResolve(w, command, 'expire_pending');
  const kind = kindOf(command);
  if (kind === 'flags_are_mutually_exclusive') return { id: command.id, code: kind };
  const shape = validateTransferShape(command, kind);
  if (shape) return { id: command.id, code: shape };
  const stored = w.input.existing.get(command.id);
  if (stored) {
    const same = sameFields(command, kind, stored);
    return same
      ? { id: command.id, code: 'exists', stored }
      : { id: command.id, code: 'exists_with_different_fields' };
  }
  const insertIndex = w.inserted.get(command.id);
  if (insertIndex !== undefined) {
    const same = sameFields(command, kind, w.inserts[insertIndex]!);
    return same
      ? { id: command.id, code: 'exists', insertIndex }
      : { id: command.id, code: 'exists_with_different_fields' };
  }
  return kind === 'single' || kind === 'pending'
    ? applyMovement(w, command, kind)
    : applyResolve(w, command, kind);
}

function account(w: Working, id: string): AccountState | undefined {
  return w.accounts.get(id) ?? w.input.accounts.get(id);
}

function setAccount(w: Working, next: AccountState): void {
  const previous = w.accounts.get(next.id);
  w.accounts.set(next.id, next);
  w.undo?.push(() => (previous ? w.accounts.set(next.id, previous) : w.accounts.delete(next.id)));
}

function applyMovement(
  w: Working,
  command: TransferCommand,
  kind: 'single' | 'pending',
): PlannedResult {
  const id = command.id;
  const debit = account(w, command.debitAccountId!);
  const credit = account(w, command.creditAccountId!);
  if (!debit || !credit) return { id, code: 'account_not_found' };
  if (debit.currency !== credit.currency || command.currency !== debit.currency)
    return { id, code: 'currency_mismatch' };
  if (debit.status === 'closed' || credit.status === 'closed')
    return { id, code: 'account_closed' };
  if (debit.status === 'frozen' || (credit.status === 'frozen' && credit.freezeCredits)) {
    return { id, code: 'account_frozen' };
  }
  const amount = command.amountMinor!;
  const pending = kind === 'pending';
  const limit = balanceLimitCode(debit, credit, amount);
  if (limit) return { id, code: limit };
  const nextDebit = pending
    ? { ...debit, debitsPending: debit.debitsPending + amount, journalSeq: debit.journalSeq + 1n }
    : { ...debit, debitsPosted: debit.debitsPosted + amount, journalSeq: debit.journalSeq + 1n };
  const nextCredit = pending
    ? {
        ...credit,
        creditsPending: credit.creditsPending + amount,
        journalSeq: credit.journalSeq + 1n,
      }
    : {
        ...credit,
        creditsPosted: credit.creditsPosted + amount,
        journalSeq: credit.journalSeq + 1n,
      };
  const transfer: NewTransfer = {
    id,
    debitAccountId: debit.id,
    creditAccountId: credit.id,
    amountMinor: amount,
    currency: debit.currency,
    code: command.code!,
    kind,
    linked: command.flags?.linked === true,
    pendingId: null,
    timeoutSeconds: command.timeoutSeconds ?? null,
    metadata: normalizedMetadata(command.metadata),
    createdAtMs: w.input.nowMs,
  };
  const insertIndex = commit(w, transfer, nextDebit, nextCredit);
  if (pending) {
    const expiresAtMs =
      command.timeoutSeconds === undefined ? null : w.input.nowMs + command.timeoutSeconds * 1000;
    setHold(w, id, { transfer, state: 'open', expiresAtMs, origin: 'new' });
  }
  return { id, code: 'ok', insertIndex };
}

/**
 * The limits a new debit and credit must respect: the accounts' balance flags (a wallet never
 * goes below zero) and the int8 range of every balance column.
 */
function balanceLimitCode(
  debit: AccountState,
  credit: AccountState,
  amount: bigint,
): TransferResultCode | undefined {
  if (debit.debitsPosted + debit.debitsPending + amount > INT8_MAX) return 'overflows_debits';
  if (credit.creditsPosted + credit.creditsPending + amount > INT8_MAX) return 'overflows_credits';
  if (
    debit.debitsMustNotExceedCredits &&
    debit.debitsPosted + debit.debitsPending + amount > debit.creditsPosted
  ) {
    return 'exceeds_credits';
  }
  if (
    credit.creditsMustNotExceedDebits &&
    credit.creditsPosted + credit.creditsPending + amount > credit.debitsPosted
  ) {
    return 'exceeds_debits';
  }
  return undefined;
}

function holdRef(
  w: Working,
  pendingId: string,
): (HoldRef & { origin: 'stored' | 'new' }) | undefined {
  const current = w.holds.get(pendingId);
  if (current) return current;
  const stored = w.input.holds.get(pendingId);
  return stored ? { ...stored, origin: 'stored' } : undefined;
}

function setHold(
  w: Working,
  pendingId: string,
  next: HoldRef & { origin: 'stored' | 'new' },
): void {
  const previous = w.holds.get(pendingId);
  w.holds.set(pendingId, next);
  w.undo?.push(() => (previous ? w.holds.set(pendingId, previous) : w.holds.delete(pendingId)));
}

function holdStateCode(hold: HoldRef, nowMs: number): TransferResultCode | undefined {
  switch (hold.state) {
    case 'posted':
      return 'pending_transfer_already_posted';
    case 'voided':
      return 'pending_transfer_already_voided';
    case 'expired':
      return 'pending_transfer_expired';
    case 'open':
      return hold.expiresAtMs !== null && hold.expiresAtMs <= nowMs
        ? 'pending_transfer_expired'
        : undefined;
  }
}

type ResolveKind = 'post_pending' | 'void_pending' | 'expire_pending';

function resolveCode(
  w: Working,
  command: TransferCommand | ExpireCommand,
  kind: ResolveKind,
  pending: NewTransfer,
): TransferResultCode | undefined {
  if ('expire' in command) return undefined;
  if (
    (command.debitAccountId !== undefined && command.debitAccountId !== pending.debitAccountId) ||
    (command.creditAccountId !== undefined && command.creditAccountId !== pending.creditAccountId)
  ) {
    return 'pending_transfer_has_different_accounts';
  }
  if (command.currency !== undefined && command.currency !== pending.currency)
    return 'currency_mismatch';
  if (
    kind === 'void_pending' &&
    command.amountMinor !== undefined &&
    command.amountMinor !== pending.amountMinor
  ) {
    return 'pending_transfer_has_different_amount';
  }
  if (kind !== 'post_pending') return undefined;
  if (command.amountMinor !== undefined && command.amountMinor > pending.amountMinor) {
    return 'amount_exceeds_pending_amount';
  }
  // Held money may not leave a frozen account, nor reach one whose freeze blocks credits.
  const debit = account(w, pending.debitAccountId)!;
  const credit = account(w, pending.creditAccountId)!;
  if (debit.status === 'frozen' || (credit.status === 'frozen' && credit.freezeCredits))
    return 'account_frozen';
  return undefined;
}

function applyResolve(
  w: Working,
  command: TransferCommand | ExpireCommand,
  kind: ResolveKind,
): PlannedResult {
  const id = command.id;
  const pendingId = command.pendingId!;
  const hold = holdRef(w, pendingId);
  if (!hold)
    return {
      id,
      code: w.inserted.has(pendingId)
        ? 'pending_transfer_not_pending'
        : 'pending_transfer_not_found',
    };
  if (hold.transfer.kind !== 'pending') return { id, code: 'pending_transfer_not_pending' };
  const stateCode = holdStateCode(
    hold,
    kind === 'expire_pending' ? Number.NEGATIVE_INFINITY : w.input.nowMs,
  );
  if (stateCode) return { id, code: stateCode };
  const pending = hold.transfer;
  const refused = resolveCode(w, command, kind, pending);
  if (refused) return { id, code: refused };
  const debit = account(w, pending.debitAccountId);
  const credit = account(w, pending.creditAccountId);
  assert(debit && credit, `accounts of pending transfer ${pendingId} must be locked`);
  const held = pending.amountMinor;
  const fromCommand = 'expire' in command ? undefined : command;
  const posted = kind === 'post_pending' ? (fromCommand?.amountMinor ?? held) : 0n;
  if (debit.debitsPosted + posted > INT8_MAX) return { id, code: 'overflows_debits' };
  if (credit.creditsPosted + posted > INT8_MAX) return { id, code: 'overflows_credits' };
  const nextDebit = {
    ...debit,
    debitsPending: debit.debitsPending - held,
    debitsPosted: debit.debitsPosted + posted,
    journalSeq: debit.journalSeq + 1n,
  };
  const nextCredit = {
    ...credit,
    creditsPending: credit.creditsPending - held,
    creditsPosted: credit.creditsPosted + posted,
    journalSeq: credit.journalSeq + 1n,
  };
  assert(
    nextDebit.debitsPending >= 0n && nextCredit.creditsPending >= 0n,
    `pending balance below zero for ${pendingId}`,
  );
  const transfer: NewTransfer = {
    id,
    debitAccountId: pending.debitAccountId,
    creditAccountId: pending.creditAccountId,
    amountMinor: kind === 'post_pending' ? posted : held,
    currency: pending.currency,
    code: fromCommand?.code ?? pending.code,
    kind,
    linked: fromCommand?.flags?.linked === true,
    pendingId,
    timeoutSeconds: null,
    metadata: normalizedMetadata(fromCommand?.metadata),
    createdAtMs: w.input.nowMs,
  };
  const insertIndex = commit(w, transfer, nextDebit, nextCredit);
  const state: HoldState =
    kind === 'post_pending' ? 'posted' : kind === 'void_pending' ? 'voided' : 'expired';
  setHold(w, pendingId, { ...hold, state });
  return { id, code: 'ok', insertIndex };
}

/**
 * Records a new transfer with its two journal rows and the accounts' new balances (whose journal
 * sequence the caller has already advanced).
 */
function commit(
  w: Working,
  transfer: NewTransfer,
  nextDebit: AccountState,
  nextCredit: AccountState,
): number {
  setAccount(w, nextDebit);
  setAccount(w, nextCredit);
  const insertIndex = w.inserts.length;
  const entriesLength = w.entries.length;
  w.inserts.push(transfer);
  w.entries.push(entryOf(nextDebit, transfer.id), entryOf(nextCredit, transfer.id));
  w.inserted.set(transfer.id, insertIndex);
  w.undo?.push(() => {
    w.inserts.length = insertIndex;
    w.entries.length = entriesLength;
    w.inserted.delete(transfer.id);
  });
  return insertIndex;
}

function entryOf(a: AccountState, transferId: string): JournalEntry {
  return {
    accountId: a.id,
    accountSeq: a.journalSeq,
    transferId,
    debitsPosted: a.debitsPosted,
    creditsPosted: a.creditsPosted,
    debitsPending: a.debitsPending,
    creditsPending: a.creditsPending,
  };
}

function normalizedMetadata(metadata: Json | undefined): Json | null {
  const text = metadataText(metadata);
  assert(text.ok, 'metadata was validated before planning');
  return text.text === null ? null : (JSON.parse(text.text) as Json);
}

/** Whether a retried command asks for exactly what the stored transfer did. */
export function sameFields(
  command: TransferCommand,
  kind: TransferKind,
  stored: NewTransfer,
): boolean {
  const metadataSame =
    canonicalJson(normalizedMetadata(command.metadata)) === canonicalJson(stored.metadata);
  const common =
    stored.kind === kind && stored.linked === (command.flags?.linked === true) && metadataSame;
  if (!common) return false;
  if (kind === 'single' || kind === 'pending') {
    return (
      stored.debitAccountId === command.debitAccountId &&
      stored.creditAccountId === command.creditAccountId &&
      stored.amountMinor === command.amountMinor &&
      stored.currency === command.currency &&
      stored.code === command.code &&
      stored.timeoutSeconds === (command.timeoutSeconds ?? null)
    );
  }
  const optionalSame = <T>(given: T | undefined, actual: T) =>
    given === undefined || given === actual;
  return (
    stored.pendingId === command.pendingId &&
    optionalSame(command.amountMinor, stored.amountMinor) &&
    optionalSame(command.code, stored.code) &&
    optionalSame(command.currency, stored.currency) &&
    optionalSame(command.debitAccountId, stored.debitAccountId) &&
    optionalSame(command.creditAccountId, stored.creditAccountId)
  );
}
