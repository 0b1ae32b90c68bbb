import { randomInt } from 'node:crypto';
import { withTransaction, type Executor, type Pool } from '../db/index.js';
import { appendUserEvents, enqueueWebhookEvent, type UserEventType } from '../events/index.js';
import type { IdentityServices, RequestContext, User } from '../identity/index.js';
import type { Ledger } from '../ledger/index.js';
import { assert } from '../lib/assert.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { decryptField, encryptField, type Keyring } from '../lib/encryption.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import type { Money } from '../money/index.js';
import type { RiskPolicy } from '../risk/index.js';
import { ensureWalletAccount } from '../wallet/index.js';
import type { Merchant } from './merchants.js';
import {
  TOKEN_ID_LIMIT,
  candidateSteps,
  newPaymentCodeSecret,
  parsePaymentCode,
  recoverTokenId,
  verifyPaymentCode,
} from './payment-code.js';
import { payClaimedIntent } from './pay-claimed-intent.js';
import type { ClaimedIntent } from './payments-core.js';
import { cancelRefusedIntent, claimIntent, recordAuthorization } from './payments-sql.js';
import {
  type IntentStatus,
  type PaymentIntent,
  type PaymentResult,
  type Payments,
} from './payments.js';

/**
 * User payment codes (付款码) and the charges merchants make with them.
 *
 * A phone is provisioned behind the payment PIN: it gets a random device secret and token id
 * once, and from then on makes codes offline (payment-code.ts). A merchant's server sends a
 * scanned code with an amount. The code is checked against the current and the previous step,
 * and accepted once: the device's row is locked while the code is checked, and the newest step
 * accepted is kept, so of concurrent charges with one code exactly one gets it. Wrong codes count
 * against the device and lock it for a while after a few, so nobody can try a step's million
 * codes. An accepted code is used up whatever happens to the payment after it: the payer's
 * consent was for that moment, and showing a fresh code costs nothing.
 *
 * The charge is a payment intent of the merchant. Within the payer's allowance for code payments
 * (a cap per charge and per calendar day, in CNY) the code is the payer's consent: the charge
 * claims the intent, counts the allowance and the payment limits of the payer's tier in one
 * transaction, then pays it with the same linked ledger chain as a confirmed intent (payment and
 * fee) whose domain write marks intent and charge paid. Above the allowance the intent stays open
 * and the payer, told by an event, confirms it in the app with step-up like any intent.
 */
export type ChargeStatus =
  'processing' | 'requires_confirmation' | 'succeeded' | 'failed' | 'canceled';

type StoredStatus = 'processing' | 'requires_confirmation' | 'succeeded' | 'failed';

export interface PaymentCodeDevice {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** What the device's codes carry, in disguise; the phone needs it to make them. */
  readonly tokenId: number;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

export interface Charge {
  readonly id: string;
  readonly merchantId: string;
  readonly paymentIntentId: string;
  readonly payerId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly feeMinor: bigint;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly status: ChargeStatus;
  readonly failureCode: string | null;
  /** Until when a charge that requires confirmation can be confirmed. */
  readonly expiresAt: Date;
  readonly createdAt: Date;
  readonly paidAt: Date | null;
}

export interface ChargeInput {
  readonly paymentCode: string;
  readonly amount: Money;
  readonly description: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface Charges {
  /** A new device for the user, behind the payment PIN; the secret is returned only here. */
  provisionDevice(
    userId: string,
    input: { readonly name: string; readonly pin: string },
    ctx: RequestContext,
  ): Promise<PaymentResult<{ device: PaymentCodeDevice; secret: Uint8Array }>>;
  /** The user's devices, newest first, revoked ones too (bounded). */
  listDevices(userId: string): Promise<PaymentCodeDevice[]>;
  /** From now on the device's codes are refused; another user's device is not found. */
  revokeDevice(
    userId: string,
    deviceId: string,
  ): Promise<PaymentResult<{ device: PaymentCodeDevice }>>;
  /** The merchant charges the user whose code it scanned. */
  charge(merchant: Merchant, input: ChargeInput): Promise<PaymentResult<{ charge: Charge }>>;
  /** The merchant's own charge; another merchant's is undefined. */
  getCharge(merchantId: string, chargeId: string): Promise<Charge | undefined>;
  /**
   * The payer refuses a charge waiting for confirmation: it fails (`declined_by_payer`) and its
   * intent is cancelled. Of a decline and a confirmation at once exactly one wins; another
   * user's charge is not found.
   */
  decline(payerId: string, chargeId: string): Promise<PaymentResult<{ charge: Charge }>>;
  /** Job: charges a crash left processing are settled from the ledger. */
  recoverUnsettled(): Promise<number>;
}

export interface ChargesDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly identity: IdentityServices;
  readonly risk: RiskPolicy;
  readonly payments: Payments;
  /** Seals device secrets at rest; the first key encrypts. */
  readonly dataKeys: Keyring;
  /** The IANA time zone whose calendar days the code allowance counts in. */
  readonly timeZone: string;
}

/** The only currency the allowance is counted in; charges in others are always confirmed. */
const ALLOWANCE_CURRENCY = 'CNY';

/** The webhook events merchants can subscribe to for charges by payment code. */
export const CHARGE_EVENT_TYPES = [
  'charge.succeeded',
  'charge.requires_confirmation',
  'charge.failed',
] as const;

/** The failure code of a charge its payer declined, and the cancellation reason of its intent. */
const DECLINED_BY_PAYER = 'declined_by_payer';

/** The payer's prompt to confirm a charge in the app. */
const CONFIRMATION_EVENT: UserEventType = 'payment.requires_confirmation';
const DECLINED_EVENT: UserEventType = 'payment.declined';

/**
 * Checked when no device matches, so that a code for no device takes about as long to refuse as
 * a wrong code for a real one. Any secret of the right length does; this one is never accepted.
 */
const DUMMY_SECRET = new Uint8Array(20);

/**
 * What a charge is now. A charge that waited for confirmation follows its intent from then on:
 * the payer confirms (or not) through the payment intent routes, which know nothing of charges.
 */
export function chargeStatus(
  stored: StoredStatus,
  intent: { readonly status: IntentStatus; readonly expiresAt: Date },
  nowMs: number,
): ChargeStatus {
  if (stored !== 'requires_confirmation') return stored;
  switch (intent.status) {
    case 'succeeded':
      return 'succeeded';
    case 'processing':
    case 'requires_capture':
      return 'processing';
    case 'canceled':
      return 'canceled';
    case 'requires_payment':
      return intent.expiresAt.getTime() <= nowMs ? 'canceled' : 'requires_confirmation';
  }
}

/** Whether a charge may be paid without confirmation before the day's total is looked at. */
export function withinChargeAllowance(amountMinor: bigint, currency: string): boolean {
  return currency === ALLOWANCE_CURRENCY && amountMinor <= limits.paymentCodeConfirmAboveMinor;
}

interface DeviceRow {
  id: string;
  user_id: string;
  name: string;
  token_id: bigint;
  secret_encrypted: string;
  created_at: Date;
  revoked_at: Date | null;
  last_step_used: bigint | null;
  last_used_at: Date | null;
  failures: number;
  locked_until: Date | null;
}

const deviceOf = (r: DeviceRow): PaymentCodeDevice => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  tokenId: Number(r.token_id),
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

const secretAad = (deviceId: string) => `${deviceId}/secret`;

interface ChargeRow {
  id: string;
  merchant_id: string;
  payment_intent_id: string;
  payer_id: string;
  amount_minor: bigint;
  currency: string;
  status: StoredStatus;
  failure_code: string | null;
  created_at: Date;
  intent_status: IntentStatus;
  expires_at: Date;
  fee_minor: bigint;
  description: string | null;
  metadata: Record<string, string>;
  paid_at: Date | null;
}

const chargeOf = (r: ChargeRow, nowMs: number): Charge => ({
  id: r.id,
  merchantId: r.merchant_id,
  paymentIntentId: r.payment_intent_id,
  payerId: r.payer_id,
  amountMinor: r.amount_minor,
  currency: r.currency,
  feeMinor: r.fee_minor,
  description: r.description,
  metadata: r.metadata,
  status: chargeStatus(r.status, { status: r.intent_status, expiresAt: r.expires_at }, nowMs),
  failureCode: r.failure_code,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  paidAt: r.paid_at,
});

async function selectCharge(db: Executor, id: string, nowMs: number): Promise<Charge | undefined> {
  const { rows } = await db.query<ChargeRow>({
    name: 'charges_by_id',
    text: `SELECT c.id, c.merchant_id, c.payment_intent_id, c.payer_id, c.amount_minor, c.currency,
                  c.status, c.failure_code, c.created_at, p.status AS intent_status, p.expires_at,
                  p.fee_minor, p.description, p.metadata, p.paid_at
             FROM charges c JOIN payment_intents p ON p.id = c.payment_intent_id
            WHERE c.id = $1`,
    values: [id],
  });
  return rows[0] === undefined ? undefined : chargeOf(rows[0], nowMs);
}

/** A charge being made: the accepted code, its payer and the merchant's new intent. */
interface NewCharge {
  readonly id: string;
  readonly merchant: Merchant;
  readonly intent: PaymentIntent;
  readonly deviceId: string;
  readonly payerId: string;
  readonly step: number;
  readonly at: Date;
}

async function insertCharge(
  tx: Executor,
  c: NewCharge,
  outcome: {
    readonly status: StoredStatus;
    readonly failureCode: string | null;
    readonly allowanceDay: string | null;
    readonly transferId: string | null;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO charges (id, merchant_id, payment_intent_id, device_id, payer_id, code_step,
       amount_minor, currency, status, failure_code, allowance_day, transfer_id, created_at,
       updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::date, $12, $13, $13)`,
    [
      c.id,
      c.merchant.id,
      c.intent.id,
      c.deviceId,
      c.payerId,
      c.step,
      c.intent.amountMinor,
      c.intent.currency,
      outcome.status,
      outcome.failureCode,
      outcome.allowanceDay,
      outcome.transferId,
      c.at,
    ],
  );
}

type CodeMatch =
  | { readonly kind: 'accepted'; readonly device: DeviceRow; readonly step: number }
  | { readonly kind: 'used' }
  | { readonly kind: 'invalid' };

/** A business outcome that ends a charge's transaction early, rolling it back. */
class Refusal extends Error {
  constructor(readonly outcome: Exclude<PaymentResult<object>, { readonly ok: true }>) {
    super(outcome.code);
  }
}

export function createCharges(deps: ChargesDeps): Charges {
  const { pool, clock, ledger, identity, payments, dataKeys, timeZone } = deps;
  const now = () => new Date(clock.nowMs());
  assert(
    limits.paymentCodeConfirmAboveMinor <= limits.paymentCodeDailyMinor,
    'a charge paid without confirmation fits in the daily allowance',
  );
  assert(
    limits.paymentCodeConfirmTtlSeconds <= limits.paymentIntentTtlMaxSeconds,
    'a charge waits for confirmation no longer than an intent may live',
  );

  function secretOf(row: DeviceRow): Uint8Array {
    const text = decryptField(dataKeys, row.secret_encrypted, secretAad(row.id));
    return new Uint8Array(Buffer.from(text, 'base64url'));
  }

  /** One more wrong code for the device; the one that reaches the limit locks it. */
  async function countFailure(tx: Executor, deviceId: string, at: Date): Promise<void> {
    await tx.query(
      `UPDATE payment_code_devices
          SET failures = CASE WHEN failures + 1 >= $3 THEN 0 ELSE failures + 1 END,
              locked_until = CASE WHEN failures + 1 >= $3 THEN $2 ELSE locked_until END
        WHERE id = $1`,
      [deviceId, new Date(at.getTime() + limits.paymentCodeLockMs), limits.paymentCodeFailuresLock],
    );
  }

  /**
   * Finds the device a code names at one of the steps still accepted, checks the code with its
   * secret, and uses the code up. The devices are locked while their codes are checked, so
   * concurrent charges with one code take turns and only the first finds it unused, and the
   * count of wrong codes cannot be outrun. The transaction commits in every case: a wrong code
   * is counted even though the charge fails.
   */
  async function acceptCode(code: string, disguised: number, at: Date): Promise<CodeMatch> {
    const candidates = await Promise.all(
      candidateSteps(at).map(async (step) => ({
        step,
        tokenId: await recoverTokenId(disguised, step),
      })),
    );
    return withTransaction(pool, async (tx): Promise<CodeMatch> => {
      // Locked in id order, so two charges never wait for each other's devices in a cycle.
      const { rows } = await tx.query<DeviceRow>(
        `SELECT * FROM payment_code_devices
          WHERE token_id = ANY($1::bigint[]) AND revoked_at IS NULL
          ORDER BY id FOR UPDATE`,
        [candidates.map((c) => c.tokenId)],
      );
      const wrong: string[] = [];
      for (const { step, tokenId } of candidates) {
        const device = rows.find((r) => r.token_id === BigInt(tokenId));
        // A locked device refuses its right codes too, so the lock cannot be used to test guesses.
        if (device === undefined || (device.locked_until !== null && device.locked_until > at)) {
          await verifyPaymentCode({ code, secret: DUMMY_SECRET, tokenId, step });
          continue;
        }
        if (!(await verifyPaymentCode({ code, secret: secretOf(device), tokenId, step }))) {
          wrong.push(device.id);
          continue;
        }
        if (device.last_step_used !== null && device.last_step_used >= BigInt(step)) {
          return { kind: 'used' };
        }
        await tx.query(
          `UPDATE payment_code_devices SET last_step_used = $2, last_used_at = $3, failures = 0
            WHERE id = $1`,
          [device.id, step, at],
        );
        return { kind: 'accepted', device, step };
      }
      for (const id of new Set(wrong)) await countFailure(tx, id, at);
      return { kind: 'invalid' };
    });
  }

  /**
   * Counts the charge against the payer's allowance for the day, or changes nothing when the
   * allowance cannot take it. One upsert decides and writes, so concurrent charges of one payer
   * are counted one after another on the payer's row. Returns the day counted in.
   */
  async function useAllowance(tx: Executor, c: NewCharge): Promise<string | undefined> {
    if (!withinChargeAllowance(c.intent.amountMinor, c.intent.currency)) return undefined;
    const { rows } = await tx.query<{ day: string }>(
      `INSERT INTO payment_code_allowances AS a (user_id, day, used_minor)
       VALUES ($1, ($2::timestamptz AT TIME ZONE $3)::date, $4)
       ON CONFLICT (user_id) DO UPDATE SET
         used_minor = CASE WHEN EXCLUDED.day > a.day THEN EXCLUDED.used_minor
                           ELSE a.used_minor + EXCLUDED.used_minor END,
         day = EXCLUDED.day
       WHERE EXCLUDED.day > a.day
          OR (EXCLUDED.day = a.day AND a.used_minor + EXCLUDED.used_minor <= $5)
       RETURNING to_char(day, 'YYYY-MM-DD') AS day`,
      [c.payerId, c.at, timeZone, c.intent.amountMinor, limits.paymentCodeDailyMinor],
    );
    return rows[0]?.day;
  }

  /**
   * Decides how the charge is paid and commits the decision: within the allowance the intent is
   * claimed for the payer and the payer's limits are counted ('pay'); above it the charge waits
   * and the payer is asked to confirm ('confirm'). A refusal rolls everything back.
   */
  async function authorize(tx: Executor, c: NewCharge, transferId: string) {
    const day = await useAllowance(tx, c);
    if (day === undefined) {
      await insertCharge(tx, c, {
        status: 'requires_confirmation',
        failureCode: null,
        allowanceDay: null,
        transferId: null,
      });
      await appendUserEvents(
        tx,
        [{ userId: c.payerId, type: CONFIRMATION_EVENT, data: eventData(c) }],
        c.at,
      );
      await announce(tx, ref(c), 'charge.requires_confirmation', 'requires_confirmation', null);
      return 'confirm' as const;
    }
    // The merchant can see the new intent in its list and cancel it before it is claimed.
    if (!(await claimIntent(tx, c.intent.id, c.payerId, transferId, c.at))) {
      throw new Refusal(failure('payment_intent_not_payable'));
    }
    const reserved = await identity.paymentLimits.reserve(tx, c.payerId, c.intent.amountMinor);
    if (!reserved.ok) throw new Refusal(reserved);
    await recordAuthorization(tx, c.intent.id, {
      confirmation: 'payment_code',
      limitReservedAt: reserved.reservedAt,
      limitReservedMinor: null,
      conversion: null,
    });
    await insertCharge(tx, c, {
      status: 'processing',
      failureCode: null,
      allowanceDay: day,
      transferId,
    });
    return 'pay' as const;
  }

  function eventData(c: NewCharge) {
    return {
      charge_id: c.id,
      payment_intent_id: c.intent.id,
      merchant_id: c.merchant.id,
      merchant_name_zh: c.merchant.nameZh,
      merchant_name_en: c.merchant.nameEn,
      amount_minor: String(c.intent.amountMinor),
      currency: c.intent.currency,
      expires_at: c.intent.expiresAt.toISOString(),
    };
  }

  /** The merchant's webhook event of a charge, in the transaction of its change. */
  async function announce(
    tx: Executor,
    c: { readonly id: string; readonly merchantId: string; readonly intentId: string },
    type: (typeof CHARGE_EVENT_TYPES)[number],
    status: StoredStatus,
    failureCode: string | null,
  ): Promise<void> {
    await enqueueWebhookEvent(
      tx,
      {
        owner: c.merchantId,
        type,
        data: {
          charge: { id: c.id, payment_intent: c.intentId, status, failure_code: failureCode },
        },
      },
      now(),
    );
  }

  const ref = (c: NewCharge) => ({ id: c.id, merchantId: c.merchant.id, intentId: c.intent.id });

  /** A charge refused before any money moved: it is kept as failed, its intent cancelled. */
  async function refuse<F extends Exclude<PaymentResult<object>, { readonly ok: true }>>(
    c: NewCharge,
    outcome: F,
  ): Promise<F> {
    await withTransaction(pool, async (tx) => {
      await cancelRefusedIntent(tx, c.intent.id, now(), 'payment_failed');
      await insertCharge(tx, c, {
        status: 'failed',
        failureCode: outcome.code,
        allowanceDay: null,
        transferId: null,
      });
      await announce(tx, ref(c), 'charge.failed', 'failed', outcome.code);
    });
    return outcome;
  }

  /**
   * A charge whose money did not move fails: its intent is cancelled, and the allowance and the
   * limits it counted are given back. The charge's own row is the guard, so this runs once
   * whether the payment path or the recovery job gets here first. Rows are locked in the order
   * of `authorize` (allowance, intent, usage), so the two never wait on each other in a cycle.
   */
  async function settleFailure(chargeId: string, code: string): Promise<void> {
    const at = now();
    await withTransaction(pool, async (tx) => {
      const { rows } = await tx.query<{
        payer_id: string;
        payment_intent_id: string;
        merchant_id: string;
        amount_minor: bigint;
        allowance_day: string | null;
        transfer_id: string | null;
      }>(
        `UPDATE charges SET status = 'failed', failure_code = $2, updated_at = $3
          WHERE id = $1 AND status = 'processing'
          RETURNING payer_id, payment_intent_id, merchant_id, amount_minor, transfer_id,
                    to_char(allowance_day, 'YYYY-MM-DD') AS allowance_day`,
        [chargeId, code, at],
      );
      const row = rows[0];
      if (row === undefined) return;
      await announce(
        tx,
        { id: chargeId, merchantId: row.merchant_id, intentId: row.payment_intent_id },
        'charge.failed',
        'failed',
        code,
      );
      if (row.allowance_day !== null) {
        await tx.query(
          `UPDATE payment_code_allowances SET used_minor = used_minor - $3
            WHERE user_id = $1 AND day = $2::date`,
          [row.payer_id, row.allowance_day, row.amount_minor],
        );
      }
      // The merchant job may have reopened the intent already (and given its limits back).
      const { rows: intents } = await tx.query<{ limit_reserved_at: Date | null }>(
        `UPDATE payment_intents p
            SET status = 'canceled', cancellation_reason = 'payment_failed', payer_id = NULL,
                transfer_id = NULL, limit_reserved_at = NULL, updated_at = $3
           FROM (SELECT id, limit_reserved_at FROM payment_intents WHERE id = $1 FOR UPDATE) old
          WHERE p.id = old.id
            AND (p.status = 'requires_payment' OR (p.status = 'processing' AND p.transfer_id = $2))
          RETURNING old.limit_reserved_at`,
        [row.payment_intent_id, row.transfer_id, at],
      );
      const reservedAt = intents[0]?.limit_reserved_at;
      if (reservedAt !== undefined && reservedAt !== null) {
        await identity.paymentLimits.release(tx, row.payer_id, row.amount_minor, reservedAt);
      }
    });
  }

  /**
   * The payment and its fee as one linked chain, paid the way a confirmed intent is; the
   * domain write marks intent and charge paid and tells the merchant of both.
   */
  async function pay(
    c: NewCharge,
    payer: User,
    transferId: string,
  ): Promise<PaymentResult<{ charge: Charge }>> {
    const { intent, merchant, at } = c;
    const walletId = await ensureWalletAccount(pool, ledger, payer, intent.currency, at);
    const claimed: ClaimedIntent = {
      intent,
      merchant,
      payerId: c.payerId,
      walletId,
      funding: { kind: 'wallet' },
      transferId,
      at,
    };
    const results = await payClaimedIntent({ ledger, identity }, claimed, {
      eventData: eventData(c),
      write: async (tx) => {
        await tx.query(
          `UPDATE charges SET status = 'succeeded', updated_at = $2
            WHERE id = $1 AND status = 'processing'`,
          [c.id, at],
        );
        await announce(tx, ref(c), 'charge.succeeded', 'succeeded', null);
      },
    });
    const code =
      results[0]!.code === 'ok'
        ? 'ok'
        : results.find((r) => r.code !== 'linked_event_failed')?.code;
    if (code !== 'ok' && code !== 'exists') {
      const refused =
        code === 'exceeds_credits'
          ? failure('insufficient_funds', { param: 'amount' })
          : code === 'account_frozen'
            ? failure('wallet_frozen')
            : undefined;
      await settleFailure(c.id, refused?.code ?? `ledger_${code ?? 'unknown'}`);
      if (refused !== undefined) return refused;
      throw new Error(`unexpected ledger result for charge ${c.id}: ${code}`);
    }
    return { ok: true, charge: (await selectCharge(pool, c.id, clock.nowMs()))! };
  }

  /**
   * A waiting charge counted nothing (the allowance and the limits are counted when its intent is
   * claimed, as for an expired one), so declining it gives nothing back. The charge's row is
   * locked first, then its intent, which is cancelled only while it is still open: a
   * confirmation claims the intent's row with the same condition, so of the two exactly one
   * changes it, and a decline that comes second rolls back.
   */
  async function decline(
    payerId: string,
    chargeId: string,
  ): Promise<PaymentResult<{ charge: Charge }>> {
    const at = now();
    try {
      await withTransaction(pool, async (tx) => {
        const { rows } = await tx.query<{
          merchant_id: string;
          payment_intent_id: string;
          amount_minor: bigint;
          currency: string;
        }>(
          `UPDATE charges SET status = 'failed', failure_code = $3, updated_at = $4
            WHERE id = $1 AND payer_id = $2 AND status = 'requires_confirmation'
            RETURNING merchant_id, payment_intent_id, amount_minor, currency`,
          [chargeId, payerId, DECLINED_BY_PAYER, at],
        );
        const row = rows[0];
        if (row === undefined) throw new Refusal(await notDeclinable(tx, payerId, chargeId));
        const { rowCount } = await tx.query(
          `UPDATE payment_intents SET status = 'canceled', cancellation_reason = $2, updated_at = $3
            WHERE id = $1 AND status = 'requires_payment' AND expires_at > $3`,
          [row.payment_intent_id, DECLINED_BY_PAYER, at],
        );
        if (rowCount !== 1) throw new Refusal(failure('charge_not_pending'));
        const c = { id: chargeId, merchantId: row.merchant_id, intentId: row.payment_intent_id };
        await announce(tx, c, 'charge.failed', 'failed', DECLINED_BY_PAYER);
        // The payer's other devices learn that the charge is no longer waiting.
        await appendUserEvents(
          tx,
          [
            {
              userId: payerId,
              type: DECLINED_EVENT,
              data: {
                charge_id: chargeId,
                payment_intent_id: row.payment_intent_id,
                merchant_id: row.merchant_id,
                amount_minor: String(row.amount_minor),
                currency: row.currency,
              },
            },
          ],
          at,
        );
      });
    } catch (error) {
      if (error instanceof Refusal) return error.outcome;
      throw error;
    }
    return { ok: true, charge: (await selectCharge(pool, chargeId, clock.nowMs()))! };
  }

  /** Why a charge cannot be declined: not the payer's (not found), or no longer waiting. */
  async function notDeclinable(tx: Executor, payerId: string, chargeId: string) {
    const found = await selectCharge(tx, chargeId, clock.nowMs());
    return found?.payerId === payerId
      ? failure('charge_not_pending')
      : failure('charge_not_found', { param: 'id' });
  }

  async function charge(
    merchant: Merchant,
    input: ChargeInput,
  ): Promise<PaymentResult<{ charge: Charge }>> {
    const parsed = parsePaymentCode(input.paymentCode);
    if (!parsed.ok) return { ...parsed, param: 'payment_code' };
    if (merchant.status !== 'active') return failure('merchant_not_active');
    if (input.amount.currency !== merchant.currency) {
      return failure('payment_intent_currency_invalid', { param: 'amount.currency' });
    }
    const at = now();
    const match = await acceptCode(input.paymentCode, parsed.disguisedTokenId, at);
    if (match.kind === 'invalid') return failure('payment_code_invalid', { param: 'payment_code' });
    if (match.kind === 'used') return failure('payment_code_used', { param: 'payment_code' });
    const payer = await identity.identity.requireVerified(match.device.user_id);
    if (!payer.ok) return payer;
    const created = await payments.createIntent(merchant, {
      amount: input.amount,
      description: input.description,
      metadata: input.metadata,
      expiresInSeconds: limits.paymentCodeConfirmTtlSeconds,
      reservedFor: payer.user.id,
    });
    if (!created.ok) return created;
    const c: NewCharge = {
      id: newId('chg', at.getTime()),
      merchant,
      intent: created.intent,
      deviceId: match.device.id,
      payerId: payer.user.id,
      step: match.step,
      at: now(),
    };
    const decision = deps.risk.decide({
      kind: 'payment',
      payerId: c.payerId,
      payeeId: merchant.id,
      amountMinor: c.intent.amountMinor,
      currency: c.intent.currency,
      firstTimePayee: false,
    });
    if (decision.action !== 'allow') {
      return refuse(c, failure('payment_blocked', { detail: decision.reason }));
    }
    const transferId = newId('trf', c.at.getTime());
    let how: 'pay' | 'confirm';
    try {
      how = await withTransaction(pool, (tx) => authorize(tx, c, transferId));
    } catch (error) {
      if (error instanceof Refusal) return refuse(c, error.outcome);
      throw error;
    }
    if (how === 'pay') return pay(c, payer.user, transferId);
    return { ok: true, charge: (await selectCharge(pool, c.id, clock.nowMs()))! };
  }

  return {
    async provisionDevice(userId, input, ctx) {
      const user = await identity.identity.requireVerified(userId);
      if (!user.ok) return user;
      const at = now();
      const id = newId('pcd', at.getTime());
      const secret = newPaymentCodeSecret();
      const sealed = encryptField(
        dataKeys,
        Buffer.from(secret).toString('base64url'),
        secretAad(id),
      );
      // The PIN check counts its try in this transaction, which therefore commits on a wrong PIN
      // too; it also locks the user's PIN row, so one user's provisionings take turns and the
      // count of active devices below cannot be passed by provisioning twice at once.
      return withTransaction(pool, async (tx) => {
        const verified = await identity.pins.verifyPin(tx, userId, input.pin, ctx);
        if (!verified.ok) return verified;
        const { rows: active } = await tx.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM payment_code_devices
            WHERE user_id = $1 AND revoked_at IS NULL`,
          [userId],
        );
        if (active[0]!.n >= limits.paymentCodeDevicesPerUserMax) {
          return failure('payment_code_devices_too_many');
        }
        // Token ids are drawn at random from ten billion; a collision is rare and just redrawn.
        for (let attempt = 0; attempt < limits.paymentCodeTokenIdAttemptsMax; attempt++) {
          const { rows } = await tx.query<DeviceRow>(
            `INSERT INTO payment_code_devices (id, user_id, name, token_id, secret_encrypted,
               created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (token_id) DO NOTHING
             RETURNING *`,
            [id, userId, input.name, randomInt(TOKEN_ID_LIMIT), sealed, at],
          );
          if (rows[0] !== undefined)
            return { ok: true as const, device: deviceOf(rows[0]), secret };
        }
        throw new Error('no unused payment code token id found');
      });
    },

    async listDevices(userId) {
      const { rows } = await pool.query<DeviceRow>(
        'SELECT * FROM payment_code_devices WHERE user_id = $1 ORDER BY id DESC LIMIT $2',
        [userId, limits.pageSizeMax],
      );
      return rows.map(deviceOf);
    },

    async revokeDevice(userId, deviceId) {
      const { rows } = await pool.query<DeviceRow>(
        `UPDATE payment_code_devices SET revoked_at = coalesce(revoked_at, $3)
          WHERE id = $1 AND user_id = $2
          RETURNING *`,
        [deviceId, userId, now()],
      );
      if (rows[0] === undefined) return failure('payment_code_device_not_found', { param: 'id' });
      return { ok: true, device: deviceOf(rows[0]) };
    },

    charge,
    decline,

    async getCharge(merchantId, chargeId) {
      const found = await selectCharge(pool, chargeId, clock.nowMs());
      return found?.merchantId === merchantId ? found : undefined;
    },

    async recoverUnsettled() {
      const before = new Date(clock.nowMs() - limits.merchantUnsettledAfterMs);
      const { rows } = await pool.query<{ id: string; transfer_id: string }>(
        `SELECT id, transfer_id FROM charges WHERE status = 'processing' AND updated_at < $1
          ORDER BY updated_at LIMIT $2`,
        [before, limits.walletJobBatchSizeMax],
      );
      for (const row of rows) {
        // The ledger commits the charge's status with the money, so a processing charge whose
        // transfer is not in the ledger never moved money.
        const [moved] = await ledger.getTransfers([row.transfer_id]);
        if (moved === undefined) await settleFailure(row.id, 'abandoned');
      }
      return rows.length;
    },
  };
}
