/**
 * Funding through the payment gateway: how a prepared top-up or withdrawal moves on, and what the
 * gateway's events do to it. `createFunding` puts cards, top-ups and withdrawals together.
 *
 * A movement goes: recorded (`processing`) → its hold in the ledger (`pending`, in the hold's own
 * transaction) → the charge or payout asked for at the gateway, with the movement's id as the
 * reference → the gateway's final event posts the hold (`succeeded`) or voids it (`failed`), in
 * one transaction with the status, the processed event id and the user's events.
 *
 * Callbacks come signed, at least once, possibly late or out of order, or not at all. They are
 * verified on the raw body; an event id already processed changes nothing; an event applies only
 * when its per-movement sequence is above the last one applied, so a `pending` event after the
 * final one is ignored; and the post or void of a hold has an id derived from the movement, so
 * that two deliveries racing each other resolve it once. Lost callbacks are made up for by
 * `pollStale`, which asks the gateway about movements that have been quiet for too long.
 */
import { createHash } from 'node:crypto';
import { limits } from '../limits.js';
import { withTransaction, type Executor } from '../db/index.js';
import { appendUserEvent, type UserEventType } from '../events/index.js';
import type {
  CreateMovementCode,
  CreateMovementResult,
  GatewayEvent,
  GetMovementResult,
  MovementInput,
  VerifyCallbackResult,
} from '../gateway/index.js';
import type { User } from '../identity/index.js';
import type { TransferResultCode } from '../ledger/index.js';
import { assert } from '../lib/assert.js';
import { failure } from '../lib/code-spec.js';
import { ulidBody } from '../lib/ids.js';
import { isCurrencyCode } from '../money/index.js';
import { ensureSystemAccount, ensureWalletAccount } from './accounts.js';
import {
  createCards,
  type BindCardInput,
  type Card,
  type Cards,
  type FundingDeps,
  type FundingMovement,
  type FundingResult,
  type MovementStore,
  type Settlement,
} from './cards.js';
import type { WalletFailure } from './codes.js';
import type { FundingFailure } from './funding-codes.js';
import { prepareTopup, topupStore, type Topup, type TopupInput } from './topups.js';
import {
  prepareWithdrawal,
  releaseWithdrawalLimit,
  withdrawalStore,
  type Withdrawal,
  type WithdrawalInput,
} from './withdrawals.js';

/** A pending movement with no news from the gateway for this long is asked about. */
export const FUNDING_POLL_AFTER_MS = limits.fundingPollAfterMs;
/**
 * A movement still `processing` after this long lost its request half-way (the process died
 * before the hold); with no hold in the ledger it is failed. Long enough that no request that
 * is still running can be overtaken.
 */
export const FUNDING_ABANDON_AFTER_MS = limits.fundingAbandonAfterMs;
/** Movements of each kind looked at per `pollStale` pass. */
export const FUNDING_POLL_BATCH_MAX = limits.fundingPollBatchMax;
/** How often the poll job should run. */
export const FUNDING_POLL_INTERVAL_MS = limits.fundingPollIntervalMs;
/** Processed event ids are kept this long: far past the gateway's last retry of an event. */
export const GATEWAY_EVENT_RETENTION_MS = limits.gatewayEventRetentionMs;
export const GATEWAY_EVENT_PURGE_BATCH_MAX = limits.gatewayEventPurgeBatchMax;
/** The sequence of a movement's final state (pending is 1): what a polled answer counts as. */
const FINAL_SEQUENCE = 2;

/** What a callback did: changed something, was a repeat of a processed event, or was stale. */
export type CallbackOutcome = 'applied' | 'duplicate' | 'ignored';

export interface Funding {
  bindCard(userId: string, input: BindCardInput): Promise<FundingResult<{ card: Card }>>;
  listCards(userId: string): Promise<Card[]>;
  removeCard(userId: string, cardId: string): Promise<FundingResult<{ card: Card }>>;
  topUp(userId: string, input: TopupInput): Promise<FundingResult<{ topup: Topup }>>;
  /** The user's own top-up; anyone else's is undefined. */
  getTopup(userId: string, topupId: string): Promise<Topup | undefined>;
  withdraw(
    userId: string,
    input: WithdrawalInput,
  ): Promise<FundingResult<{ withdrawal: Withdrawal }>>;
  getWithdrawal(userId: string, withdrawalId: string): Promise<Withdrawal | undefined>;
  /** A callback from the gateway: the raw body exactly as received, and its signature header. */
  handleCallback(
    rawBody: string,
    signatureHeader: string | undefined,
  ): Promise<FundingResult<{ outcome: CallbackOutcome }>>;
  /** Job: asks the gateway about quiet movements and abandons half-done ones; how many seen. */
  pollStale(): Promise<number>;
  /** Job: forgets processed event ids past their retention; how many. */
  purgeEvents(): Promise<number>;
}

/** What differs between top-ups and withdrawals, for the machinery they share. */
interface Kind<M extends FundingMovement> {
  readonly name: 'topup' | 'withdrawal';
  readonly store: MovementStore<M>;
  /** A top-up's hold brings money into the wallet; a withdrawal's takes it out. */
  readonly direction: 'in' | 'out';
  create(input: MovementInput): Promise<CreateMovementResult>;
  get(gatewayId: string): Promise<GetMovementResult>;
  /** Undoes what preparing did besides the record, in the transaction that fails it. */
  onFailed(tx: Executor, movement: M): Promise<void>;
}

/** What resolving a hold came to; `deferred` when the ledger cannot do it now. */
type Resolution = 'applied' | 'ignored' | 'deferred';

/**
 * The post or void of a movement's hold. Derived from the movement, so that every attempt (a
 * callback, its duplicate, a poll) names the same ledger transfer and it happens once.
 */
function resolutionId(movement: FundingMovement, purpose: 'post' | 'void'): string {
  const random = createHash('sha256').update(`${movement.id}\u0000${purpose}`).digest();
  return `trf_${ulidBody(movement.createdAt.getTime(), random.subarray(0, 10))}`;
}

async function eventSeen(db: Executor, eventId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM gateway_events WHERE event_id = $1', [eventId]);
  return rows.length > 0;
}

async function recordEvent(db: Executor, eventId: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO gateway_events (event_id, processed_at) VALUES ($1, $2)
     ON CONFLICT (event_id) DO NOTHING`,
    [eventId, now],
  );
}

function holdFailure(code: TransferResultCode): WalletFailure {
  switch (code) {
    case 'exceeds_credits':
      return failure('insufficient_funds', { param: 'amount' });
    case 'account_frozen':
    case 'account_closed':
      return failure('wallet_frozen');
    default:
      throw new Error(`unexpected ledger result for a funding hold: ${code}`);
  }
}

/** A refusal of the gateway to create the movement: nothing happened there. */
function createFailure(code: Exclude<CreateMovementCode, 'timeout' | 'gateway_unavailable'>) {
  switch (code) {
    case 'card_token_unknown':
      return failure('card_unusable', { param: 'card_id' });
    case 'card_expired':
      return failure('card_expired', { param: 'card_id' });
    case 'amount_invalid':
      return failure('amount_not_accepted', { param: 'amount' });
    case 'reference_reused':
      // References are movement ids, used with one card and amount only.
      throw new Error('the gateway saw a movement reference reused with other details');
  }
}

function callbackFailure(
  reason: Extract<VerifyCallbackResult, { ok: false }>['reason'],
  signatureHeader: string | undefined,
): FundingFailure {
  switch (reason) {
    case 'bad_signature':
      return failure('callback_signature_invalid');
    case 'stale_timestamp':
      return failure('callback_stale');
    case 'malformed':
      return signatureHeader === undefined
        ? failure('callback_signature_invalid', { detail: 'The callback is not signed.' })
        : failure('callback_malformed');
  }
}

/** The machinery of one kind of movement, from its hold to its final state. */
function movements<M extends FundingMovement>(deps: FundingDeps, cards: Cards, kind: Kind<M>) {
  const { pool, clock, ledger } = deps;
  const now = () => new Date(clock.nowMs());

  async function announce(
    tx: Executor,
    movement: M,
    types: readonly UserEventType[],
    status: string,
    failureCode: string | null,
  ): Promise<void> {
    const data = {
      [`${kind.name}_id`]: movement.id,
      amount_minor: String(movement.amountMinor),
      currency: movement.currency,
      status,
      failure_code: failureCode,
    };
    for (const type of types) {
      await appendUserEvent(tx, { userId: movement.userId, type, data }, now());
    }
  }

  /** Fails a movement that has no hold, giving back what preparing took. */
  async function abandon(movement: M, code: string): Promise<void> {
    await withTransaction(pool, async (tx) => {
      if (await kind.store.abandon(tx, movement.id, code, now())) await kind.onFailed(tx, movement);
    });
  }

  /** Puts the hold in the ledger; the status moves to `pending` in the same transaction. */
  async function hold(movement: M, user: User): Promise<FundingResult<object>> {
    const wallet = await ensureWalletAccount(pool, ledger, user, movement.currency, now());
    const clearing = await ensureSystemAccount(ledger, 'bank_clearing', movement.currency);
    const incoming = kind.direction === 'in';
    const result = await ledger.transfer(
      {
        id: movement.id,
        debitAccountId: incoming ? clearing : wallet,
        creditAccountId: incoming ? wallet : clearing,
        amountMinor: movement.amountMinor,
        currency: movement.currency,
        code: kind.name,
        flags: { pending: true },
      },
      async (tx) => {
        // A poll that gave up on the movement meanwhile wins: throwing keeps the hold out.
        const held = await kind.store.markHeld(tx, movement.id, now());
        assert(held, `${kind.name} ${movement.id} was abandoned before its hold`);
        await announce(tx, movement, ['balance.changed'], 'pending', null);
      },
    );
    if (result.code === 'ok' || result.code === 'exists') return { ok: true };
    const refused = holdFailure(result.code);
    await abandon(movement, refused.code);
    return refused;
  }

  /**
   * Posts or voids the hold of a pending movement, with its final status (and, for a callback,
   * its event id) in the same transaction. Another attempt that got there first makes this one
   * `ignored`.
   */
  async function resolve(
    movement: M,
    settlement: Settlement,
    eventId: string | undefined,
  ): Promise<Resolution> {
    const succeeded = settlement.status === 'succeeded';
    const result = await ledger.transfer(
      {
        id: resolutionId(movement, succeeded ? 'post' : 'void'),
        pendingId: movement.id,
        flags: succeeded ? { postPending: true } : { voidPending: true },
      },
      async (tx) => {
        const settled = await kind.store.settle(tx, movement.id, settlement, now());
        assert(settled, `${kind.name} ${movement.id} was not pending when its hold resolved`);
        if (!succeeded) await kind.onFailed(tx, movement);
        if (eventId !== undefined) await recordEvent(tx, eventId, now());
        const type: UserEventType = `${kind.name}.${settlement.status}`;
        await announce(
          tx,
          movement,
          [type, 'balance.changed'],
          settlement.status,
          settlement.failureCode,
        );
      },
    );
    switch (result.code) {
      case 'ok':
        return 'applied';
      case 'exists':
      case 'pending_transfer_already_posted':
      case 'pending_transfer_already_voided':
        return 'ignored';
      // The money cannot move into or out of this wallet now; a later callback or poll retries.
      case 'account_frozen':
      case 'account_closed':
        return 'deferred';
      default:
        throw new Error(`unexpected ledger result resolving ${kind.name} ${movement.id}`);
    }
  }

  function checkSame(movement: M, amountMinor: bigint, currency: string): void {
    assert(
      movement.amountMinor === amountMinor && movement.currency === currency,
      `the gateway reports another amount for ${kind.name} ${movement.id}`,
    );
  }

  /** Asks the gateway how a pending movement with a known gateway id stands. */
  async function refresh(movement: M, gatewayId: string): Promise<void> {
    const answer = await kind.get(gatewayId);
    if (!answer.ok && answer.code === 'not_found') {
      // The gateway forgot the movement (the sandbox bank restarted): no money moved there.
      await resolve(
        movement,
        { status: 'failed', failureCode: 'gateway_not_found', gatewayId, sequence: 0 },
        undefined,
      );
      return;
    }
    if (!answer.ok || answer.status === 'pending') {
      await kind.store.touch(pool, movement.id, now());
      return;
    }
    checkSame(movement, answer.amountMinor, answer.currency);
    const settlement: Settlement = {
      status: answer.status,
      failureCode: answer.status === 'failed' ? (answer.failureCode ?? 'gateway_failed') : null,
      gatewayId: answer.id,
      sequence: FINAL_SEQUENCE,
    };
    await resolve(movement, settlement, undefined);
  }

  /**
   * Asks the gateway to create the charge or payout; always safe to repeat, because the
   * reference is the movement's id. When the answer does not come, the movement stays pending
   * and a poll asks again later.
   */
  async function request(movement: M, card: Card): Promise<FundingResult<object>> {
    assert(isCurrencyCode(movement.currency), `currency ${movement.currency}`);
    const answer = await kind.create({
      reference: movement.id,
      cardToken: card.token,
      amountMinor: movement.amountMinor,
      currency: movement.currency,
    });
    if (answer.ok) {
      await kind.store.note(pool, movement.id, answer.id, 0, now());
      if (answer.status !== 'pending') await refresh(movement, answer.id);
      return { ok: true };
    }
    if (answer.code === 'timeout' || answer.code === 'gateway_unavailable') {
      await kind.store.touch(pool, movement.id, now());
      return { ok: true };
    }
    const refused = createFailure(answer.code);
    await resolve(
      movement,
      { status: 'failed', failureCode: answer.code, gatewayId: null, sequence: 0 },
      undefined,
    );
    return refused;
  }

  /** Moves a freshly prepared movement on: its hold, then the request to the gateway. */
  async function start(movement: M, user: User, card: Card): Promise<FundingResult<object>> {
    const held = await hold(movement, user);
    if (!held.ok) return held;
    return request({ ...movement, status: 'pending' }, card);
  }

  /** What a verified event from the gateway does to its movement. */
  async function apply(event: GatewayEvent): Promise<Resolution> {
    const ignore = async (): Promise<Resolution> => {
      await recordEvent(pool, event.id, now());
      return 'ignored';
    };
    const movement = await kind.store.select(pool, event.reference);
    // A reference that names nothing of ours (another environment's, say) is acknowledged.
    if (movement === undefined) return ignore();
    checkSame(movement, event.amountMinor, event.currency);
    assert(
      movement.gatewayId === null || movement.gatewayId === event.objectId,
      `${kind.name} ${movement.id} has an event of another gateway object`,
    );
    const final = movement.status === 'succeeded' || movement.status === 'failed';
    if (final || event.sequence <= movement.gatewaySequence) return ignore();
    if (event.type.endsWith('.pending')) {
      await withTransaction(pool, async (tx) => {
        await kind.store.note(tx, movement.id, event.objectId, event.sequence, now());
        await recordEvent(tx, event.id, now());
      });
      return 'applied';
    }
    // The gateway cannot know a movement before its hold: ask again once the hold is there.
    if (movement.status === 'processing') return 'deferred';
    const settlement: Settlement = {
      status: event.type.endsWith('.succeeded') ? 'succeeded' : 'failed',
      failureCode: event.type.endsWith('.succeeded')
        ? null
        : (event.failureCode ?? 'gateway_failed'),
      gatewayId: event.objectId,
      sequence: event.sequence,
    };
    const resolved = await resolve(movement, settlement, event.id);
    return resolved === 'ignored' ? ignore() : resolved;
  }

  /** Looks at one quiet movement: abandons it, asks the gateway again, or asks how it stands. */
  async function poll(movement: M): Promise<void> {
    if (movement.status === 'processing') {
      const [held] = await ledger.getTransfers([movement.id]);
      // The hold commits with the status, so a movement still processing has none.
      if (held === undefined) await abandon(movement, 'abandoned');
      return;
    }
    if (movement.gatewayId !== null) {
      await refresh(movement, movement.gatewayId);
      return;
    }
    const card = await cards.get(movement.cardId);
    assert(card !== undefined, `${kind.name} ${movement.id} has lost its card`);
    await request(movement, card);
  }

  return {
    start,
    apply,
    async pollStale(bounds: Parameters<MovementStore<M>['selectStale']>[1]): Promise<number> {
      const stale = await kind.store.selectStale(pool, bounds);
      for (const movement of stale) await poll(movement);
      return stale.length;
    },
  };
}

export function createFunding(deps: FundingDeps): Funding {
  const { pool, clock, gateway } = deps;
  const cards = createCards(deps);
  const topups = movements<Topup>(deps, cards, {
    name: 'topup',
    store: topupStore,
    direction: 'in',
    create: (input) => gateway.createCharge(input),
    get: (id) => gateway.getCharge(id),
    onFailed: async () => undefined,
  });
  const withdrawals = movements<Withdrawal>(deps, cards, {
    name: 'withdrawal',
    store: withdrawalStore,
    direction: 'out',
    create: (input) => gateway.createPayout(input),
    get: (id) => gateway.getPayout(id),
    onFailed: (tx, withdrawal) => releaseWithdrawalLimit(tx, deps, withdrawal),
  });

  return {
    bindCard: (userId, input) => cards.bind(userId, input),
    listCards: (userId) => cards.list(userId),
    removeCard: (userId, cardId) => cards.remove(userId, cardId),

    async topUp(userId, input) {
      const prepared = await prepareTopup(deps, cards, userId, input);
      if (!prepared.ok) return prepared;
      if (prepared.replay) return { ok: true, topup: prepared.topup };
      const started = await topups.start(prepared.topup, prepared.user, prepared.card);
      if (!started.ok) return started;
      const topup = (await topupStore.select(pool, prepared.topup.id)) ?? prepared.topup;
      return { ok: true, topup };
    },
    async getTopup(userId, topupId) {
      const topup = await topupStore.select(pool, topupId);
      return topup?.userId === userId ? topup : undefined;
    },

    async withdraw(userId, input) {
      const prepared = await prepareWithdrawal(deps, cards, userId, input);
      if (!prepared.ok) return prepared;
      if (prepared.replay) return { ok: true, withdrawal: prepared.withdrawal };
      const { withdrawal, user, card } = prepared;
      const started = await withdrawals.start(withdrawal, user, card);
      if (!started.ok) return started;
      return {
        ok: true,
        withdrawal: (await withdrawalStore.select(pool, withdrawal.id)) ?? withdrawal,
      };
    },
    async getWithdrawal(userId, withdrawalId) {
      const withdrawal = await withdrawalStore.select(pool, withdrawalId);
      return withdrawal?.userId === userId ? withdrawal : undefined;
    },

    async handleCallback(rawBody, signatureHeader) {
      const verified = gateway.verifyCallback(rawBody, signatureHeader, clock.nowMs());
      if (!verified.ok) return callbackFailure(verified.reason, signatureHeader);
      const { event } = verified;
      if (await eventSeen(pool, event.id)) return { ok: true, outcome: 'duplicate' };
      const kind = event.type.startsWith('charge.') ? topups : withdrawals;
      const outcome = await kind.apply(event);
      if (outcome === 'deferred') return failure('callback_deferred');
      return { ok: true, outcome };
    },

    async pollStale() {
      const nowMs = clock.nowMs();
      const bounds = {
        pendingBefore: new Date(nowMs - FUNDING_POLL_AFTER_MS),
        processingBefore: new Date(nowMs - FUNDING_ABANDON_AFTER_MS),
        limit: FUNDING_POLL_BATCH_MAX,
      };
      return (await topups.pollStale(bounds)) + (await withdrawals.pollStale(bounds));
    },

    async purgeEvents() {
      const { rowCount } = await pool.query(
        `DELETE FROM gateway_events WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM gateway_events WHERE processed_at < $1 LIMIT $2))`,
        [new Date(clock.nowMs() - GATEWAY_EVENT_RETENTION_MS), GATEWAY_EVENT_PURGE_BATCH_MAX],
      );
      return rowCount ?? 0;
    },
  };
}
