/**
 * A small in-memory model of the ledger, written from LEDGER.md, used as the oracle of the
 * model-based test (`ledger-model.test.ts`). It deliberately shares no logic with
 * `src/ledger/plan.ts`: only the command and result-code types are imported, so that a mistake in
 * the implementation cannot be copied into the oracle. Where LEDGER.md leaves the order of checks
 * open, the model checks in the order the implementation documents (validate.ts, then plan.ts),
 * because a different but equally valid order would only produce noise.
 *
 * The state is immutable: every operation returns a new state. That makes linked chains
 * all-or-nothing by construction (a failed chain simply keeps the state from before the chain)
 * and makes the model easy to check by reading.
 *
 * Scope: the model answers the commands the test generates. It does not model id, code,
 * currency-code or metadata validation, overflow of int8 balances, or the amount maximum, and it
 * refuses (throws) on commands outside that scope so that a test cannot silently compare
 * against a guess.
 */
import type {
  AccountResultCode,
  CreateAccountCommand,
  TransferCommand,
  TransferResultCode,
} from '../src/ledger/index.js';

export type ModelKind = 'single' | 'pending' | 'post_pending' | 'void_pending';
export type ModelHoldState = 'open' | 'posted' | 'voided' | 'expired';

export interface ModelAccount {
  readonly id: string;
  readonly currency: string;
  readonly debitsMustNotExceedCredits: boolean;
  readonly creditsMustNotExceedDebits: boolean;
  readonly status: 'active' | 'frozen' | 'closed';
  readonly freezeCredits: boolean;
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
}

/** A committed transfer as the model remembers it: what a replay is compared against. */
export interface ModelTransfer {
  readonly id: string;
  readonly kind: ModelKind;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly code: string;
  readonly linked: boolean;
  readonly pendingId: string | null;
  readonly timeoutSeconds: number | null;
  /** The metadata as JSON text; the test only generates single-key objects, so no sorting. */
  readonly metadata: string | null;
}

export interface ModelHold {
  readonly state: ModelHoldState;
  readonly expiresAtMs: number | null;
}

export interface ModelState {
  readonly accounts: ReadonlyMap<string, ModelAccount>;
  readonly transfers: ReadonlyMap<string, ModelTransfer>;
  readonly holds: ReadonlyMap<string, ModelHold>;
}

type Outcome = { readonly state: ModelState; readonly code: TransferResultCode };

export function emptyModel(): ModelState {
  return { accounts: new Map(), transfers: new Map(), holds: new Map() };
}

export function withAccounts(s: ModelState, commands: readonly CreateAccountCommand[]): ModelState {
  const accounts = new Map(s.accounts);
  for (const c of commands) {
    accounts.set(c.id, {
      id: c.id,
      currency: c.currency,
      debitsMustNotExceedCredits: c.flags?.debitsMustNotExceedCredits === true,
      creditsMustNotExceedDebits: c.flags?.creditsMustNotExceedDebits === true,
      status: 'active',
      freezeCredits: false,
      debitsPosted: 0n,
      creditsPosted: 0n,
      debitsPending: 0n,
      creditsPending: 0n,
    });
  }
  return { ...s, accounts };
}

/** What a wallet may still spend: LEDGER.md's "available balance". */
export function available(a: ModelAccount): bigint {
  return a.creditsPosted - a.debitsPosted - a.debitsPending;
}

function isSuccess(code: TransferResultCode): boolean {
  return code === 'ok' || code === 'exists';
}

function isLinked(c: TransferCommand): boolean {
  return c.flags?.linked === true;
}

/**
 * Applies a batch: commands in order, each seeing the effects of the ones before it; a linked
 * chain (linked commands closed by the first unlinked one) applies all or nothing; a batch that
 * ends inside a chain applies none of that chain.
 */
export function applyBatch(
  s: ModelState,
  commands: readonly TransferCommand[],
  nowMs: number,
): { readonly state: ModelState; readonly codes: TransferResultCode[] } {
  const codes: TransferResultCode[] = [];
  let state = s;
  let start = 0;
  while (start < commands.length) {
    // The chain runs from `start` to the first unlinked command, or to the end of the batch.
    let end = start;
    while (end < commands.length && isLinked(commands[end]!)) end++;
    if (end === commands.length) {
      // The chain is never closed: it fails as a whole and the last command says why. A command
      // of it that breaks a rule of its own reports `linked_event_failed` too: LEDGER.md does not
      // say which code wins here, and this is the implementation's choice.
      for (let i = start; i < end; i++) {
        codes.push(i === end - 1 ? 'linked_event_chain_open' : 'linked_event_failed');
      }
      break;
    }
    const chain = applyChain(state, commands.slice(start, end + 1), nowMs);
    state = chain.state;
    codes.push(...chain.codes);
    start = end + 1;
  }
  return { state, codes };
}

/** A closed chain (possibly of one command): all succeed, or the state is left unchanged. */
function applyChain(
  s: ModelState,
  chain: readonly TransferCommand[],
  nowMs: number,
): { readonly state: ModelState; readonly codes: TransferResultCode[] } {
  let state = s;
  const codes: TransferResultCode[] = [];
  for (let i = 0; i < chain.length; i++) {
    const outcome = applyCommand(state, chain[i]!, nowMs);
    if (!isSuccess(outcome.code) && chain.length > 1) {
      const failed = chain.map((_, j): TransferResultCode =>
        j === i ? outcome.code : 'linked_event_failed',
      );
      return { state: s, codes: failed };
    }
    state = outcome.state;
    codes.push(outcome.code);
  }
  return { state, codes };
}

function kindOf(c: TransferCommand): ModelKind | 'flags_are_mutually_exclusive' {
  const f = c.flags ?? {};
  const count = [f.pending, f.postPending, f.voidPending].filter((x) => x === true).length;
  if (count > 1) return 'flags_are_mutually_exclusive';
  if (f.pending === true) return 'pending';
  if (f.postPending === true) return 'post_pending';
  if (f.voidPending === true) return 'void_pending';
  return 'single';
}

function metadataText(c: TransferCommand): string | null {
  return c.metadata === undefined || c.metadata === null ? null : JSON.stringify(c.metadata);
}

/** The checks that look at the command alone, in the implementation's fixed order. */
function shapeCode(c: TransferCommand, kind: ModelKind): TransferResultCode | undefined {
  if (kind === 'post_pending' || kind === 'void_pending') {
    if (c.pendingId === undefined) return 'pending_id_required';
  } else {
    if (c.pendingId !== undefined) return 'pending_id_must_not_be_set';
    const missing = [c.debitAccountId, c.creditAccountId, c.amountMinor, c.currency, c.code];
    if (missing.some((x) => x === undefined)) return 'accounts_required';
  }
  if (c.debitAccountId !== undefined && c.debitAccountId === c.creditAccountId) {
    return 'accounts_must_be_different';
  }
  if (c.timeoutSeconds !== undefined && kind !== 'pending') return 'timeout_reserved_for_pending';
  if (c.amountMinor !== undefined && c.amountMinor <= 0n) return 'amount_must_be_positive';
  return undefined;
}

const TRANSFER_ID = /^trf_[0-9A-HJKMNP-TV-Z]{26}$/;
const ACCOUNT_ID = /^acc_[0-9A-HJKMNP-TV-Z]{26}$/;

/** Throws on a command the model was not written to judge (see the scope note at the top). */
function assertInScope(c: TransferCommand): void {
  const ok =
    TRANSFER_ID.test(c.id) &&
    (c.pendingId === undefined || TRANSFER_ID.test(c.pendingId)) &&
    [c.debitAccountId, c.creditAccountId].every((id) => id === undefined || ACCOUNT_ID.test(id)) &&
    (c.currency === undefined || c.currency === 'CNY' || c.currency === 'USD') &&
    (c.code === undefined || /^[a-z][a-z0-9_]{0,31}$/.test(c.code)) &&
    (c.amountMinor === undefined || c.amountMinor < 10n ** 12n) &&
    (c.timeoutSeconds === undefined ||
      (Number.isInteger(c.timeoutSeconds) && c.timeoutSeconds >= 1 && c.timeoutSeconds <= 3600)) &&
    (c.metadata === undefined || isSmallObject(c.metadata));
  if (!ok) throw new Error(`command outside the model's scope: ${c.id}`);
}

function isSmallObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const values = Object.values(value);
  return values.length === 1 && typeof values[0] === 'string';
}

export function applyCommand(s: ModelState, c: TransferCommand, nowMs: number): Outcome {
  assertInScope(c);
  const kind = kindOf(c);
  if (kind === 'flags_are_mutually_exclusive') return { state: s, code: kind };
  const shape = shapeCode(c, kind);
  if (shape) return { state: s, code: shape };
  // The id is the idempotency key: a committed transfer with this id answers the command.
  const stored = s.transfers.get(c.id);
  if (stored) {
    return {
      state: s,
      code: sameFields(c, kind, stored) ? 'exists' : 'exists_with_different_fields',
    };
  }
  if (kind === 'single' || kind === 'pending') return applyMovement(s, c, kind, nowMs);
  return applyResolution(s, c, kind, nowMs);
}

/**
 * Whether a replay asks for what was committed. A post or void may leave out the accounts,
 * amount, currency and code (they come from the hold), so only the fields it gives are compared.
 */
function sameFields(c: TransferCommand, kind: ModelKind, t: ModelTransfer): boolean {
  if (t.kind !== kind || t.linked !== isLinked(c) || t.metadata !== metadataText(c)) return false;
  if (kind === 'single' || kind === 'pending') {
    return (
      c.debitAccountId === t.debitAccountId &&
      c.creditAccountId === t.creditAccountId &&
      c.amountMinor === t.amountMinor &&
      c.currency === t.currency &&
      c.code === t.code &&
      (c.timeoutSeconds ?? null) === t.timeoutSeconds
    );
  }
  const givenSame = <T>(given: T | undefined, actual: T) => given === undefined || given === actual;
  return (
    c.pendingId === t.pendingId &&
    givenSame(c.debitAccountId, t.debitAccountId) &&
    givenSame(c.creditAccountId, t.creditAccountId) &&
    givenSame(c.amountMinor, t.amountMinor) &&
    givenSame(c.currency, t.currency) &&
    givenSame(c.code, t.code)
  );
}

function movementCode(
  c: TransferCommand,
  debit: ModelAccount,
  credit: ModelAccount,
  amount: bigint,
): TransferResultCode | undefined {
  if (debit.currency !== credit.currency || c.currency !== debit.currency)
    return 'currency_mismatch';
  if (debit.status === 'closed' || credit.status === 'closed') return 'account_closed';
  if (debit.status === 'frozen' || (credit.status === 'frozen' && credit.freezeCredits)) {
    return 'account_frozen';
  }
  // Holds count against the limit as if they were posted: a hold must be postable in full.
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

function applyMovement(
  s: ModelState,
  c: TransferCommand,
  kind: 'single' | 'pending',
  nowMs: number,
): Outcome {
  const debit = s.accounts.get(c.debitAccountId!);
  const credit = s.accounts.get(c.creditAccountId!);
  if (!debit || !credit) return { state: s, code: 'account_not_found' };
  const amount = c.amountMinor!;
  const refused = movementCode(c, debit, credit, amount);
  if (refused) return { state: s, code: refused };
  const pending = kind === 'pending';
  const accounts = new Map(s.accounts);
  accounts.set(debit.id, {
    ...debit,
    debitsPosted: debit.debitsPosted + (pending ? 0n : amount),
    debitsPending: debit.debitsPending + (pending ? amount : 0n),
  });
  accounts.set(credit.id, {
    ...credit,
    creditsPosted: credit.creditsPosted + (pending ? 0n : amount),
    creditsPending: credit.creditsPending + (pending ? amount : 0n),
  });
  const transfers = new Map(s.transfers);
  transfers.set(c.id, {
    id: c.id,
    kind,
    debitAccountId: debit.id,
    creditAccountId: credit.id,
    amountMinor: amount,
    currency: debit.currency,
    code: c.code!,
    linked: isLinked(c),
    pendingId: null,
    timeoutSeconds: c.timeoutSeconds ?? null,
    metadata: metadataText(c),
  });
  const holds = new Map(s.holds);
  if (pending) {
    const expiresAtMs = c.timeoutSeconds === undefined ? null : nowMs + c.timeoutSeconds * 1000;
    holds.set(c.id, { state: 'open', expiresAtMs });
  }
  return { state: { accounts, transfers, holds }, code: 'ok' };
}

/** Why a hold cannot be resolved now: it already was, or its time is up (at its expiry instant). */
function holdStateCode(hold: ModelHold, nowMs: number): TransferResultCode | undefined {
  if (hold.state === 'posted') return 'pending_transfer_already_posted';
  if (hold.state === 'voided') return 'pending_transfer_already_voided';
  if (hold.state === 'expired') return 'pending_transfer_expired';
  if (hold.expiresAtMs !== null && hold.expiresAtMs <= nowMs) return 'pending_transfer_expired';
  return undefined;
}

function resolutionCode(
  s: ModelState,
  c: TransferCommand,
  kind: 'post_pending' | 'void_pending',
  p: ModelTransfer,
): TransferResultCode | undefined {
  const otherDebit = c.debitAccountId !== undefined && c.debitAccountId !== p.debitAccountId;
  const otherCredit = c.creditAccountId !== undefined && c.creditAccountId !== p.creditAccountId;
  if (otherDebit || otherCredit) return 'pending_transfer_has_different_accounts';
  if (c.currency !== undefined && c.currency !== p.currency) return 'currency_mismatch';
  if (kind === 'void_pending') {
    // A void releases everything; naming another amount is a mistake, not a partial void.
    return c.amountMinor !== undefined && c.amountMinor !== p.amountMinor
      ? 'pending_transfer_has_different_amount'
      : undefined;
  }
  if (c.amountMinor !== undefined && c.amountMinor > p.amountMinor)
    return 'amount_exceeds_pending_amount';
  // Posting moves held money out of the debit account: a freeze stops that, but not a void.
  const debit = s.accounts.get(p.debitAccountId)!;
  const credit = s.accounts.get(p.creditAccountId)!;
  if (debit.status === 'frozen' || (credit.status === 'frozen' && credit.freezeCredits))
    return 'account_frozen';
  // Posting is deliberately not re-checked against the balance flags: the hold already was.
  return undefined;
}

function applyResolution(
  s: ModelState,
  c: TransferCommand,
  kind: 'post_pending' | 'void_pending',
  nowMs: number,
): Outcome {
  const p = s.transfers.get(c.pendingId!);
  if (!p) return { state: s, code: 'pending_transfer_not_found' };
  if (p.kind !== 'pending') return { state: s, code: 'pending_transfer_not_pending' };
  const hold = s.holds.get(p.id)!;
  const refused = holdStateCode(hold, nowMs) ?? resolutionCode(s, c, kind, p);
  if (refused) return { state: s, code: refused };
  const posted = kind === 'post_pending' ? (c.amountMinor ?? p.amountMinor) : 0n;
  const released = release(s, p, posted, kind === 'post_pending' ? 'posted' : 'voided');
  const transfers = new Map(released.transfers);
  transfers.set(c.id, {
    id: c.id,
    kind,
    debitAccountId: p.debitAccountId,
    creditAccountId: p.creditAccountId,
    amountMinor: kind === 'post_pending' ? posted : p.amountMinor,
    currency: p.currency,
    code: c.code ?? p.code,
    linked: isLinked(c),
    pendingId: p.id,
    timeoutSeconds: null,
    metadata: metadataText(c),
  });
  return { state: { ...released, transfers }, code: 'ok' };
}

/** Releases a whole hold, posts `posted` of it, and records how the hold ended. */
function release(
  s: ModelState,
  p: ModelTransfer,
  posted: bigint,
  state: ModelHoldState,
): ModelState {
  const debit = s.accounts.get(p.debitAccountId)!;
  const credit = s.accounts.get(p.creditAccountId)!;
  const accounts = new Map(s.accounts);
  accounts.set(debit.id, {
    ...debit,
    debitsPending: debit.debitsPending - p.amountMinor,
    debitsPosted: debit.debitsPosted + posted,
  });
  accounts.set(credit.id, {
    ...credit,
    creditsPending: credit.creditsPending - p.amountMinor,
    creditsPosted: credit.creditsPosted + posted,
  });
  const holds = new Map(s.holds);
  holds.set(p.id, { ...s.holds.get(p.id)!, state });
  return { ...s, accounts, holds };
}

/** The expiry worker: every open hold whose expiry has come is released. */
export function expireDue(
  s: ModelState,
  nowMs: number,
): { readonly state: ModelState; readonly expired: number } {
  let state = s;
  let expired = 0;
  for (const [id, hold] of s.holds) {
    if (hold.state === 'open' && hold.expiresAtMs !== null && hold.expiresAtMs <= nowMs) {
      state = release(state, s.transfers.get(id)!, 0n, 'expired');
      expired++;
    }
  }
  return { state, expired };
}

export type StatusOp = 'freeze' | 'freeze_credits' | 'unfreeze' | 'close';

/**
 * Freezing and closing. A closed account stays closed; only an account with nothing posted net
 * and nothing held can be closed.
 */
export function changeStatus(
  s: ModelState,
  id: string,
  op: StatusOp,
): { readonly state: ModelState; readonly code: AccountResultCode } {
  const a = s.accounts.get(id);
  if (!a) return { state: s, code: 'account_not_found' };
  let next: ModelAccount;
  if (op === 'close') {
    const zero =
      a.debitsPending === 0n && a.creditsPending === 0n && a.debitsPosted === a.creditsPosted;
    if (!zero) return { state: s, code: 'account_balance_not_zero' };
    next = { ...a, status: 'closed', freezeCredits: false };
  } else {
    if (a.status === 'closed') return { state: s, code: 'account_closed' };
    next =
      op === 'unfreeze'
        ? { ...a, status: 'active', freezeCredits: false }
        : { ...a, status: 'frozen', freezeCredits: op === 'freeze_credits' };
  }
  const accounts = new Map(s.accounts);
  accounts.set(id, next);
  return { state: { ...s, accounts }, code: 'ok' };
}
