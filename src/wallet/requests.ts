import { randomBytes } from 'node:crypto';
import { limits } from '../limits.js';
import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { appendUserEvent } from '../events/index.js';
import type { IdentityServices, User } from '../identity/index.js';
import { assert } from '../lib/assert.js';
import type { Clock } from '../lib/clock.js';
import { failure } from '../lib/code-spec.js';
import { ulidBody } from '../lib/ids.js';
import { isCurrencyCode, money, splitEvenly, type Money } from '../money/index.js';
import type { WalletResult, WalletService } from './service.js';
import {
  selectByKey,
  selectTransfer,
  type TransferStatus,
  type WalletTransfer,
} from './transfers-sql.js';

/**
 * Money requests (PRODUCT.md, "Wallet": request money / split a bill). A requester asks one or
 * several verified users for amounts of one currency; each payer pays their share with a P2P
 * transfer to the requester, or declines it; the request completes when no share is pending.
 * Nothing is held while a request is open, so a request never moves money by itself: every
 * payment is an ordinary transfer, with the payer's step-up, limits and risk decision.
 */

/** The most people one request asks; a bill shared by more is a group payment, not a request. */
export const REQUEST_PAYERS_MAX = limits.requestPayersMax;

/** Rounds of one payment call: a failed attempt of somebody else's is retired, then tried anew. */
const PAY_ROUNDS_MAX = 3;

export type MoneyRequestStatus = 'open' | 'completed' | 'cancelled';
export type ShareStatus = 'pending' | 'paid' | 'declined';

export interface ShareInput {
  readonly payerId: string;
  readonly amountMinor: bigint;
}

/** Either the amount of each payer, or a total split evenly (the first payers get the rest). */
export type MoneyRequestInput =
  | {
      readonly note?: string | undefined;
      readonly currency: string;
      readonly shares: readonly ShareInput[];
    }
  | {
      readonly note?: string | undefined;
      readonly total: Money;
      readonly payerIds: readonly string[];
    };

export interface MoneyRequestShare {
  readonly payerId: string;
  readonly amountMinor: bigint;
  readonly status: ShareStatus;
  readonly transferId: string | null;
  readonly paidAt: Date | null;
  readonly declinedAt: Date | null;
}

export interface MoneyRequestProgress {
  readonly shareCount: number;
  readonly paidCount: number;
  readonly declinedCount: number;
  readonly pendingCount: number;
  readonly paidMinor: bigint;
}

/**
 * A request as one user sees it: the requester sees every share, a payer only their own; both
 * see the progress of the whole request.
 */
export interface MoneyRequest {
  readonly id: string;
  readonly requesterId: string;
  readonly role: 'requester' | 'payer';
  readonly currency: string;
  readonly totalMinor: bigint;
  readonly note: string | null;
  readonly status: MoneyRequestStatus;
  readonly progress: MoneyRequestProgress;
  readonly shares: readonly MoneyRequestShare[];
  readonly createdAt: Date;
  readonly closedAt: Date | null;
}

export interface PayShareInput {
  readonly confirmation?: string | undefined;
  readonly idempotencyKey: string;
}

export interface MoneyRequestPage {
  readonly role: 'sent' | 'received';
  readonly limit: number;
  readonly startingAfter?: string | undefined;
}

export interface MoneyRequests {
  create(
    requesterId: string,
    input: MoneyRequestInput,
  ): Promise<WalletResult<{ request: MoneyRequest }>>;
  /** Pays the caller's own pending share to the requester; a refusal leaves it pending. */
  pay(
    payerId: string,
    requestId: string,
    input: PayShareInput,
  ): Promise<WalletResult<{ request: MoneyRequest; transfer: WalletTransfer }>>;
  decline(payerId: string, requestId: string): Promise<WalletResult<{ request: MoneyRequest }>>;
  cancel(requesterId: string, requestId: string): Promise<WalletResult<{ request: MoneyRequest }>>;
  /** A request the user sent or was asked to pay; anybody else's is not found. */
  get(userId: string, requestId: string): Promise<MoneyRequest | undefined>;
  list(
    userId: string,
    page: MoneyRequestPage,
  ): Promise<{ readonly data: MoneyRequest[]; readonly hasMore: boolean }>;
}

export interface MoneyRequestsDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly wallet: WalletService;
  readonly identity: IdentityServices;
  /** Currencies users may hold. */
  readonly currencies: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// The pure core: which shares a request asks for, and what a user sees of it.

export interface SharePlan {
  readonly currency: string;
  readonly totalMinor: bigint;
  readonly shares: readonly ShareInput[];
  /** Where each payer came from in the input, for the `param` of a refusal. */
  readonly params: readonly string[];
}

/**
 * The shares of a request, or the rule the input breaks. It does not look the payers up. An
 * empty list or an amount that is not positive is a programmer error (the routes validate both).
 */
export function planShares(
  requesterId: string,
  input: MoneyRequestInput,
  currencies: readonly string[],
): WalletResult<{ plan: SharePlan }> {
  const split = 'total' in input;
  const payerIds = split ? input.payerIds : input.shares.map((s) => s.payerId);
  const params = payerIds.map((_, i) => (split ? `payers[${i}]` : `shares[${i}].payer`));
  const currency = split ? input.total.currency : input.currency;
  assert(payerIds.length > 0, 'a money request needs at least one payer');
  if (!currencies.includes(currency)) {
    return failure('currency_not_enabled', {
      param: split ? 'total.currency' : 'shares[0].amount.currency',
    });
  }
  if (payerIds.length > REQUEST_PAYERS_MAX) {
    return failure('too_many_payers', { param: split ? 'payers' : 'shares' });
  }
  const refused = checkPayers(requesterId, payerIds, params);
  if (refused !== undefined) return refused;
  const amounts = split
    ? splitEvenly(input.total.amountMinor, payerIds.length)
    : input.shares.map((s) => s.amountMinor);
  if (amounts.some((a) => a <= 0n)) {
    assert(split, 'every share of a money request must be positive');
    return failure('split_amount_too_small', { param: 'total.amount' });
  }
  const shares = payerIds.map((payerId, i) => ({ payerId, amountMinor: amounts[i] ?? 0n }));
  const totalMinor = amounts.reduce((sum, a) => sum + a, 0n);
  return { ok: true, plan: { currency, totalMinor, shares, params } };
}

function checkPayers(
  requesterId: string,
  payerIds: readonly string[],
  params: readonly string[],
): WalletResult<never> | undefined {
  const seen = new Set<string>();
  for (const [i, payerId] of payerIds.entries()) {
    if (payerId === requesterId) return failure('cannot_pay_self', { param: params[i] ?? '' });
    if (seen.has(payerId)) return failure('duplicate_payer', { param: params[i] ?? '' });
    seen.add(payerId);
  }
  return undefined;
}

/** What one user sees of a request (see MoneyRequest); undefined for anybody else. */
export function viewOf(
  request: RequestRecord,
  shares: readonly ShareRecord[],
  viewerId: string,
): MoneyRequest | undefined {
  const role = request.requesterId === viewerId ? 'requester' : 'payer';
  const visible = role === 'requester' ? shares : shares.filter((s) => s.payerId === viewerId);
  if (visible.length === 0) return undefined;
  const count = (status: ShareStatus) => shares.filter((s) => s.status === status).length;
  return {
    id: request.id,
    requesterId: request.requesterId,
    role,
    currency: request.currency,
    totalMinor: request.totalMinor,
    note: request.note,
    status: request.status,
    progress: {
      shareCount: shares.length,
      paidCount: count('paid'),
      declinedCount: count('declined'),
      pendingCount: count('pending'),
      paidMinor: shares.reduce((sum, s) => (s.status === 'paid' ? sum + s.amountMinor : sum), 0n),
    },
    shares: visible.map((s) => ({
      payerId: s.payerId,
      amountMinor: s.amountMinor,
      status: s.status,
      transferId: s.transferId,
      paidAt: s.paidAt,
      declinedAt: s.declinedAt,
    })),
    createdAt: request.createdAt,
    closedAt: request.closedAt,
  };
}

/**
 * Where a share's transfer stands. `moved`: the money left the payer for the requester (a risk
 * hold delivers it later); `undone`: it failed or was cancelled, so nothing moved and the next
 * attempt may pay; `under_way`: it is between the two.
 */
function stageOf(status: TransferStatus): 'moved' | 'undone' | 'under_way' {
  switch (status) {
    case 'completed':
    case 'held':
    case 'releasing':
      return 'moved';
    case 'failed':
    case 'cancelled':
      return 'undone';
    case 'processing':
    case 'cancelling':
      return 'under_way';
  }
}

/**
 * The idempotency key of a share's transfer. Concurrent payments of one share use the same key,
 * so the wallet makes one transfer of them. It contains spaces, which an Idempotency-Key header
 * cannot (printable ASCII without spaces), so no payment made through the API can take it.
 */
export function shareTransferKey(requestId: string, attempt: number): string {
  return `money request ${requestId} attempt ${attempt}`;
}

// ---------------------------------------------------------------------------------------------
// The service.

export function createMoneyRequests(deps: MoneyRequestsDeps): MoneyRequests {
  const { pool, clock, identity } = deps;
  const now = () => new Date(clock.nowMs());

  /** The payers as users, in order, or the first one that cannot be asked. */
  async function lookUpPayers(plan: SharePlan): Promise<WalletResult<{ payers: User[] }>> {
    const users = await Promise.all(plan.shares.map((s) => identity.identity.getUser(s.payerId)));
    for (const [i, user] of users.entries()) {
      const param = plan.params[i] ?? '';
      if (user === undefined) return failure('recipient_not_found', { param });
      if (!user.contactVerified) return failure('recipient_not_verified', { param });
    }
    return { ok: true, payers: users.filter((u) => u !== undefined) };
  }

  async function create(
    requesterId: string,
    input: MoneyRequestInput,
  ): Promise<WalletResult<{ request: MoneyRequest }>> {
    const planned = planShares(requesterId, input, deps.currencies);
    if (!planned.ok) return planned;
    const { plan } = planned;
    const requester = await identity.identity.requireVerified(requesterId);
    if (!requester.ok) return requester;
    const payers = await lookUpPayers(plan);
    if (!payers.ok) return payers;
    const nowMs = clock.nowMs();
    const request: RequestRecord = {
      id: `mrq_${ulidBody(nowMs, randomBytes(10))}`,
      requesterId,
      currency: plan.currency,
      totalMinor: plan.totalMinor,
      note: input.note ?? null,
      status: 'open',
      createdAt: new Date(nowMs),
      closedAt: null,
    };
    const shares = await withTransaction(pool, async (tx) => {
      await insertRequest(tx, request);
      const inserted: ShareRecord[] = [];
      for (const [position, share] of plan.shares.entries()) {
        inserted.push(await insertShare(tx, request, share, position));
        await appendUserEvent(
          tx,
          { userId: share.payerId, type: 'request.received', data: eventData(request, share) },
          request.createdAt,
        );
      }
      return inserted;
    });
    return { ok: true, request: visibleTo(request, shares, requesterId) };
  }

  async function view(db: Executor, requestId: string, userId: string) {
    const request = await selectRequest(db, requestId);
    if (request === undefined) return undefined;
    return viewOf(request, await selectShares(db, [requestId]), userId);
  }

  async function mustView(requestId: string, userId: string): Promise<MoneyRequest> {
    const found = await view(pool, requestId, userId);
    assert(found !== undefined, `money request ${requestId} vanished for ${userId}`);
    return found;
  }

  async function pay(
    payerId: string,
    requestId: string,
    input: PayShareInput,
  ): Promise<WalletResult<{ request: MoneyRequest; transfer: WalletTransfer }>> {
    for (let round = 0; round < PAY_ROUNDS_MAX; round += 1) {
      const found = await selectShareOf(pool, requestId, payerId);
      if (found === undefined) return failure('money_request_not_found', { param: 'id' });
      const { request, share } = found;
      if (share.status === 'paid') return paidAlready(share, input.idempotencyKey);
      if (share.status === 'declined') return failure('share_already_settled');
      if (request.status !== 'open') return failure('money_request_closed');
      const outcome = await attempt(request, share, input);
      if (outcome !== 'retry') return outcome;
    }
    return failure('share_payment_in_progress');
  }

  /** A share that is paid: the call that paid it, again, or another one (refused). */
  async function paidAlready(
    share: ShareRecord,
    idempotencyKey: string,
  ): Promise<WalletResult<{ request: MoneyRequest; transfer: WalletTransfer }>> {
    if (share.paidIdempotencyKey !== idempotencyKey || share.transferId === null) {
      return failure('share_already_settled');
    }
    const transfer = await selectTransfer(pool, share.transferId);
    assert(transfer !== undefined, `share of ${share.requestId} names a missing transfer`);
    return { ok: true, request: await mustView(share.requestId, share.payerId), transfer };
  }

  /** One try at paying a share with the transfer of its current attempt. */
  async function attempt(
    request: RequestRecord,
    share: ShareRecord,
    input: PayShareInput,
  ): Promise<WalletResult<{ request: MoneyRequest; transfer: WalletTransfer }> | 'retry'> {
    const key = shareTransferKey(request.id, share.paymentAttempt);
    const result = await deps.wallet.transfer(share.payerId, {
      recipientId: request.requesterId,
      amount: money(share.amountMinor, currencyOf(request.currency)),
      note: request.note ?? undefined,
      arrival: 'instant',
      confirmation: input.confirmation,
      // The requester asked for this money, so the payer knows whom they are paying.
      confirmNewPayee: true,
      idempotencyKey: key,
    });
    if (!result.ok) {
      await retireAttempt(share, key);
      return result;
    }
    const { transfer } = result;
    assert(
      transfer.payeeId === request.requesterId &&
        transfer.amountMinor === share.amountMinor &&
        transfer.currency === request.currency,
      `transfer ${transfer.id} under the key of a share does not pay that share`,
    );
    switch (stageOf(transfer.status)) {
      case 'moved':
        return recordPaid(request, share, transfer, input.idempotencyKey);
      case 'under_way':
        return failure('share_payment_in_progress');
      case 'undone':
        await retireAttempt(share, key);
        return 'retry';
    }
  }

  /**
   * A refusal before the transfer was recorded (step-up, limits) used nothing; one after it (the
   * ledger refused: insufficient funds) left a failed transfer under the key, so the share moves
   * to its next attempt. Only the transfer of the current attempt can retire it, so a late caller
   * with an old attempt changes nothing.
   */
  async function retireAttempt(share: ShareRecord, key: string): Promise<void> {
    const tried = await selectByKey(pool, share.payerId, key);
    if (tried === undefined || stageOf(tried.status) !== 'undone') return;
    await bumpAttempt(pool, share, now());
  }

  async function recordPaid(
    request: RequestRecord,
    share: ShareRecord,
    transfer: WalletTransfer,
    idempotencyKey: string,
  ): Promise<WalletResult<{ request: MoneyRequest; transfer: WalletTransfer }>> {
    await withTransaction(pool, async (tx) => {
      // The request's row is the lock of its shares: whoever settles the last one completes it.
      await lockRequest(tx, request.id);
      const at = now();
      if (await markPaid(tx, share, transfer.id, idempotencyKey, at)) {
        await appendUserEvent(
          tx,
          {
            userId: request.requesterId,
            type: 'request.paid',
            data: { ...eventData(request, share), transfer_id: transfer.id },
          },
          at,
        );
        await completeIfSettled(tx, request.id, at);
        return;
      }
      const current = await selectShareOf(tx, request.id, share.payerId);
      assert(
        current?.share.transferId === transfer.id,
        `share of ${request.id} is paid by another transfer than ${transfer.id}`,
      );
    });
    return { ok: true, request: await mustView(request.id, share.payerId), transfer };
  }

  async function decline(
    payerId: string,
    requestId: string,
  ): Promise<WalletResult<{ request: MoneyRequest }>> {
    const outcome = await withTransaction(pool, async (tx) => {
      await lockRequest(tx, requestId);
      const found = await selectShareOf(tx, requestId, payerId);
      if (found === undefined) return failure('money_request_not_found', { param: 'id' });
      const { request, share } = found;
      if (share.status !== 'pending') return failure('share_already_settled');
      if (request.status !== 'open') return failure('money_request_closed');
      const at = now();
      await markDeclined(tx, share, at);
      await appendUserEvent(
        tx,
        { userId: request.requesterId, type: 'request.declined', data: eventData(request, share) },
        at,
      );
      await completeIfSettled(tx, requestId, at);
      return { ok: true as const };
    });
    if (!outcome.ok) return outcome;
    return { ok: true, request: await mustView(requestId, payerId) };
  }

  async function cancel(
    requesterId: string,
    requestId: string,
  ): Promise<WalletResult<{ request: MoneyRequest }>> {
    const outcome = await withTransaction(pool, async (tx) => {
      const request = await lockRequest(tx, requestId);
      if (request === undefined || request.requesterId !== requesterId) {
        return failure('money_request_not_found', { param: 'id' });
      }
      if (request.status !== 'open') return failure('money_request_closed');
      await cancelRequest(tx, requestId, now());
      return { ok: true as const };
    });
    if (!outcome.ok) return outcome;
    return { ok: true, request: await mustView(requestId, requesterId) };
  }

  return {
    create,
    pay,
    decline,
    cancel,
    get: (userId, requestId) => view(pool, requestId, userId),
    async list(userId, page) {
      const rows = await selectPage(pool, userId, { ...page, limit: page.limit + 1 });
      const kept = rows.slice(0, page.limit);
      const ids = kept.map((r) => r.id);
      const shares = await selectShares(pool, ids);
      const sharesOf = (id: string) => shares.filter((s) => s.requestId === id);
      const data = kept.map((r) => visibleTo(r, sharesOf(r.id), userId));
      return { data, hasMore: rows.length > page.limit };
    },
  };
}

function visibleTo(
  request: RequestRecord,
  shares: readonly ShareRecord[],
  userId: string,
): MoneyRequest {
  const seen = viewOf(request, shares, userId);
  assert(seen !== undefined, `money request ${request.id} is not ${userId}'s`);
  return seen;
}

function currencyOf(code: string): Money['currency'] {
  assert(isCurrencyCode(code), `money request in unknown currency ${code}`);
  return code;
}

function eventData(request: RequestRecord, share: Pick<ShareInput, 'payerId' | 'amountMinor'>) {
  return {
    request_id: request.id,
    requester_id: request.requesterId,
    payer_id: share.payerId,
    amount_minor: String(share.amountMinor),
    currency: request.currency,
    note: request.note,
  };
}

// ---------------------------------------------------------------------------------------------
// The money_requests and money_request_shares tables, by hand; the executor comes first.

export interface RequestRecord {
  readonly id: string;
  readonly requesterId: string;
  readonly currency: string;
  readonly totalMinor: bigint;
  readonly note: string | null;
  readonly status: MoneyRequestStatus;
  readonly createdAt: Date;
  readonly closedAt: Date | null;
}

export interface ShareRecord {
  readonly requestId: string;
  readonly payerId: string;
  readonly amountMinor: bigint;
  readonly status: ShareStatus;
  readonly paymentAttempt: number;
  readonly transferId: string | null;
  readonly paidIdempotencyKey: string | null;
  readonly paidAt: Date | null;
  readonly declinedAt: Date | null;
}

interface RequestRow {
  id: string;
  requester_id: string;
  currency: string;
  total_minor: bigint;
  note: string | null;
  status: MoneyRequestStatus;
  created_at: Date;
  closed_at: Date | null;
}

interface ShareRow {
  request_id: string;
  payer_id: string;
  amount_minor: bigint;
  status: ShareStatus;
  payment_attempt: number;
  transfer_id: string | null;
  paid_idempotency_key: string | null;
  paid_at: Date | null;
  declined_at: Date | null;
}

const requestOf = (r: RequestRow): RequestRecord => ({
  id: r.id,
  requesterId: r.requester_id,
  currency: r.currency,
  totalMinor: r.total_minor,
  note: r.note,
  status: r.status,
  createdAt: r.created_at,
  closedAt: r.closed_at,
});

const shareOf = (r: ShareRow): ShareRecord => ({
  requestId: r.request_id,
  payerId: r.payer_id,
  amountMinor: r.amount_minor,
  status: r.status,
  paymentAttempt: r.payment_attempt,
  transferId: r.transfer_id,
  paidIdempotencyKey: r.paid_idempotency_key,
  paidAt: r.paid_at,
  declinedAt: r.declined_at,
});

const REQUEST_COLUMNS =
  'id, requester_id, currency, total_minor, note, status, created_at, closed_at';
const SHARE_COLUMNS = `request_id, payer_id, amount_minor, status, payment_attempt, transfer_id,
  paid_idempotency_key, paid_at, declined_at`;

async function insertRequest(tx: Executor, r: RequestRecord): Promise<void> {
  await tx.query(
    `INSERT INTO money_requests (id, requester_id, currency, total_minor, note, status,
       created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
    [r.id, r.requesterId, r.currency, r.totalMinor, r.note, r.status, r.createdAt],
  );
}

async function insertShare(
  tx: Executor,
  request: RequestRecord,
  share: ShareInput,
  position: number,
): Promise<ShareRecord> {
  const { rows } = await tx.query<ShareRow>(
    `INSERT INTO money_request_shares (request_id, requester_id, payer_id, position, amount_minor,
       status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)
     RETURNING ${SHARE_COLUMNS}`,
    [
      request.id,
      request.requesterId,
      share.payerId,
      position,
      share.amountMinor,
      request.createdAt,
    ],
  );
  assert(rows[0] !== undefined, 'INSERT … RETURNING returned no row');
  return shareOf(rows[0]);
}

async function selectRequest(db: Executor, id: string): Promise<RequestRecord | undefined> {
  const { rows } = await db.query<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM money_requests WHERE id = $1`,
    [id],
  );
  return rows[0] === undefined ? undefined : requestOf(rows[0]);
}

/** Locks a request's row for the rest of the transaction; its shares change under this lock. */
async function lockRequest(tx: Executor, id: string): Promise<RequestRecord | undefined> {
  const { rows } = await tx.query<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM money_requests WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return rows[0] === undefined ? undefined : requestOf(rows[0]);
}

async function selectShares(db: Executor, requestIds: readonly string[]): Promise<ShareRecord[]> {
  if (requestIds.length === 0) return [];
  const { rows } = await db.query<ShareRow>(
    `SELECT ${SHARE_COLUMNS} FROM money_request_shares
      WHERE request_id = ANY($1) ORDER BY request_id, position`,
    [requestIds],
  );
  return rows.map(shareOf);
}

/** A share with its request; both have a status, so the request's is renamed. */
type ShareOfRow = Omit<RequestRow, 'status'> & ShareRow & { request_status: MoneyRequestStatus };

async function selectShareOf(
  db: Executor,
  requestId: string,
  payerId: string,
): Promise<{ request: RequestRecord; share: ShareRecord } | undefined> {
  const { rows } = await db.query<ShareOfRow>(
    `SELECT r.id, r.requester_id, r.currency, r.total_minor, r.note, r.status AS request_status,
            r.created_at, r.closed_at, s.request_id, s.payer_id, s.amount_minor, s.status,
            s.payment_attempt, s.transfer_id, s.paid_idempotency_key, s.paid_at, s.declined_at
       FROM money_request_shares s JOIN money_requests r ON r.id = s.request_id
      WHERE s.request_id = $1 AND s.payer_id = $2`,
    [requestId, payerId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return { request: requestOf({ ...row, status: row.request_status }), share: shareOf(row) };
}

async function markPaid(
  tx: Executor,
  share: ShareRecord,
  transferId: string,
  idempotencyKey: string,
  now: Date,
): Promise<boolean> {
  // A payment that moved money is recorded even over a decline or a cancellation that came
  // while it was under way: the share says what happened to the money.
  const { rowCount } = await tx.query(
    `UPDATE money_request_shares
        SET status = 'paid', transfer_id = $3, paid_idempotency_key = $4, paid_at = $5,
            declined_at = NULL, updated_at = $5
      WHERE request_id = $1 AND payer_id = $2 AND status <> 'paid'`,
    [share.requestId, share.payerId, transferId, idempotencyKey, now],
  );
  return rowCount === 1;
}

async function markDeclined(tx: Executor, share: ShareRecord, now: Date): Promise<void> {
  const { rowCount } = await tx.query(
    `UPDATE money_request_shares SET status = 'declined', declined_at = $3, updated_at = $3
      WHERE request_id = $1 AND payer_id = $2 AND status = 'pending'`,
    [share.requestId, share.payerId, now],
  );
  assert(rowCount === 1, `share of ${share.requestId} changed under its request's lock`);
}

async function bumpAttempt(db: Executor, share: ShareRecord, now: Date): Promise<void> {
  await db.query(
    `UPDATE money_request_shares SET payment_attempt = payment_attempt + 1, updated_at = $4
      WHERE request_id = $1 AND payer_id = $2 AND payment_attempt = $3 AND status <> 'paid'`,
    [share.requestId, share.payerId, share.paymentAttempt, now],
  );
}

/** Completes an open request once no share is pending; the caller holds the request's lock. */
async function completeIfSettled(tx: Executor, requestId: string, now: Date): Promise<void> {
  await tx.query(
    `UPDATE money_requests SET status = 'completed', closed_at = $2, updated_at = $2
      WHERE id = $1 AND status = 'open' AND NOT EXISTS (
        SELECT 1 FROM money_request_shares WHERE request_id = $1 AND status = 'pending')`,
    [requestId, now],
  );
}

async function cancelRequest(tx: Executor, requestId: string, now: Date): Promise<void> {
  const { rowCount } = await tx.query(
    `UPDATE money_requests SET status = 'cancelled', closed_at = $2, updated_at = $2
      WHERE id = $1 AND status = 'open'`,
    [requestId, now],
  );
  assert(rowCount === 1, `request ${requestId} changed under its lock`);
}

/** Requests a user sent, or was asked to pay, newest first, after the cursor. */
async function selectPage(
  db: Executor,
  userId: string,
  page: MoneyRequestPage,
): Promise<RequestRecord[]> {
  const { rows } = await db.query<RequestRow>(
    page.role === 'sent'
      ? `SELECT ${REQUEST_COLUMNS} FROM money_requests
          WHERE requester_id = $1 AND ($2::text IS NULL OR id < $2)
          ORDER BY id DESC LIMIT $3`
      : `SELECT r.id, r.requester_id, r.currency, r.total_minor, r.note, r.status, r.created_at,
                r.closed_at
           FROM money_request_shares s JOIN money_requests r ON r.id = s.request_id
          WHERE s.payer_id = $1 AND ($2::text IS NULL OR s.request_id < $2)
          ORDER BY s.request_id DESC LIMIT $3`,
    [userId, page.startingAfter ?? null, page.limit],
  );
  return rows.map(requestOf);
}
