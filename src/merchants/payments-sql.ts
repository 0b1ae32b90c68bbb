import type { Executor } from '../db/index.js';
import type { Conversion, IntentStatus, PaymentIntent, Refund } from './payments-types.js';

/**
 * The SQL of payment intents and refunds. Every function takes the executor first, so it is
 * always visible which transaction a read or write belongs to.
 */
export interface IntentRow {
  id: string;
  merchant_id: string;
  amount_minor: bigint;
  currency: string;
  description: string | null;
  metadata: Record<string, string>;
  capture_method: 'automatic' | 'manual';
  status: IntentStatus;
  reference: string;
  expires_at: Date;
  payer_id: string | null;
  transfer_id: string | null;
  fee_minor: bigint;
  amount_received_minor: bigint;
  amount_refunded_minor: bigint;
  cancellation_reason: string | null;
  reserved_for: string | null;
  limit_reserved_at: Date | null;
  limit_reserved_minor: bigint | null;
  authorization_expires_at: Date | null;
  resolution: 'capture' | 'cancel' | null;
  resolution_transfer_id: string | null;
  conversion_currency: string | null;
  conversion_amount_minor: bigint | null;
  /** numeric columns arrive as text. */
  conversion_rate_numerator: string | null;
  conversion_rate_denominator: string | null;
  conversion_quote_id: string | null;
  created_at: Date;
  updated_at: Date;
  paid_at: Date | null;
}

function conversionOf(r: IntentRow): Conversion | null {
  if (r.conversion_currency === null) return null;
  return {
    from: { amountMinor: r.conversion_amount_minor!, currency: r.conversion_currency },
    rate: {
      numerator: BigInt(r.conversion_rate_numerator!),
      denominator: BigInt(r.conversion_rate_denominator!),
    },
    quoteId: r.conversion_quote_id!,
  };
}

export const intentOf = (r: IntentRow): PaymentIntent => ({
  id: r.id,
  merchantId: r.merchant_id,
  amountMinor: r.amount_minor,
  currency: r.currency,
  description: r.description,
  metadata: r.metadata,
  captureMethod: r.capture_method,
  status: r.status,
  reference: r.reference,
  expiresAt: r.expires_at,
  payerId: r.payer_id,
  transferId: r.transfer_id,
  feeMinor: r.fee_minor,
  amountReceivedMinor: r.amount_received_minor,
  amountRefundedMinor: r.amount_refunded_minor,
  cancellationReason: r.cancellation_reason,
  reservedFor: r.reserved_for,
  authorizationExpiresAt: r.authorization_expires_at,
  conversion: conversionOf(r),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  paidAt: r.paid_at,
});

export interface RefundRow {
  id: string;
  payment_intent_id: string;
  merchant_id: string;
  amount_minor: bigint;
  currency: string;
  reason: string | null;
  status: Refund['status'];
  failure_code: string | null;
  transfer_id: string;
  created_at: Date;
  updated_at: Date;
}

export const refundOf = (r: RefundRow): Refund => ({
  id: r.id,
  paymentIntentId: r.payment_intent_id,
  merchantId: r.merchant_id,
  amountMinor: r.amount_minor,
  currency: r.currency,
  reason: r.reason,
  status: r.status,
  failureCode: r.failure_code,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function selectIntent(db: Executor, id: string): Promise<PaymentIntent | undefined> {
  const { rows } = await db.query<IntentRow>({
    name: 'payments_intent',
    text: 'SELECT * FROM payment_intents WHERE id = $1',
    values: [id],
  });
  return rows[0] === undefined ? undefined : intentOf(rows[0]);
}

export async function selectIntentByReference(
  db: Executor,
  reference: string,
): Promise<PaymentIntent | undefined> {
  const { rows } = await db.query<IntentRow>('SELECT * FROM payment_intents WHERE reference = $1', [
    reference,
  ]);
  return rows[0] === undefined ? undefined : intentOf(rows[0]);
}

/** One page of a merchant's intents, newest first, with one more row to tell if there are more. */
export async function selectIntentPage(
  db: Executor,
  merchantId: string,
  startingAfter: string | null,
  limitPlusOne: number,
): Promise<IntentRow[]> {
  const { rows } = await db.query<IntentRow>(
    `SELECT * FROM payment_intents
      WHERE merchant_id = $1 AND ($2::text IS NULL OR id < $2)
      ORDER BY id DESC LIMIT $3`,
    [merchantId, startingAfter, limitPlusOne],
  );
  return rows;
}

export async function insertIntent(
  db: Executor,
  i: {
    readonly id: string;
    readonly merchantId: string;
    readonly amountMinor: bigint;
    readonly currency: string;
    readonly description: string | null;
    readonly metadata: Readonly<Record<string, string>>;
    readonly reference: string;
    readonly expiresAt: Date;
    readonly at: Date;
    readonly reservedFor: string | null;
    readonly captureMethod: 'automatic' | 'manual';
  },
): Promise<PaymentIntent> {
  const { rows } = await db.query<IntentRow>(
    `INSERT INTO payment_intents (id, merchant_id, amount_minor, currency, description,
       metadata, capture_method, status, reference, expires_at, reserved_for, created_at,
       updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $11, 'requires_payment', $7, $8, $10, $9, $9)
     RETURNING *`,
    [
      i.id,
      i.merchantId,
      i.amountMinor,
      i.currency,
      i.description,
      JSON.stringify(i.metadata),
      i.reference,
      i.expiresAt,
      i.at,
      i.reservedFor,
      i.captureMethod,
    ],
  );
  return intentOf(rows[0]!);
}

/** The merchant cancels an open intent; undefined when it is not the merchant's or not open. */
export async function cancelOpenIntent(
  db: Executor,
  intentId: string,
  merchantId: string,
  at: Date,
): Promise<PaymentIntent | undefined> {
  const { rows } = await db.query<IntentRow>(
    `UPDATE payment_intents
        SET status = 'canceled', cancellation_reason = 'requested_by_merchant', updated_at = $3
      WHERE id = $1 AND merchant_id = $2 AND status = 'requires_payment'
      RETURNING *`,
    [intentId, merchantId, at],
  );
  return rows[0] === undefined ? undefined : intentOf(rows[0]);
}

/**
 * An intent made for one payer (a static-code payment, a charge) whose payment was refused goes
 * away with the refusal.
 */
export async function cancelRefusedIntent(
  db: Executor,
  intentId: string,
  at: Date,
  reason: 'payment_refused' | 'payment_failed' = 'payment_refused',
) {
  await db.query(
    `UPDATE payment_intents SET status = 'canceled', cancellation_reason = $3, updated_at = $2
      WHERE id = $1 AND status = 'requires_payment'`,
    [intentId, at, reason],
  );
}

/**
 * A claimed intent opens again; returns what its claim had counted against the payer's limits
 * (nothing when the claim was not this one).
 */
export async function reopenIntent(
  db: Executor,
  intentId: string,
  transferId: string,
  at: Date,
): Promise<{ limit_reserved_at: Date | null; reserved_minor: bigint } | undefined> {
  const { rows } = await db.query<{ limit_reserved_at: Date | null; reserved_minor: bigint }>(
    `UPDATE payment_intents p
        SET status = 'requires_payment', payer_id = NULL, transfer_id = NULL,
            confirmation = NULL, limit_reserved_at = NULL, limit_reserved_minor = NULL,
            conversion_currency = NULL, conversion_amount_minor = NULL,
            conversion_rate_numerator = NULL, conversion_rate_denominator = NULL,
            conversion_quote_id = NULL, updated_at = $3
       FROM (SELECT id, limit_reserved_at,
                    coalesce(limit_reserved_minor, amount_minor) AS reserved_minor
               FROM payment_intents WHERE id = $1 FOR UPDATE) old
      WHERE p.id = old.id AND p.status = 'processing' AND p.transfer_id = $2
      RETURNING old.limit_reserved_at, old.reserved_minor`,
    [intentId, transferId, at],
  );
  return rows[0];
}

/** Claims an open intent for the payer: of concurrent claims only one gets the row. */
export async function claimIntent(
  db: Executor,
  intentId: string,
  payerId: string,
  transferId: string,
  at: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE payment_intents
        SET status = 'processing', payer_id = $2, transfer_id = $3, updated_at = $4
      WHERE id = $1 AND status = 'requires_payment' AND expires_at > $4
        AND (reserved_for IS NULL OR reserved_for = $2)`,
    [intentId, payerId, transferId, at],
  );
  return rowCount === 1;
}

/** How a claimed intent was authorized: step-up, the limits counted, the conversion quoted. */
export async function recordAuthorization(
  db: Executor,
  intentId: string,
  a: {
    readonly confirmation: string;
    readonly limitReservedAt: Date | null;
    readonly limitReservedMinor: bigint | null;
    readonly conversion: {
      readonly currency: string;
      readonly amountMinor: bigint;
      readonly numerator: bigint;
      readonly denominator: bigint;
      readonly quoteId: string;
    } | null;
  },
): Promise<void> {
  const c = a.conversion;
  await db.query(
    `UPDATE payment_intents
        SET confirmation = $2, limit_reserved_at = $3, limit_reserved_minor = $4,
            conversion_currency = $5, conversion_amount_minor = $6,
            conversion_rate_numerator = $7::numeric, conversion_rate_denominator = $8::numeric,
            conversion_quote_id = $9
      WHERE id = $1`,
    [
      intentId,
      a.confirmation,
      a.limitReservedAt,
      a.limitReservedMinor,
      c?.currency ?? null,
      c?.amountMinor ?? null,
      c?.numerator.toString() ?? null,
      c?.denominator.toString() ?? null,
      c?.quoteId ?? null,
    ],
  );
}

/**
 * A paid (claim `processing`) or captured (claim on the hold) intent succeeds; returns when
 * its claim counted against the payer's limits, or null.
 */
export async function markIntentSucceeded(
  db: Executor,
  intentId: string,
  paid: {
    readonly feeMinor: bigint;
    readonly amountMinor: bigint;
    readonly at: Date;
    readonly claimId: string | null;
  },
): Promise<Date | null> {
  const { rows } = await db.query<{ limit_reserved_at: Date | null }>(
    `UPDATE payment_intents
        SET status = 'succeeded', fee_minor = $2, amount_received_minor = $3, paid_at = $4,
            updated_at = $4
      WHERE id = $1
        AND CASE WHEN $5::text IS NULL THEN status = 'processing'
                 ELSE status = 'requires_capture' AND resolution_transfer_id = $5 END
      RETURNING limit_reserved_at`,
    [intentId, paid.feeMinor, paid.amountMinor, paid.at, paid.claimId],
  );
  return rows[0]?.limit_reserved_at ?? null;
}

/** Many confirmed payments (a ledger batch's) paid in full: processing → succeeded. */
export async function markIntentsPaid(
  db: Executor,
  paid: ReadonlyArray<{
    readonly intentId: string;
    readonly feeMinor: bigint;
    readonly amountMinor: bigint;
  }>,
  at: Date,
): Promise<void> {
  await db.query({
    name: 'payments_mark_paid',
    text: `UPDATE payment_intents p
              SET status = 'succeeded', fee_minor = v.fee, amount_received_minor = v.amount,
                  paid_at = $4, updated_at = $4
             FROM unnest($1::text[], $2::int8[], $3::int8[]) AS v(id, fee, amount)
            WHERE p.id = v.id AND p.status = 'processing'`,
    values: [
      paid.map((p) => p.intentId),
      paid.map((p) => p.feeMinor),
      paid.map((p) => p.amountMinor),
      at,
    ],
  });
}

/** Manual capture: the claimed intent's amount is held until `expiresAt`. */
export async function markIntentHeld(
  db: Executor,
  intentId: string,
  expiresAt: Date,
  at: Date,
): Promise<void> {
  await db.query(
    `UPDATE payment_intents
        SET status = 'requires_capture', authorization_expires_at = $2, updated_at = $3
      WHERE id = $1 AND status = 'processing'`,
    [intentId, expiresAt, at],
  );
}

/** Claims a held intent's hold for a capture or a cancellation; false when another has it. */
export async function claimHold(
  db: Executor,
  intentId: string,
  resolution: 'capture' | 'cancel',
  transferId: string,
  captureMinor: bigint | null,
  at: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE payment_intents
        SET resolution = $2, resolution_transfer_id = $3, capture_amount_minor = $4,
            updated_at = $5
      WHERE id = $1 AND status = 'requires_capture' AND resolution IS NULL`,
    [intentId, resolution, transferId, captureMinor, at],
  );
  return rowCount === 1;
}

export async function releaseHoldClaim(
  db: Executor,
  intentId: string,
  transferId: string,
  at: Date,
): Promise<void> {
  await db.query(
    `UPDATE payment_intents
        SET resolution = NULL, resolution_transfer_id = NULL, capture_amount_minor = NULL,
            updated_at = $3
      WHERE id = $1 AND status = 'requires_capture' AND resolution_transfer_id = $2`,
    [intentId, transferId, at],
  );
}

/** A held intent is cancelled (under the claim `claimId`, or with none); its row, or undefined. */
export async function cancelHeldIntent(
  db: Executor,
  intentId: string,
  reason: 'requested_by_merchant' | 'authorization_expired',
  claimId: string | null,
  at: Date,
): Promise<IntentRow | undefined> {
  const { rows } = await db.query<IntentRow>(
    `UPDATE payment_intents
        SET status = 'canceled', cancellation_reason = $2, updated_at = $3,
            resolution = CASE WHEN $4::text IS NULL THEN NULL ELSE resolution END,
            resolution_transfer_id = CASE WHEN $4::text IS NULL THEN NULL
                                          ELSE resolution_transfer_id END,
            capture_amount_minor = NULL
      WHERE id = $1 AND status = 'requires_capture'
        AND ($4::text IS NULL OR resolution_transfer_id = $4)
      RETURNING *`,
    [intentId, reason, at, claimId],
  );
  return rows[0];
}

/** Held intents whose hold has run out, oldest first. */
export async function selectExpiredHolds(
  db: Executor,
  at: Date,
  limit: number,
): Promise<IntentRow[]> {
  const { rows } = await db.query<IntentRow>(
    `SELECT * FROM payment_intents
      WHERE status = 'requires_capture' AND authorization_expires_at <= $1
      ORDER BY authorization_expires_at LIMIT $2`,
    [at, limit],
  );
  return rows;
}

/** Held intents whose capture or cancellation has been claimed since before `before`. */
export async function selectStuckHoldClaims(
  db: Executor,
  before: Date,
  limit: number,
): Promise<IntentRow[]> {
  const { rows } = await db.query<IntentRow>(
    `SELECT * FROM payment_intents
      WHERE status = 'requires_capture' AND resolution IS NOT NULL AND updated_at < $1
      ORDER BY updated_at LIMIT $2`,
    [before, limit],
  );
  return rows;
}

/** Intents processing since before `before`, oldest first. */
export async function selectProcessingIntents(
  db: Executor,
  before: Date,
  limit: number,
): Promise<IntentRow[]> {
  const { rows } = await db.query<IntentRow>(
    `SELECT * FROM payment_intents WHERE status = 'processing' AND updated_at < $1
      ORDER BY updated_at LIMIT $2`,
    [before, limit],
  );
  return rows;
}

/**
 * Reserves a refund's amount on its intent; false when it would exceed what was received. The
 * check is in the UPDATE, so concurrent refunds are counted one after another on the row.
 */
export async function reserveRefund(
  db: Executor,
  intentId: string,
  amountMinor: bigint,
  at: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE payment_intents SET amount_refunded_minor = amount_refunded_minor + $2, updated_at = $3
      WHERE id = $1 AND status = 'succeeded'
        AND amount_refunded_minor + $2 <= amount_received_minor`,
    [intentId, amountMinor, at],
  );
  return rowCount === 1;
}

/** A refund that failed gives its reservation back. */
export async function unreserveRefund(
  db: Executor,
  intentId: string,
  amountMinor: bigint,
): Promise<void> {
  await db.query(
    `UPDATE payment_intents SET amount_refunded_minor = amount_refunded_minor - $2
      WHERE id = $1`,
    [intentId, amountMinor],
  );
}

export async function insertRefund(db: Executor, row: RefundRow): Promise<void> {
  await db.query(
    `INSERT INTO refunds (id, payment_intent_id, merchant_id, amount_minor, currency, reason,
       status, transfer_id, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'processing', $7, $8, $8)`,
    [
      row.id,
      row.payment_intent_id,
      row.merchant_id,
      row.amount_minor,
      row.currency,
      row.reason,
      row.transfer_id,
      row.created_at,
    ],
  );
}

export async function markRefundSucceeded(db: Executor, id: string, at: Date): Promise<void> {
  await db.query(
    `UPDATE refunds SET status = 'succeeded', updated_at = $2 WHERE id = $1 AND status = 'processing'`,
    [id, at],
  );
}

/** A processing refund fails; false when it is not processing (any more). */
export async function markRefundFailed(
  db: Executor,
  id: string,
  code: string,
  at: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE refunds SET status = 'failed', failure_code = $2, updated_at = $3
      WHERE id = $1 AND status = 'processing'`,
    [id, code, at],
  );
  return rowCount === 1;
}

export async function selectRefund(db: Executor, id: string): Promise<RefundRow | undefined> {
  const { rows } = await db.query<RefundRow>('SELECT * FROM refunds WHERE id = $1', [id]);
  return rows[0];
}

/** One page of a merchant's refunds (of one intent, if given), newest first, plus one row. */
export async function selectRefundPage(
  db: Executor,
  merchantId: string,
  startingAfter: string | null,
  paymentIntentId: string | null,
  limitPlusOne: number,
): Promise<RefundRow[]> {
  const { rows } = await db.query<RefundRow>(
    `SELECT * FROM refunds
      WHERE merchant_id = $1 AND ($2::text IS NULL OR id < $2)
        AND ($3::text IS NULL OR payment_intent_id = $3)
      ORDER BY id DESC LIMIT $4`,
    [merchantId, startingAfter, paymentIntentId, limitPlusOne],
  );
  return rows;
}

/** Refunds processing since before `before`, oldest first. */
export async function selectProcessingRefunds(
  db: Executor,
  before: Date,
  limit: number,
): Promise<RefundRow[]> {
  const { rows } = await db.query<RefundRow>(
    `SELECT * FROM refunds WHERE status = 'processing' AND updated_at < $1
      ORDER BY updated_at LIMIT $2`,
    [before, limit],
  );
  return rows;
}
