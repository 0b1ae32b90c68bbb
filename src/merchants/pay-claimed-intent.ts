import type { Executor } from '../db/index.js';
import {
  appendUserEvents,
  enqueueWebhookEvent,
  enqueueWebhookEvents,
  type NewUserEvent,
} from '../events/index.js';
import type { IdentityServices } from '../identity/index.js';
import {
  batchedWrite,
  type BatchWriter,
  type DomainWrite,
  type Ledger,
  type TransferCommand,
  type TransferResult,
} from '../ledger/index.js';
import { newId } from '../lib/ids.js';
import { ensureFxPositionAccount, ensureSystemAccount } from '../wallet/index.js';
import type { Merchant } from './merchants.js';
import {
  feeOf,
  fundingEventData,
  intentEventData,
  linked,
  type ClaimedIntent,
} from './payments-core.js';
import { markIntentsPaid, markIntentSucceeded } from './payments-sql.js';
import type { PaymentIntent } from './payments-types.js';

/**
 * Paying a claimed intent, the one way both a confirmed intent and a charge by payment code do
 * it: [conversion legs,] payment and fee as one linked ledger chain, whose domain write marks
 * the intent succeeded, tells the payer and enqueues the merchant's `payment_intent.succeeded`.
 */
export interface IntentPaymentDeps {
  readonly ledger: Ledger;
  readonly identity: IdentityServices;
}

/** The merchant's fee on `feeMinor`, from its account to the fee revenue. */
export async function feeLeg(
  ledger: Ledger,
  merchant: Merchant,
  currency: string,
  feeMinor: bigint,
  at: Date,
): Promise<TransferCommand> {
  return {
    id: newId('trf', at.getTime()),
    debitAccountId: merchant.accountId,
    creditAccountId: await ensureSystemAccount(ledger, 'fee_revenue', currency),
    amountMinor: feeMinor,
    currency,
    code: 'merchant_fee',
  };
}

/** The two legs that buy the intent's amount with the payer's other currency. */
async function conversionLegs(ledger: Ledger, c: ClaimedIntent): Promise<TransferCommand[]> {
  if (c.funding.kind !== 'conversion') return [];
  const { quote, sourceAccountId } = c.funding;
  const metadata = { payment_intent_id: c.intent.id, quote_id: quote.id };
  return [
    {
      id: newId('trf', c.at.getTime()),
      debitAccountId: sourceAccountId,
      creditAccountId: await ensureFxPositionAccount(ledger, quote.sell.currency),
      amountMinor: quote.sell.amountMinor,
      currency: quote.sell.currency,
      code: 'fx_sell',
      metadata,
    },
    {
      id: newId('trf', c.at.getTime()),
      debitAccountId: await ensureFxPositionAccount(ledger, quote.buy.currency),
      creditAccountId: c.walletId,
      amountMinor: quote.buy.amountMinor,
      currency: quote.buy.currency,
      code: 'fx_buy',
      metadata,
    },
  ];
}

/**
 * The domain write of a paid or captured intent: it succeeds with what was received, the
 * payer hears of it, the merchant's webhook is enqueued, and, for a partial capture, the
 * payer's limits get back what was not captured.
 */
export function succeeded(
  identity: IdentityServices,
  intent: PaymentIntent,
  merchant: Merchant,
  payerId: string,
  paid: {
    readonly amountMinor: bigint;
    readonly feeMinor: bigint;
    readonly at: Date;
    /** A capture's claim on the hold; null for a payment, whose claim is `processing`. */
    readonly claimId: string | null;
    /** More for the payer's events (JSON: no bigints). */
    readonly extra: Readonly<Record<string, string>>;
  },
): (tx: Executor, result: TransferResult) => Promise<void> {
  return async (tx, result) => {
    const reservedAt = await markIntentSucceeded(tx, intent.id, paid);
    const uncapturedMinor = intent.amountMinor - paid.amountMinor;
    if (reservedAt !== null && uncapturedMinor > 0n) {
      await identity.paymentLimits.release(tx, payerId, uncapturedMinor, reservedAt);
    }
    const told = tellings({ intent, merchant, payerId, transferId: result.id, ...paid });
    await appendUserEvents(tx, told.payer, paid.at);
    await enqueueWebhookEvent(tx, told.merchant, paid.at);
  };
}

interface PaidIntent {
  readonly intent: PaymentIntent;
  readonly merchant: Merchant;
  readonly payerId: string;
  readonly transferId: string;
  readonly amountMinor: bigint;
  readonly feeMinor: bigint;
  readonly at: Date;
  readonly extra: Readonly<Record<string, string>>;
}

/** What the payer hears of a paid intent, and the merchant's `payment_intent.succeeded`. */
function tellings(p: PaidIntent) {
  const data = {
    payment_intent_id: p.intent.id,
    merchant_id: p.merchant.id,
    transfer_id: p.transferId,
    amount_minor: String(p.amountMinor),
    currency: p.intent.currency,
    ...p.extra,
  };
  const payer: NewUserEvent[] = [
    { userId: p.payerId, type: 'payment.succeeded', data },
    { userId: p.payerId, type: 'balance.changed', data },
  ];
  const changes = {
    status: 'succeeded' as const,
    payerId: p.payerId,
    feeMinor: p.feeMinor,
    amountReceivedMinor: p.amountMinor,
    paidAt: p.at,
  };
  const merchant = {
    owner: p.merchant.id,
    type: 'payment_intent.succeeded',
    data: intentEventData(p.intent, changes),
  };
  return { payer, merchant };
}

/**
 * The ledger batch's share of confirmed payments paid in full: every intent the batch paid is
 * marked succeeded, and its payer's events and merchant's webhook events are written, in three
 * statements however many payments the batch holds (they all credit the one merchant account
 * in the hot case, so each statement saved is time the account's row lock is not held).
 */
const intentsPaid: BatchWriter<PaidIntent> = async (tx, items) => {
  const at = items[0]!.item.at;
  const paid = items.map(({ item }) => item);
  await markIntentsPaid(
    tx,
    paid.map((p) => ({ intentId: p.intent.id, feeMinor: p.feeMinor, amountMinor: p.amountMinor })),
    at,
  );
  const told = paid.map(tellings);
  await appendUserEvents(
    tx,
    told.flatMap((t) => t.payer),
    at,
  );
  await enqueueWebhookEvents(
    tx,
    told.map((t) => t.merchant),
    at,
  );
};

/**
 * Pays a claimed intent in full: [conversion legs,] payment and fee, one linked chain. The
 * payment's domain write marks the intent succeeded, adds the payer's events (with
 * `eventData` more) and enqueues `payment_intent.succeeded`; `write`, when given, runs after it
 * in the same transaction (a charge marks its own row there). Returns the chain's results for
 * the caller to judge; on a refusal nothing moved and nothing was written.
 */
export async function payClaimedIntent(
  deps: IntentPaymentDeps,
  c: ClaimedIntent,
  more: {
    readonly eventData?: Readonly<Record<string, string>>;
    readonly write?: (tx: Executor, result: TransferResult) => Promise<void>;
  } = {},
): Promise<TransferResult[]> {
  const { intent, merchant, at } = c;
  const fee = feeOf(intent.amountMinor, merchant.feeRateBp);
  const payment: TransferCommand = {
    id: c.transferId,
    debitAccountId: c.walletId,
    creditAccountId: merchant.accountId,
    amountMinor: intent.amountMinor,
    currency: intent.currency,
    code: 'merchant_payment',
  };
  const chain = linked([
    ...(await conversionLegs(deps.ledger, c)),
    payment,
    ...(fee > 0n ? [await feeLeg(deps.ledger, merchant, intent.currency, fee, at)] : []),
  ]);
  const extra = { ...fundingEventData(c.funding), ...more.eventData };
  const { write } = more;
  let domainWrite: DomainWrite;
  if (write === undefined) {
    domainWrite = batchedWrite(intentsPaid, {
      intent,
      merchant,
      payerId: c.payerId,
      transferId: c.transferId,
      amountMinor: intent.amountMinor,
      feeMinor: fee,
      at,
      extra,
    });
  } else {
    const paid = succeeded(deps.identity, intent, merchant, c.payerId, {
      amountMinor: intent.amountMinor,
      feeMinor: fee,
      at,
      claimId: null,
      extra,
    });
    domainWrite = async (tx, result) => {
      await paid(tx, result);
      await write(tx, result);
    };
  }
  return deps.ledger.transferChain(
    chain,
    chain.map((command) => (command.id === c.transferId ? domainWrite : undefined)),
  );
}
