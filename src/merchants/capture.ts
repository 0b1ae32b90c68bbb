import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { appendUserEvents, enqueueWebhookEvent } from '../events/index.js';
import type { IdentityServices } from '../identity/index.js';
import type { DomainWrite, Ledger, TransferCommand, TransferResultCode } from '../ledger/index.js';
import { assert } from '../lib/assert.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import type { WalletFailure } from '../wallet/index.js';
import type { MerchantFailure } from './codes.js';
import { selectMerchant } from './merchants.js';
import { feeLeg, succeeded } from './pay-claimed-intent.js';
import {
  chainCode,
  feeOf,
  holdGone,
  intentEventData,
  linked,
  notCapturable,
  type ClaimedIntent,
} from './payments-core.js';
import {
  cancelHeldIntent,
  claimHold,
  intentOf,
  markIntentHeld,
  releaseHoldClaim,
  selectExpiredHolds,
  selectIntent,
  selectStuckHoldClaims,
} from './payments-sql.js';
import type { PaymentIntent, PaymentResult } from './payments-types.js';

/**
 * Manual capture: confirming holds the amount on the payer's wallet (a pending ledger transfer
 * the ledger voids by itself when it runs out); the merchant captures it, in full or in part,
 * or cancels it. A capture or cancellation first claims the hold on the intent's row, so of
 * concurrent ones exactly one reaches the ledger.
 */
export interface CaptureDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly identity: IdentityServices;
}

export interface Capture {
  /** Holds a claimed intent's amount; what the ledger answered. */
  hold(c: ClaimedIntent): Promise<TransferResultCode | undefined>;
  capture(
    merchantId: string,
    intentId: string,
    amountMinor: bigint | undefined,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>>;
  /** The merchant cancels a held payment: the hold is voided, the money is the payer's again. */
  cancelHold(intent: PaymentIntent): Promise<PaymentResult<{ intent: PaymentIntent }>>;
  /** Job: expired holds are cancelled, claims on holds a crash left are given up. */
  recoverHolds(): Promise<number>;
}

export function createCapture(deps: CaptureDeps): Capture {
  const { pool, clock, ledger, identity } = deps;
  const now = () => new Date(clock.nowMs());

  /** The domain write of a hold: the intent waits for capture until the hold runs out. */
  function held(c: ClaimedIntent, ttlSeconds: number): DomainWrite {
    const { intent, merchant, at } = c;
    return async (tx, result) => {
      // The ledger voids the hold this long after it committed it.
      assert(result.transfer !== undefined, `hold ${result.id} committed without its transfer`);
      const expiresAt = new Date(result.transfer.createdAtMs + ttlSeconds * 1000);
      await markIntentHeld(tx, intent.id, expiresAt, at);
      const data = {
        payment_intent_id: intent.id,
        merchant_id: merchant.id,
        transfer_id: result.id,
        amount_minor: String(intent.amountMinor),
        currency: intent.currency,
      };
      await appendUserEvents(tx, [{ userId: c.payerId, type: 'balance.changed', data }], at);
      const changes = {
        status: 'requires_capture' as const,
        payerId: c.payerId,
        authorizationExpiresAt: expiresAt,
      };
      await enqueueWebhookEvent(
        tx,
        {
          owner: merchant.id,
          type: 'payment_intent.requires_capture',
          data: intentEventData(intent, changes),
        },
        at,
      );
    };
  }

  async function hold(c: ClaimedIntent): Promise<TransferResultCode | undefined> {
    const ttlSeconds = limits.paymentAuthorizationTtlSeconds;
    const command: TransferCommand = {
      id: c.transferId,
      debitAccountId: c.walletId,
      creditAccountId: c.merchant.accountId,
      amountMinor: c.intent.amountMinor,
      currency: c.intent.currency,
      code: 'merchant_authorization',
      flags: { pending: true },
      timeoutSeconds: ttlSeconds,
    };
    return chainCode(await ledger.transferChain([command], [held(c, ttlSeconds)]));
  }

  /**
   * A held intent is cancelled: by the merchant (in the void's own transaction) or because its
   * hold ran out. The payer's limits get the whole amount back.
   */
  async function closeHold(
    tx: Executor,
    intent: PaymentIntent,
    reason: 'requested_by_merchant' | 'authorization_expired',
    claimId: string | null,
  ): Promise<void> {
    const at = now();
    const closed = await cancelHeldIntent(tx, intent.id, reason, claimId, at);
    if (closed === undefined) return;
    if (closed.limit_reserved_at !== null) {
      const reservedMinor = closed.limit_reserved_minor ?? closed.amount_minor;
      await identity.paymentLimits.release(
        tx,
        closed.payer_id!,
        reservedMinor,
        closed.limit_reserved_at,
      );
    }
    const data = {
      payment_intent_id: intent.id,
      merchant_id: intent.merchantId,
      amount_minor: String(intent.amountMinor),
      currency: intent.currency,
    };
    await appendUserEvents(tx, [{ userId: closed.payer_id!, type: 'balance.changed', data }], at);
    await enqueueWebhookEvent(
      tx,
      {
        owner: intent.merchantId,
        type: 'payment_intent.canceled',
        data: intentEventData(intentOf(closed)),
      },
      at,
    );
  }

  /** The hold ran out (the ledger voided it, or will): the intent is cancelled. */
  async function expireHold(intent: PaymentIntent): Promise<void> {
    await withTransaction(pool, (tx) => closeHold(tx, intent, 'authorization_expired', null));
  }

  /** What a capture or cancellation the ledger did not take comes to. */
  async function holdRefused(
    intent: PaymentIntent,
    claimId: string,
    code: TransferResultCode | undefined,
  ): Promise<MerchantFailure | WalletFailure> {
    if (holdGone(code)) {
      await expireHold(intent);
      return failure('payment_authorization_expired');
    }
    await releaseHoldClaim(pool, intent.id, claimId, now());
    if (code === 'account_frozen') return failure('wallet_frozen');
    throw new Error(`unexpected ledger result for the hold of ${intent.id}: ${code}`);
  }

  async function capture(
    merchantId: string,
    intentId: string,
    amountMinor: bigint | undefined,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>> {
    const intent = await selectIntent(pool, intentId);
    if (intent === undefined || intent.merchantId !== merchantId) {
      return failure('payment_intent_not_found', { param: 'id' });
    }
    if (intent.status !== 'requires_capture') return notCapturable(intent);
    const capturedMinor = amountMinor ?? intent.amountMinor;
    if (capturedMinor > intent.amountMinor) {
      return failure('capture_exceeds_authorization', { param: 'amount' });
    }
    const merchant = await selectMerchant(pool, merchantId);
    assert(merchant !== undefined, `merchant ${merchantId} of ${intent.id} is gone`);
    const at = now();
    const postId = newId('trf', at.getTime());
    if (!(await claimHold(pool, intent.id, 'capture', postId, capturedMinor, at))) {
      return notCapturable(await selectIntent(pool, intent.id));
    }
    const fee = feeOf(capturedMinor, merchant.feeRateBp);
    const post: TransferCommand = {
      id: postId,
      pendingId: intent.transferId!,
      amountMinor: capturedMinor,
      code: 'merchant_capture',
      flags: { postPending: true },
    };
    const chain = linked([
      post,
      ...(fee > 0n ? [await feeLeg(ledger, merchant, intent.currency, fee, at)] : []),
    ]);
    const write = succeeded(identity, intent, merchant, intent.payerId!, {
      amountMinor: capturedMinor,
      feeMinor: fee,
      at,
      claimId: postId,
      extra: {},
    });
    const code = chainCode(await ledger.transferChain(chain, [write]));
    if (code === 'ok' || code === 'exists') {
      return { ok: true, intent: (await selectIntent(pool, intent.id))! };
    }
    return holdRefused(intent, postId, code);
  }

  /** The void of a held intent's hold, with `closeHold` as its domain write. */
  function voidHold(
    intent: PaymentIntent,
    voidId: string,
    reason: 'requested_by_merchant' | 'authorization_expired',
  ) {
    const command: TransferCommand = {
      id: voidId,
      pendingId: intent.transferId!,
      code: 'merchant_authorization_void',
      flags: { voidPending: true },
    };
    const claimId = reason === 'requested_by_merchant' ? voidId : null;
    return ledger.transferChain([command], [(tx) => closeHold(tx, intent, reason, claimId)]);
  }

  async function cancelHold(
    intent: PaymentIntent,
  ): Promise<PaymentResult<{ intent: PaymentIntent }>> {
    const at = now();
    const voidId = newId('trf', at.getTime());
    if (!(await claimHold(pool, intent.id, 'cancel', voidId, null, at))) {
      return failure('payment_intent_not_cancelable');
    }
    const code = chainCode(await voidHold(intent, voidId, 'requested_by_merchant'));
    // A hold that ran out is cancelled all the same: the merchant asked for nothing else.
    if (code === 'ok' || code === 'exists' || holdGone(code)) {
      if (holdGone(code)) await expireHold(intent);
      return { ok: true, intent: (await selectIntent(pool, intent.id))! };
    }
    return holdRefused(intent, voidId, code);
  }

  /**
   * Held intents whose hold has run out are cancelled once the ledger no longer holds the
   * money. The job first lets the ledger expire the holds that are due (the ledger's own worker
   * does the same; expiring twice is harmless), then asks the ledger about each hold by voiding
   * it: a hold that expired answers `pending_transfer_expired` and moves nothing, one a capture
   * took first answers `pending_transfer_already_posted`.
   */
  async function recoverHolds(): Promise<number> {
    const at = now();
    const due = await selectExpiredHolds(pool, at, limits.walletJobBatchSizeMax);
    if (due.length > 0) await ledger.expireDueHolds();
    for (const row of due) {
      const intent = intentOf(row);
      const [result] = await voidHold(intent, newId('trf', at.getTime()), 'authorization_expired');
      if (holdGone(result?.code)) await expireHold(intent);
    }
    // A capture or cancellation whose transfer never reached the ledger (a crash) gives way.
    const before = new Date(clock.nowMs() - limits.merchantUnsettledAfterMs);
    const stuck = await selectStuckHoldClaims(pool, before, limits.walletJobBatchSizeMax);
    for (const row of stuck) {
      const [moved] = await ledger.getTransfers([row.resolution_transfer_id!]);
      if (moved === undefined) {
        await releaseHoldClaim(pool, row.id, row.resolution_transfer_id!, now());
      }
    }
    return due.length + stuck.length;
  }

  return { hold, capture, cancelHold, recoverHolds };
}
