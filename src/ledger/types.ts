import type { Json } from '../lib/canonical-json.js';

export type AccountStatus = 'active' | 'frozen' | 'closed';

export interface AccountFlags {
  /** A user's wallet: the balance can never go below zero. */
  readonly debitsMustNotExceedCredits?: boolean;
  /** The mirror, for asset-side accounts such as bank clearing. */
  readonly creditsMustNotExceedDebits?: boolean;
}

export interface CreateAccountCommand {
  readonly id: string;
  readonly currency: string;
  /** What the account is for: `user_wallet`, `bank_clearing`, `fee_revenue`, ... */
  readonly code: string;
  /** Opaque reference to the owner: a user id, a merchant id, or a system name. */
  readonly owner: string;
  readonly flags?: AccountFlags;
}

export interface Account {
  readonly id: string;
  readonly currency: string;
  readonly code: string;
  readonly owner: string;
  readonly debitsMustNotExceedCredits: boolean;
  readonly creditsMustNotExceedDebits: boolean;
  readonly status: AccountStatus;
  /** Only while frozen: the freeze also rejects credits. */
  readonly freezeCredits: boolean;
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
  readonly journalSeq: bigint;
  readonly createdAtMs: number;
}

/** What the planner needs of an account: no descriptive fields, which it neither reads nor writes. */
export type AccountState = Omit<Account, 'code' | 'owner' | 'createdAtMs'>;

export interface TransferFlags {
  /** A hold: reserves the amount until it is posted, voided or expires. */
  readonly pending?: boolean;
  readonly postPending?: boolean;
  readonly voidPending?: boolean;
  /** Links this command to the next one: the chain succeeds or fails together. */
  readonly linked?: boolean;
}

/**
 * One transfer command. `id` is chosen by the caller before sending and is the idempotency key.
 * For `postPending` / `voidPending` the accounts and currency default to the pending transfer's
 * and, if given, must match it; the code defaults to the pending transfer's and may differ (a
 * capture can say why it happened). `amountMinor` of a post defaults to the whole pending amount
 * and may be less (the rest is released).
 */
export interface TransferCommand {
  readonly id: string;
  readonly debitAccountId?: string;
  readonly creditAccountId?: string;
  readonly amountMinor?: bigint;
  readonly currency?: string;
  readonly code?: string;
  readonly flags?: TransferFlags;
  readonly pendingId?: string;
  readonly timeoutSeconds?: number;
  readonly metadata?: Json;
}

export type TransferKind =
  'single' | 'pending' | 'post_pending' | 'void_pending' | 'expire_pending';

/** A committed transfer, as stored. Immutable. */
export interface Transfer {
  readonly seq: bigint;
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly code: string;
  readonly kind: TransferKind;
  readonly linked: boolean;
  readonly pendingId: string | null;
  readonly timeoutSeconds: number | null;
  readonly metadata: Json | null;
  readonly createdAtMs: number;
}

export type HoldState = 'open' | 'posted' | 'voided' | 'expired';

/** One journal row: a balance change of one account, with its balances after the change. */
export interface JournalEntry {
  readonly accountId: string;
  readonly accountSeq: bigint;
  readonly transferId: string;
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
}
