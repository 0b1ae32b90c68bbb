/**
 * Currency conversion between a user's own wallets (PRODUCT.md, "Wallet"): operators set a mid
 * rate and a spread per currency pair; a user asks for a quote, which locks the price for
 * `FX_QUOTE_TTL_MS`; converting with the quote moves the money as one linked ledger chain of two
 * transfers, the user's wallet in the sold currency → the FX position of that currency, and the
 * FX position of the bought currency → the user's wallet in that one. Both legs commit or
 * neither does, and the quote is marked used in the same database transaction.
 *
 * Neither step-up nor payment limits apply: a conversion is not a payment, the money stays the
 * user's and cannot leave the wallet this way, and the exchange itself is at a price the user
 * accepted moments before. Step-up and limits guard the moment money leaves (a P2P transfer, a
 * payment, a withdrawal), whatever its currency.
 */
import { createHash, randomBytes } from 'node:crypto';
import { limits } from '../limits.js';
import type { Executor, Pool } from '../db/index.js';
import { appendUserEvent } from '../events/index.js';
import { identityCodes, type IdentityFailure, type IdentityServices } from '../identity/index.js';
import type { Ledger, TransferCommand, TransferResult } from '../ledger/index.js';
import { assert } from '../lib/assert.js';
import { failure, type CodeSpec } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { ulidBody } from '../lib/ids.js';
import {
  AMOUNT_MINOR_MAX,
  isCurrencyCode,
  money,
  type CurrencyCode,
  type Money,
} from '../money/index.js';
import { ensureWalletAccount } from './accounts.js';
import { walletCodes, type WalletFailure } from './codes.js';
import { fxCodes, type FxFailure } from './fx-codes.js';
import {
  customerRate,
  formatRate,
  FX_RATE_FRACTION_DIGITS_MAX,
  isSpreadAllowed,
  normalizeRate,
  parseRate,
  quoteAmounts,
  ratio,
  type FixedSide,
  type Ratio,
} from './fx-core.js';
import { systemAccountId } from './ids.js';

/** How long a quote's price holds: long enough to read and confirm, short enough to be fair. */
export const FX_QUOTE_TTL_MS = limits.fxQuoteTtlMs;
/** Unused quotes are kept this long after they expire (support can still look them up). */
export const FX_QUOTE_RETENTION_MS = limits.fxQuoteRetentionMs;
/** Expired quotes deleted per pass of the clean-up job. */
export const FX_QUOTE_PURGE_BATCH_SIZE_MAX = limits.fxQuotePurgeBatchSizeMax;
/** The ledger account code of the FX positions, one system account per currency. */
export const FX_POSITION_CODE = 'fx_position';

export type FxResult<T> = ({ readonly ok: true } & T) | FxFailure | WalletFailure | IdentityFailure;

export interface FxDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly identity: IdentityServices;
  /** Currencies users may hold; a rate, quote or conversion needs both of its currencies here. */
  readonly currencies: readonly string[];
}

export interface FxRateInput {
  readonly base: string;
  readonly quote: string;
  /** How many units of `quote` one unit of `base` is worth, as decimal text ('7.2345'). */
  readonly mid: string;
  readonly spreadBps: number;
}

export interface FxRate {
  readonly id: bigint;
  readonly base: CurrencyCode;
  readonly quote: CurrencyCode;
  /** Canonical decimal text, no trailing zeros. */
  readonly mid: string;
  readonly spreadBps: number;
  /** What one unit gets the other way, spread included (customer rates, for display). */
  readonly baseToQuote: Ratio;
  readonly quoteToBase: Ratio;
  /** The operator who set it; null when it was set from the command line. */
  readonly setBy: string | null;
  readonly setAt: Date;
}

export type FxQuoteRequest =
  | { readonly sell: Money; readonly buyCurrency: string }
  | { readonly buy: Money; readonly sellCurrency: string };

export interface FxQuote {
  readonly id: string;
  readonly userId: string;
  readonly rateId: bigint;
  readonly sell: Money;
  readonly buy: Money;
  readonly fixed: FixedSide;
  /** Units of the buy currency one unit of the sell currency gets, spread included. */
  readonly rate: Ratio;
  readonly spreadBps: number;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
  readonly conversionId: string | null;
}

export interface FxConversion {
  /** The first ledger transfer (the sold currency leaving the wallet). */
  readonly id: string;
  readonly buyTransferId: string;
  readonly userId: string;
  readonly quoteId: string;
  readonly sell: Money;
  readonly buy: Money;
  readonly rate: Ratio;
  readonly status: 'completed';
  readonly createdAt: Date;
}

export interface Fx {
  /** Sets the current rate of a pair (the older ones stay as history). */
  setRate(operatorId: string | null, input: FxRateInput): Promise<FxResult<{ rate: FxRate }>>;
  /** The current rate of every pair whose two currencies are enabled. */
  currentRates(): Promise<FxRate[]>;
  quote(userId: string, request: FxQuoteRequest): Promise<FxResult<{ quote: FxQuote }>>;
  /**
   * Converts with a quote, once: the same quote with the same idempotency key answers the same
   * conversion again; with another key it is `fx_quote_used`.
   */
  convert(
    userId: string,
    quoteId: string,
    idempotencyKey: string,
  ): Promise<FxResult<{ conversion: FxConversion }>>;
  /** Deletes quotes that expired unused more than FX_QUOTE_RETENTION_MS ago; for a worker. */
  purgeExpiredQuotes(): Promise<number>;
}

/**
 * The FX position account of a currency: the house's side of every conversion in it. It may go
 * either way (no balance flags): it is credited with what users sell and debited with what they
 * buy. Its id is derived like the other system accounts' (`systemAccountId`), so creating it
 * twice answers `exists`.
 */
export async function ensureFxPositionAccount(ledger: Ledger, currency: string): Promise<string> {
  const accountId = systemAccountId(FX_POSITION_CODE, currency);
  const [result] = await ledger.createAccounts([
    { id: accountId, currency, code: FX_POSITION_CODE, owner: 'system' },
  ]);
  assert(
    result?.code === 'ok' || result?.code === 'exists',
    `FX position account ${currency}: ${result?.code}`,
  );
  return accountId;
}

/**
 * The two ledger transfers of a quote's conversion. Their ids are derived from the quote, so
 * that any number of attempts to convert one quote name the same transfers and the ledger moves
 * the money once (`ok`), answering `exists` to the others.
 */
export function conversionTransferIds(quote: Pick<FxQuote, 'id' | 'createdAt'>): {
  readonly sell: string;
  readonly buy: string;
} {
  const id = (leg: string) => {
    const random = createHash('sha256').update(`fx\u0000${quote.id}\u0000${leg}`).digest();
    return `trf_${ulidBody(quote.createdAt.getTime(), random.subarray(0, 10))}`;
  };
  return { sell: id('sell'), buy: id('buy') };
}

function newQuoteId(nowMs: number): string {
  return `fxq_${ulidBody(nowMs, randomBytes(10))}`;
}

export function createFx(deps: FxDeps): Fx {
  const { pool, clock, ledger, identity } = deps;
  const now = () => new Date(clock.nowMs());
  const enabled = (code: string): code is CurrencyCode =>
    isCurrencyCode(code) && deps.currencies.includes(code);

  function checkPair(
    sell: string,
    buy: string,
    params: readonly [string, string],
  ): FxResult<{ sell: CurrencyCode; buy: CurrencyCode }> {
    if (!enabled(sell)) return failure('currency_not_enabled', { param: params[0] });
    if (!enabled(buy)) return failure('currency_not_enabled', { param: params[1] });
    if (sell === buy) return failure('fx_same_currency', { param: params[1] });
    return { ok: true, sell, buy };
  }

  async function quote(
    userId: string,
    request: FxQuoteRequest,
  ): Promise<FxResult<{ quote: FxQuote }>> {
    const bySell = 'sell' in request;
    const fixed: FixedSide = bySell ? 'sell' : 'buy';
    const amount = bySell ? request.sell : request.buy;
    const pair = bySell
      ? checkPair(request.sell.currency, request.buyCurrency, ['sell.currency', 'buy_currency'])
      : checkPair(request.sellCurrency, request.buy.currency, ['sell_currency', 'buy.currency']);
    if (!pair.ok) return pair;
    const rate = await selectCurrentRate(pool, pair.sell, pair.buy);
    if (rate === undefined) return failure('fx_rate_unavailable');
    const mid = parseRate(rate.mid);
    assert(mid !== undefined, `stored mid rate ${rate.mid} does not parse`);
    const terms = {
      sell: pair.sell,
      buy: pair.buy,
      mid,
      base: rate.base,
      spreadBps: rate.spreadBps,
    };
    const math = quoteAmounts(terms, fixed, amount.amountMinor, AMOUNT_MINOR_MAX);
    if (!math.ok) return failure(math.code, { param: `${fixed}.amount` });
    const nowMs = clock.nowMs();
    const created: FxQuote = {
      id: newQuoteId(nowMs),
      userId,
      rateId: rate.id,
      sell: money(math.sellMinor, pair.sell),
      buy: money(math.buyMinor, pair.buy),
      fixed,
      rate: math.rate,
      spreadBps: rate.spreadBps,
      createdAt: new Date(nowMs),
      expiresAt: new Date(nowMs + FX_QUOTE_TTL_MS),
      usedAt: null,
      conversionId: null,
    };
    await insertQuote(pool, created);
    return { ok: true, quote: created };
  }

  /** A quote that was converted: the same request again, or somebody else's attempt. */
  async function settled(
    found: FxQuote,
    idempotencyKey: string,
  ): Promise<FxResult<{ conversion: FxConversion }>> {
    const conversion = await selectConversionByQuote(pool, found.id);
    assert(conversion !== undefined, `quote ${found.id} is used but has no conversion`);
    if (conversion.idempotencyKey !== idempotencyKey) {
      return failure('fx_quote_used', { param: 'quote_id' });
    }
    return { ok: true, conversion: conversion.conversion };
  }

  async function convert(
    userId: string,
    quoteId: string,
    idempotencyKey: string,
  ): Promise<FxResult<{ conversion: FxConversion }>> {
    const found = await selectQuote(pool, quoteId);
    if (found === undefined || found.userId !== userId) {
      return failure('fx_quote_not_found', { param: 'quote_id' });
    }
    if (found.conversionId !== null) return settled(found, idempotencyKey);
    if (clock.nowMs() >= found.expiresAt.getTime()) {
      return failure('fx_quote_expired', { param: 'quote_id' });
    }
    const pair = checkPair(found.sell.currency, found.buy.currency, ['quote_id', 'quote_id']);
    if (!pair.ok) return pair;
    const verified = await identity.identity.requireVerified(userId);
    if (!verified.ok) return verified;
    // Fails fast, before the bought currency's wallet is opened, when the money is plainly not
    // there; the ledger still decides under its lock, so a race only reaches its refusal.
    const source = await selectWalletAccount(pool, userId, found.sell.currency);
    if (source === undefined || (await availableMinor(source)) < found.sell.amountMinor) {
      return unlessUsed(found, idempotencyKey, () =>
        failure('insufficient_funds', { param: 'quote_id' }),
      );
    }
    const target = await ensureWalletAccount(
      pool,
      ledger,
      verified.user,
      found.buy.currency,
      now(),
    );
    const results = await ledger.transferChain(await conversionChain(found, source, target), [
      (tx, result) => recordConversion(tx, found, result, idempotencyKey),
    ]);
    if (!results.every((r) => r.code === 'ok' || r.code === 'exists')) {
      return unlessUsed(found, idempotencyKey, () => chainFailure(results));
    }
    return settled(found, idempotencyKey);
  }

  /**
   * A refusal, unless this very quote was converted by a concurrent request in the meantime:
   * then the money is gone because of that conversion, and the answer is `fx_quote_used` (or
   * the conversion itself, for the same key). The ledger may answer such a late duplicate of a
   * chain by its balance (`exceeds_credits`) rather than by its ids (`exists`), because a batch
   * reads the stored transfers before it locks the accounts.
   */
  async function unlessUsed(
    found: FxQuote,
    idempotencyKey: string,
    refusal: () => WalletFailure,
  ): Promise<FxResult<{ conversion: FxConversion }>> {
    const latest = await selectQuote(pool, found.id);
    if (latest !== undefined && latest.conversionId !== null) {
      return settled(latest, idempotencyKey);
    }
    return refusal();
  }

  async function availableMinor(accountId: string): Promise<bigint> {
    const account = await ledger.getAccount(accountId);
    assert(account !== undefined, `wallet account ${accountId} is not in the ledger`);
    return account.creditsPosted - account.debitsPosted - account.debitsPending;
  }

  async function conversionChain(
    found: FxQuote,
    sourceAccountId: string,
    targetAccountId: string,
  ): Promise<TransferCommand[]> {
    const ids = conversionTransferIds(found);
    const metadata = { quote_id: found.id };
    return [
      {
        id: ids.sell,
        debitAccountId: sourceAccountId,
        creditAccountId: await ensureFxPositionAccount(ledger, found.sell.currency),
        amountMinor: found.sell.amountMinor,
        currency: found.sell.currency,
        code: 'fx_sell',
        flags: { linked: true },
        metadata,
      },
      {
        id: ids.buy,
        debitAccountId: await ensureFxPositionAccount(ledger, found.buy.currency),
        creditAccountId: targetAccountId,
        amountMinor: found.buy.amountMinor,
        currency: found.buy.currency,
        code: 'fx_buy',
        metadata,
      },
    ];
  }

  /** Runs in the ledger's transaction, only when the chain's first transfer is new (`ok`). */
  async function recordConversion(
    tx: Executor,
    found: FxQuote,
    result: TransferResult,
    idempotencyKey: string,
  ): Promise<void> {
    const at = now();
    const buyTransferId = conversionTransferIds(found).buy;
    await markQuoteUsed(tx, found.id, result.id, at);
    await insertConversion(tx, found, { id: result.id, buyTransferId, idempotencyKey, at });
    await appendUserEvent(
      tx,
      {
        userId: found.userId,
        type: 'balance.changed',
        data: {
          conversion_id: result.id,
          sell_amount_minor: String(found.sell.amountMinor),
          sell_currency: found.sell.currency,
          buy_amount_minor: String(found.buy.amountMinor),
          buy_currency: found.buy.currency,
        },
      },
      at,
    );
  }

  return {
    async setRate(operatorId, input) {
      const pair = checkPair(input.base, input.quote, ['base', 'quote']);
      if (!pair.ok) return pair;
      const mid = normalizeRate(input.mid);
      if (mid === undefined) return failure('fx_rate_out_of_range', { param: 'mid' });
      if (!isSpreadAllowed(input.spreadBps)) {
        return failure('fx_spread_out_of_range', { param: 'spread_bps' });
      }
      const rate = await insertRate(pool, {
        base: pair.sell,
        quote: pair.buy,
        mid,
        spreadBps: input.spreadBps,
        setBy: operatorId,
        setAt: now(),
      });
      return { ok: true, rate };
    },
    async currentRates() {
      const rates = await selectCurrentRates(pool);
      return rates.filter((r) => enabled(r.base) && enabled(r.quote));
    },
    quote,
    convert,
    purgeExpiredQuotes: () =>
      deleteExpiredQuotes(pool, new Date(clock.nowMs() - FX_QUOTE_RETENTION_MS)),
  };
}

function chainFailure(results: readonly TransferResult[]): WalletFailure {
  const failed = results.find((r) => r.code !== 'linked_event_failed');
  switch (failed?.code) {
    case 'exceeds_credits':
      return failure('insufficient_funds', { param: 'quote_id' });
    case 'account_frozen':
      return failure('wallet_frozen');
    default:
      throw new Error(`unexpected ledger result for a conversion: ${failed?.code}`);
  }
}

// What the routes and the command line use of the FX core and codes, from one place.
export { fxCodes, type FxCode, type FxFailure } from './fx-codes.js';
export { formatRate, FX_SPREAD_BPS_MAX, type FixedSide, type Ratio } from './fx-core.js';

// ---------------------------------------------------------------------------------------------
// The command line: `hebao fx-rate <base> <quote> <mid> <spread-bps>`

export const FX_RATE_USAGE =
  'usage: hebao fx-rate <base> <quote> <mid> <spread-bps>\n' +
  '  sets the rate of a currency pair: 1 <base> = <mid> <quote>, the house keeping <spread-bps>\n' +
  '  basis points of each conversion (e.g. hebao fx-rate USD CNY 7.2345 30)\n';

const titles: Readonly<Record<string, CodeSpec>> = { ...identityCodes, ...walletCodes, ...fxCodes };

/** The `fx-rate` command, for the CLI to call: its exit code and what to print. */
export async function runFxRateCommand(
  fx: Fx,
  args: readonly string[],
): Promise<{ readonly exitCode: 0 | 1 | 2; readonly output: string }> {
  const [base, quote, mid, spread] = args;
  if (
    args.length !== 4 ||
    base === undefined ||
    quote === undefined ||
    mid === undefined ||
    spread === undefined ||
    !/^[0-9]{1,4}$/.test(spread)
  ) {
    return { exitCode: 2, output: FX_RATE_USAGE };
  }
  const result = await fx.setRate(null, {
    base: base.toUpperCase(),
    quote: quote.toUpperCase(),
    mid,
    spreadBps: Number(spread),
  });
  if (!result.ok) {
    const title = titles[result.code]?.title.en ?? result.code;
    return { exitCode: 1, output: `${result.code}: ${title} (${result.param ?? 'input'})\n` };
  }
  const r = result.rate;
  const from = r.setAt.toISOString();
  return {
    exitCode: 0,
    output: `1 ${r.base} = ${r.mid} ${r.quote} (mid), spread ${r.spreadBps} bps, current from ${from}\n`,
  };
}

// ---------------------------------------------------------------------------------------------
// SQL: fx_rates, fx_quotes, fx_conversions (and the wallet's own wallet_accounts).

interface RateRow {
  id: bigint;
  base_currency: string;
  quote_currency: string;
  mid: string;
  spread_bps: number;
  set_by: string | null;
  set_at: Date;
}

function currencyOf(code: string): CurrencyCode {
  assert(isCurrencyCode(code), `unknown currency ${code} in the FX tables`);
  return code;
}

function rateOf(r: RateRow): FxRate {
  const mid = parseRate(r.mid);
  assert(mid !== undefined, `stored mid rate ${r.mid} does not parse`);
  return {
    id: r.id,
    base: currencyOf(r.base_currency),
    quote: currencyOf(r.quote_currency),
    mid: formatRate(mid, FX_RATE_FRACTION_DIGITS_MAX),
    spreadBps: r.spread_bps,
    baseToQuote: customerRate(mid, r.spread_bps, true),
    quoteToBase: customerRate(mid, r.spread_bps, false),
    setBy: r.set_by,
    setAt: r.set_at,
  };
}

const RATE_COLUMNS =
  'id, base_currency, quote_currency, mid::text AS mid, spread_bps, set_by, set_at';

async function insertRate(
  db: Executor,
  rate: Pick<FxRate, 'base' | 'quote' | 'mid' | 'spreadBps' | 'setBy' | 'setAt'>,
): Promise<FxRate> {
  const { rows } = await db.query<RateRow>(
    `INSERT INTO fx_rates (base_currency, quote_currency, mid, spread_bps, set_by, set_at)
     VALUES ($1, $2, $3::numeric, $4, $5, $6) RETURNING ${RATE_COLUMNS}`,
    [rate.base, rate.quote, rate.mid, rate.spreadBps, rate.setBy, rate.setAt],
  );
  return rateOf(rows[0]!);
}

/** The newest rate of the pair, whichever way round it was set. */
async function selectCurrentRate(
  db: Executor,
  a: CurrencyCode,
  b: CurrencyCode,
): Promise<FxRate | undefined> {
  const { rows } = await db.query<RateRow>(
    `SELECT ${RATE_COLUMNS} FROM fx_rates
      WHERE LEAST(base_currency, quote_currency) = LEAST($1::text, $2::text)
        AND GREATEST(base_currency, quote_currency) = GREATEST($1::text, $2::text)
      ORDER BY id DESC LIMIT 1`,
    [a, b],
  );
  return rows[0] === undefined ? undefined : rateOf(rows[0]);
}

/** The newest rate of every pair; at most one row per pair of known currencies. */
async function selectCurrentRates(db: Executor): Promise<FxRate[]> {
  const pair = 'LEAST(base_currency, quote_currency), GREATEST(base_currency, quote_currency)';
  const { rows } = await db.query<RateRow>(
    `SELECT ${RATE_COLUMNS} FROM (
       SELECT DISTINCT ON (${pair}) * FROM fx_rates ORDER BY ${pair}, id DESC
     ) current ORDER BY base_currency, quote_currency`,
  );
  return rows.map(rateOf);
}

interface QuoteRow {
  id: string;
  user_id: string;
  rate_id: bigint;
  sell_currency: string;
  sell_amount_minor: bigint;
  buy_currency: string;
  buy_amount_minor: bigint;
  fixed_side: FixedSide;
  rate_numerator: string;
  rate_denominator: string;
  spread_bps: number;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  conversion_id: string | null;
}

function quoteOf(r: QuoteRow): FxQuote {
  return {
    id: r.id,
    userId: r.user_id,
    rateId: r.rate_id,
    sell: money(r.sell_amount_minor, currencyOf(r.sell_currency)),
    buy: money(r.buy_amount_minor, currencyOf(r.buy_currency)),
    fixed: r.fixed_side,
    rate: ratio(BigInt(r.rate_numerator), BigInt(r.rate_denominator)),
    spreadBps: r.spread_bps,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    usedAt: r.used_at,
    conversionId: r.conversion_id,
  };
}

async function insertQuote(db: Executor, q: FxQuote): Promise<void> {
  await db.query(
    `INSERT INTO fx_quotes (id, user_id, rate_id, sell_currency, sell_amount_minor, buy_currency,
       buy_amount_minor, fixed_side, rate_numerator, rate_denominator, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric, $10::numeric, $11, $12)`,
    [
      q.id,
      q.userId,
      q.rateId,
      q.sell.currency,
      q.sell.amountMinor,
      q.buy.currency,
      q.buy.amountMinor,
      q.fixed,
      q.rate.numerator.toString(),
      q.rate.denominator.toString(),
      q.createdAt,
      q.expiresAt,
    ],
  );
}

async function selectQuote(db: Executor, id: string): Promise<FxQuote | undefined> {
  // Only well-formed ids are looked up, so a malformed one is simply not found.
  if (!/^fxq_[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) return undefined;
  const { rows } = await db.query<QuoteRow>(
    `SELECT q.id, q.user_id, q.rate_id, q.sell_currency, q.sell_amount_minor, q.buy_currency,
            q.buy_amount_minor, q.fixed_side, q.rate_numerator::text AS rate_numerator,
            q.rate_denominator::text AS rate_denominator, r.spread_bps, q.created_at,
            q.expires_at, q.used_at, q.conversion_id
       FROM fx_quotes q JOIN fx_rates r ON r.id = q.rate_id
      WHERE q.id = $1`,
    [id],
  );
  return rows[0] === undefined ? undefined : quoteOf(rows[0]);
}

async function markQuoteUsed(
  tx: Executor,
  quoteId: string,
  conversionId: string,
  at: Date,
): Promise<void> {
  const { rowCount } = await tx.query(
    `UPDATE fx_quotes SET used_at = $3, conversion_id = $2 WHERE id = $1 AND used_at IS NULL`,
    [quoteId, conversionId, at],
  );
  // The transfer ids are the quote's own, so the ledger commits them (`ok`) once per quote.
  assert(rowCount === 1, `quote ${quoteId} converted twice`);
}

async function insertConversion(
  tx: Executor,
  q: FxQuote,
  c: { id: string; buyTransferId: string; idempotencyKey: string; at: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO fx_conversions (id, buy_transfer_id, user_id, quote_id, sell_currency,
       sell_amount_minor, buy_currency, buy_amount_minor, status, idempotency_key, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'completed', $9, $10)`,
    [
      c.id,
      c.buyTransferId,
      q.userId,
      q.id,
      q.sell.currency,
      q.sell.amountMinor,
      q.buy.currency,
      q.buy.amountMinor,
      c.idempotencyKey,
      c.at,
    ],
  );
}

async function selectConversionByQuote(
  db: Executor,
  quoteId: string,
): Promise<{ conversion: FxConversion; idempotencyKey: string } | undefined> {
  const { rows } = await db.query<{
    id: string;
    buy_transfer_id: string;
    user_id: string;
    quote_id: string;
    sell_currency: string;
    sell_amount_minor: bigint;
    buy_currency: string;
    buy_amount_minor: bigint;
    idempotency_key: string;
    created_at: Date;
    rate_numerator: string;
    rate_denominator: string;
  }>(
    `SELECT c.id, c.buy_transfer_id, c.user_id, c.quote_id, c.sell_currency, c.sell_amount_minor,
            c.buy_currency, c.buy_amount_minor, c.idempotency_key, c.created_at,
            q.rate_numerator::text AS rate_numerator, q.rate_denominator::text AS rate_denominator
       FROM fx_conversions c JOIN fx_quotes q ON q.id = c.quote_id
      WHERE c.quote_id = $1`,
    [quoteId],
  );
  const r = rows[0];
  if (r === undefined) return undefined;
  return {
    idempotencyKey: r.idempotency_key,
    conversion: {
      id: r.id,
      buyTransferId: r.buy_transfer_id,
      userId: r.user_id,
      quoteId: r.quote_id,
      sell: money(r.sell_amount_minor, currencyOf(r.sell_currency)),
      buy: money(r.buy_amount_minor, currencyOf(r.buy_currency)),
      rate: ratio(BigInt(r.rate_numerator), BigInt(r.rate_denominator)),
      status: 'completed',
      createdAt: r.created_at,
    },
  };
}

async function selectWalletAccount(
  db: Executor,
  userId: string,
  currency: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ account_id: string }>(
    'SELECT account_id FROM wallet_accounts WHERE user_id = $1 AND currency = $2',
    [userId, currency],
  );
  return rows[0]?.account_id;
}

async function deleteExpiredQuotes(db: Executor, expiredBefore: Date): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM fx_quotes WHERE id = ANY (ARRAY(
       SELECT id FROM fx_quotes WHERE used_at IS NULL AND expires_at < $1 LIMIT $2))`,
    [expiredBefore, FX_QUOTE_PURGE_BATCH_SIZE_MAX],
  );
  return rowCount ?? 0;
}
