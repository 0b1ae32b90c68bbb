/**
 * History (PRODUCT.md, "Wallet"): every movement a user sees, from the `wallet_history` view
 * (migrations/0013_history.sql, with merchant payments and refunds since
 * migrations/0021_history_merchants.sql) — the filtered list, a receipt with its status timeline,
 * the CSV export, the monthly statement and the spending insights.
 *
 * Merchant payments and refunds are read with SQL from the merchants' tables, as the view reads
 * them: the merchants module depends on the wallet, never the other way round.
 *
 * Everything is keyset-paginated by id (ids are time-sortable), newest first, and bounded: a list
 * page holds at most `limits.pageSizeMax` rows, the export reads `HISTORY_EXPORT_BATCH_SIZE` rows
 * per query and yields them before it reads more, so its memory does not grow with the history.
 * A date range is also turned into a range of ids (`idWindow`), so that a query over an old month
 * scans that month's index entries only.
 *
 * The monthly statement takes its balances and totals from the ledger's journal, so that opening
 * + money in − money out = closing, exactly, and the closing balance is the ledger's.
 */
import type { Executor, Pool } from '../db/index.js';
import { assert } from '../lib/assert.js';
import type { Clock } from '../lib/clock.js';
import { ulidBody } from '../lib/ids.js';
import { limits } from '../limits.js';
import { formatAmount, isCurrencyCode } from '../money/index.js';
import { walletAccounts } from './accounts.js';

/**
 * Rows the CSV export reads per query. Small enough that a batch is rarely alive when V8 sweeps
 * its young generation: with 1,000 rows, some exports of 100,000 rows saw V8 start moving the
 * rows straight to the old generation and the process grow by 70 MB before a full collection;
 * with 250, none did (and the export took 1.5 s instead of 1.2 s).
 */
export const HISTORY_EXPORT_BATCH_SIZE = limits.historyExportBatchSize;
/**
 * Characters per chunk of CSV text the export yields (a chunk ends at the first line end past
 * it). Chunks stay far below V8's large-object size (128 KB, two bytes a character for Chinese
 * notes): a large string goes straight to the old generation, which only a full collection
 * sweeps, so an export made of large chunks piled up garbage there and the process grew with
 * the file (measured: by about the file's size) until one came. Small chunks die young.
 */
export const HISTORY_EXPORT_CHUNK_CHARS = 16_384;
/** Movements listed in a monthly statement; the rest are in the list or the CSV export. */
export const STATEMENT_ENTRIES_MAX = limits.pageSizeMax;
/**
 * How far the time in a movement's id may be from its `created_at`. P2P transfers, top-ups,
 * withdrawals and refunds take both from one clock reading, a merchant payment's `created_at` is
 * its id's time; a conversion's ids carry its quote's time, at
 * most FX_QUOTE_TTL_MS (30 s) before the conversion. A date range widened by this much on both
 * sides is a range of ids that holds every movement of the dates.
 */
export const ID_TIME_SLACK_MS = 3_600_000;

export type HistoryType =
  'p2p' | 'topup' | 'withdrawal' | 'conversion' | 'merchant_payment' | 'refund';
export type HistoryDirection = 'incoming' | 'outgoing';
export type HistoryStatus =
  | 'processing'
  | 'pending'
  | 'held'
  | 'releasing'
  | 'cancelling'
  | 'completed'
  | 'cancelled'
  | 'failed';
/** Merchant payments take theirs from the merchant's MCC (`hebao_mcc_category` in 0021). */
export type HistoryCategory =
  | 'transfers'
  | 'top_ups'
  | 'withdrawals'
  | 'currency_exchange'
  | 'dining'
  | 'groceries'
  | 'transport'
  | 'shopping'
  | 'bills'
  | 'entertainment'
  | 'merchants'
  | 'refunds';
/** Statement totals also count ledger movements the history does not list (adjustments). */
export type StatementType = HistoryType | 'other';

export const historyTypes: readonly HistoryType[] = [
  'p2p',
  'topup',
  'withdrawal',
  'conversion',
  'merchant_payment',
  'refund',
];
export const historyStatuses: readonly HistoryStatus[] = [
  'processing',
  'pending',
  'held',
  'releasing',
  'cancelling',
  'completed',
  'cancelled',
  'failed',
];
export const historyCategories: readonly HistoryCategory[] = [
  'transfers',
  'top_ups',
  'withdrawals',
  'currency_exchange',
  'dining',
  'groceries',
  'transport',
  'shopping',
  'bills',
  'entertainment',
  'merchants',
  'refunds',
];

/** One movement as one user sees it: a P2P transfer is outgoing for one and incoming for the other. */
export interface HistoryEntry {
  readonly id: string;
  readonly type: HistoryType;
  readonly direction: HistoryDirection;
  /** The other user (P2P), the card (top-up, withdrawal), the merchant, or null (conversion). */
  readonly counterpartyId: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly status: HistoryStatus;
  readonly note: string | null;
  readonly category: HistoryCategory;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
  /** The merchant's names (merchant payments and refunds) in lists and receipts; else null. */
  readonly merchantName: { readonly zh: string; readonly en: string } | null;
}

export interface HistoryFilter {
  readonly type?: HistoryType | undefined;
  readonly status?: HistoryStatus | undefined;
  readonly direction?: HistoryDirection | undefined;
  readonly counterpartyId?: string | undefined;
  readonly currency?: string | undefined;
  readonly createdGte?: Date | undefined;
  readonly createdLt?: Date | undefined;
  readonly amountMinorGte?: bigint | undefined;
  readonly amountMinorLte?: bigint | undefined;
  /** Text the note contains, case-insensitively; LIKE's wildcards in it match themselves. */
  readonly noteContains?: string | undefined;
}

export interface HistoryPage {
  readonly limit: number;
  /** Older than this id (the next page). */
  readonly startingAfter?: string | undefined;
  /** Newer than this id (the previous page); the page is still newest first. */
  readonly endingBefore?: string | undefined;
}

export interface TimelineStep {
  readonly status: 'created' | 'pending' | 'held' | Exclude<HistoryStatus, 'processing'>;
  readonly at: Date;
  readonly failureCode: string | null;
}

export interface Receipt {
  readonly entry: HistoryEntry;
  readonly failureCode: string | null;
  /** Oldest first: created, then held / pending, then how it ended (or the step under way). */
  readonly timeline: readonly TimelineStep[];
  readonly transfer: {
    readonly payerId: string;
    readonly payeeId: string;
    readonly arrival: 'instant' | 'delay_2h' | 'delay_24h';
    readonly holdReason: 'delay_2h' | 'delay_24h' | 'risk' | null;
    readonly releaseAt: Date | null;
  } | null;
  readonly card: { readonly id: string; readonly brand: string; readonly last4: string } | null;
  readonly conversion: {
    readonly quoteId: string;
    readonly sellAmountMinor: bigint;
    readonly sellCurrency: string;
    readonly buyAmountMinor: bigint;
    readonly buyCurrency: string;
  } | null;
  /** A merchant payment's or refund's merchant, and the payment intent paid or refunded. */
  readonly merchant: {
    readonly id: string;
    readonly nameZh: string;
    readonly nameEn: string;
    readonly paymentIntentId: string;
    /** The refund (for a refund), else null. */
    readonly refundId: string | null;
  } | null;
}

export interface TypeTotals {
  readonly type: StatementType;
  readonly inMinor: bigint;
  readonly outMinor: bigint;
}

export interface CurrencyStatement {
  readonly currency: string;
  readonly openingMinor: bigint;
  readonly closingMinor: bigint;
  readonly inMinor: bigint;
  readonly outMinor: bigint;
  readonly byType: readonly TypeTotals[];
}

export interface MonthlyStatement {
  readonly month: string;
  readonly timeZone: string;
  readonly periodStart: Date;
  /** The end of the month (exclusive); for the month under way, balances are as of now. */
  readonly periodEnd: Date;
  readonly currencies: readonly CurrencyStatement[];
  /** The month's movements, newest first, at most STATEMENT_ENTRIES_MAX. */
  readonly entries: readonly HistoryEntry[];
  readonly hasMore: boolean;
}

export interface CategoryTotal {
  readonly category: HistoryCategory;
  readonly amountMinor: bigint;
  readonly count: number;
}

export interface SpendingInsights {
  readonly month: string;
  readonly timeZone: string;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  /** Per currency (amounts in different currencies are never added up), largest first. */
  readonly currencies: ReadonlyArray<{
    readonly currency: string;
    readonly totalMinor: bigint;
    readonly categories: readonly CategoryTotal[];
  }>;
}

export interface HistoryDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  /** The operator's time zone (HEBAO_TIMEZONE): where months begin unless a caller says. */
  readonly timeZone: string;
}

export interface History {
  readonly timeZone: string;
  list(
    userId: string,
    page: HistoryPage,
    filter?: HistoryFilter,
  ): Promise<{ readonly data: HistoryEntry[]; readonly hasMore: boolean }>;
  /** The user's own movement; anyone else's id is undefined. */
  receipt(userId: string, id: string): Promise<Receipt | undefined>;
  /** The CSV file, header first, in chunks of about HISTORY_EXPORT_CHUNK_CHARS characters. */
  exportCsv(
    userId: string,
    range: { readonly from?: Date | undefined; readonly to?: Date | undefined },
  ): AsyncIterable<string>;
  /** undefined when the month has not begun yet. */
  monthlyStatement(
    userId: string,
    month: string,
    timeZone?: string,
  ): Promise<MonthlyStatement | undefined>;
  /**
   * Outgoing completed movements created in the month, by category; undefined as above. Refunds
   * are incoming, so they are not counted and do not reduce the spending of their category: the
   * history lists them in a category of their own.
   */
  spendingInsights(
    userId: string,
    month: string,
    timeZone?: string,
  ): Promise<SpendingInsights | undefined>;
}

export function createHistory(deps: HistoryDeps): History {
  const { pool, clock } = deps;

  async function list(userId: string, page: HistoryPage, filter: HistoryFilter = {}) {
    const limit = Math.min(Math.max(Math.trunc(page.limit), 1), limits.pageSizeMax);
    const rows = await selectHistory(pool, userId, { ...page, limit: limit + 1 }, filter);
    const data = await withMerchantNames(pool, rows.slice(0, limit));
    // A previous page was read from its cursor upwards; the page is shown newest first.
    if (page.endingBefore !== undefined) data.reverse();
    return { data, hasMore: rows.length > limit };
  }

  return {
    timeZone: deps.timeZone,
    list,
    receipt: (userId, id) => selectReceipt(pool, userId, id),
    exportCsv: (userId, range) => csvFile(pool, userId, range),
    async monthlyStatement(userId, month, timeZone = deps.timeZone) {
      const period = monthPeriod(month, timeZone, clock.nowMs());
      if (period === undefined) return undefined;
      const [currencies, entries] = await Promise.all([
        statementBalances(pool, userId, period),
        list(
          userId,
          { limit: STATEMENT_ENTRIES_MAX },
          { createdGte: period.start, createdLt: period.end },
        ),
      ]);
      return {
        month,
        timeZone,
        periodStart: period.start,
        periodEnd: period.end,
        currencies,
        entries: entries.data,
        hasMore: entries.hasMore,
      };
    },
    async spendingInsights(userId, month, timeZone = deps.timeZone) {
      const period = monthPeriod(month, timeZone, clock.nowMs());
      if (period === undefined) return undefined;
      return {
        month,
        timeZone,
        periodStart: period.start,
        periodEnd: period.end,
        currencies: await selectSpending(pool, userId, period),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The pure core: id windows, months in a time zone, the timeline, CSV.

const ZERO_RANDOM = new Uint8Array(10);
const ID_TIME_MAX_MS = 2 ** 48 - 1;

/** The smallest id of a millisecond: every id created at `ms` or later sorts at or after it. */
function idFloor(ms: number): string {
  return `trf_${ulidBody(Math.min(Math.max(Math.floor(ms), 0), ID_TIME_MAX_MS), ZERO_RANDOM)}`;
}

function minId(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/** The ids a page may hold: after/before the cursors, and within the dates (widened by the slack). */
export function idWindow(
  page: Pick<HistoryPage, 'startingAfter' | 'endingBefore'>,
  filter: Pick<HistoryFilter, 'createdGte' | 'createdLt'>,
): { readonly idLt?: string; readonly idGt?: string; readonly idGte?: string } {
  const timeLt =
    filter.createdLt === undefined
      ? undefined
      : idFloor(filter.createdLt.getTime() + ID_TIME_SLACK_MS);
  const idLt = minId(page.startingAfter, timeLt);
  return {
    ...(idLt === undefined ? {} : { idLt }),
    ...(page.endingBefore === undefined ? {} : { idGt: page.endingBefore }),
    ...(filter.createdGte === undefined
      ? {}
      : { idGte: idFloor(filter.createdGte.getTime() - ID_TIME_SLACK_MS) }),
  };
}

const MONTH_PATTERN = /^([0-9]{4})-(0[1-9]|1[0-2])$/;
const formatters = new Map<string, Intl.DateTimeFormat>();
/** Time zone names come from requests, in any letter case: the cache keeps a bounded number. */
const FORMATTERS_CACHED_MAX = 1_000;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size < FORMATTERS_CACHED_MAX) formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether `timeZone` is an IANA time zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** How far local time in `timeZone` is ahead of UTC at the instant `ms`. */
function offsetMs(ms: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return local - Math.floor(ms / 1000) * 1000;
}

/** The instant a calendar month begins in `timeZone` (month 1–12; 13 is January next year). */
function monthStartMs(year: number, month: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, 1);
  // The offset at the guess can differ from the offset at the answer across a DST change.
  const guess = wall - offsetMs(wall, timeZone);
  return wall - offsetMs(guess, timeZone);
}

/** A month ('YYYY-MM') in a time zone as an instant range; undefined before it begins. */
export function monthPeriod(
  month: string,
  timeZone: string,
  nowMs: number,
): { readonly start: Date; readonly end: Date } | undefined {
  const match = MONTH_PATTERN.exec(month);
  assert(match !== null, `month ${month} is not YYYY-MM`);
  const year = Number(match[1]);
  const number = Number(match[2]);
  const start = monthStartMs(year, number, timeZone);
  if (start > nowMs) return undefined;
  return { start: new Date(start), end: new Date(monthStartMs(year, number + 1, timeZone)) };
}

/** What the timeline is made of: the movement's own timestamps and when its money moved. */
export interface TimelineFacts {
  readonly entry: HistoryEntry;
  readonly updatedAt: Date;
  readonly failureCode: string | null;
  /** When the movement's own ledger transfer committed (a hold, or the whole transfer). */
  readonly movedAt: Date | null;
  /**
   * The movement waited before completing: a held P2P transfer, a pending top-up, a merchant
   * payment held for capture.
   */
  readonly waited: boolean;
}

export function timelineOf(facts: TimelineFacts): TimelineStep[] {
  const { entry } = facts;
  const steps: TimelineStep[] = [{ status: 'created', at: entry.createdAt, failureCode: null }];
  if (facts.waited && facts.movedAt !== null) {
    steps.push({
      status: entry.type === 'p2p' || entry.type === 'merchant_payment' ? 'held' : 'pending',
      at: facts.movedAt,
      failureCode: null,
    });
  }
  switch (entry.status) {
    case 'completed':
    case 'cancelled':
    case 'failed':
      steps.push({
        status: entry.status,
        at: entry.completedAt ?? facts.updatedAt,
        failureCode: facts.failureCode,
      });
      break;
    case 'releasing':
    case 'cancelling':
      steps.push({ status: entry.status, at: facts.updatedAt, failureCode: null });
      break;
    default:
      break;
  }
  return steps;
}

export const CSV_HEADER =
  'id,created_at,completed_at,type,direction,status,amount,currency,counterparty_id,category,note\r\n';
/** Spreadsheets read a file without a byte order mark as the local code page, not UTF-8. */
export const CSV_BOM = '\uFEFF';

/** A CSV field (RFC 4180): quoted when it holds a quote, a comma or a line break. */
function csvQuoted(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * A field of free text someone typed (a note). A spreadsheet runs a cell that begins with = + - @
 * (or a tab or carriage return before one) as a formula, which can leak other cells or run
 * commands (OWASP, "CSV injection"); a leading apostrophe makes it text.
 */
export function csvText(value: string): string {
  return csvQuoted(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
}

function amountText(amountMinor: bigint, currency: string): string {
  assert(isCurrencyCode(currency), `unknown currency ${currency} in the history`);
  return formatAmount(amountMinor, currency);
}

/** One line; the amount is negative when the money left the wallet. */
export function csvRow(e: HistoryEntry): string {
  const signed = e.direction === 'outgoing' ? -e.amountMinor : e.amountMinor;
  return `${[
    e.id,
    e.createdAt.toISOString(),
    e.completedAt?.toISOString() ?? '',
    e.type,
    e.direction,
    e.status,
    amountText(signed, e.currency),
    e.currency,
    e.counterpartyId ?? '',
    e.category,
    csvText(e.note ?? ''),
  ].join(',')}\r\n`;
}

/** Lines of CSV in chunks of about HISTORY_EXPORT_CHUNK_CHARS characters, whole lines each. */
export function csvChunks(entries: readonly HistoryEntry[]): string[] {
  const chunks: string[] = [];
  let lines: string[] = [];
  let length = 0;
  for (const entry of entries) {
    const line = csvRow(entry);
    lines.push(line);
    length += line.length;
    if (length >= HISTORY_EXPORT_CHUNK_CHARS) {
      chunks.push(lines.join(''));
      lines = [];
      length = 0;
    }
  }
  if (lines.length > 0) chunks.push(lines.join(''));
  return chunks;
}

/**
 * Which statement line a ledger transfer code counts under. A merchant payment moves the payer's
 * money with `merchant_payment`, or holds it with `merchant_authorization` and then posts it
 * with `merchant_capture` (or voids it, moving nothing); the conversion legs of a payment in
 * another currency are conversions. `merchant_fee` and `merchant_settlement` move the merchant's
 * money, never a user's wallet.
 */
const typeOfLedgerCode: Readonly<Record<string, HistoryType>> = {
  p2p: 'p2p',
  p2p_held: 'p2p',
  p2p_release: 'p2p',
  p2p_cancel: 'p2p',
  topup: 'topup',
  withdrawal: 'withdrawal',
  fx_sell: 'conversion',
  fx_buy: 'conversion',
  merchant_payment: 'merchant_payment',
  merchant_authorization: 'merchant_payment',
  merchant_capture: 'merchant_payment',
  merchant_authorization_void: 'merchant_payment',
  merchant_refund: 'refund',
};

export function statementTypeOf(ledgerCode: string): StatementType {
  return Object.hasOwn(typeOfLedgerCode, ledgerCode) ? typeOfLedgerCode[ledgerCode]! : 'other';
}

// ---------------------------------------------------------------------------------------------
// The shell: SQL over the view and the tables behind it.

interface HistoryRow {
  id: string;
  type: HistoryType;
  direction: HistoryDirection;
  counterparty_id: string | null;
  amount_minor: bigint;
  currency: string;
  status: HistoryStatus;
  note: string | null;
  category: HistoryCategory;
  created_at: Date;
  completed_at: Date | null;
}

function entryOf(r: HistoryRow): HistoryEntry {
  return {
    id: r.id,
    type: r.type,
    direction: r.direction,
    counterpartyId: r.counterparty_id,
    amountMinor: r.amount_minor,
    currency: r.currency,
    status: r.status,
    note: r.note,
    category: r.category,
    createdAt: r.created_at,
    completedAt: r.completed_at,
    merchantName: null,
  };
}

const HISTORY_COLUMNS = `id, type, direction, counterparty_id, amount_minor, currency, status,
  note, category, created_at, completed_at`;

/**
 * A page of the view in the order it is read from the cursor: newest first, or oldest first for
 * `endingBefore` (the rows nearest the cursor come first either way). Every condition is written so that, with its parameter
 * bound, it either folds away or restricts each branch of the view; the id window is what the
 * (user, id) indexes scan.
 */
export async function selectHistory(
  db: Executor,
  userId: string,
  page: HistoryPage,
  filter: HistoryFilter,
): Promise<HistoryEntry[]> {
  const window = idWindow(page, filter);
  const backwards = page.endingBefore !== undefined;
  const { rows } = await db.query<HistoryRow>(
    `SELECT ${HISTORY_COLUMNS} FROM wallet_history
      WHERE user_id = $1
        AND ($2::text IS NULL OR id < $2) AND ($3::text IS NULL OR id > $3)
        AND ($4::text IS NULL OR id >= $4)
        AND ($5::text IS NULL OR type = $5) AND ($6::text IS NULL OR status = $6)
        AND ($7::text IS NULL OR direction = $7) AND ($8::text IS NULL OR counterparty_id = $8)
        AND ($9::text IS NULL OR currency = $9)
        AND ($10::timestamptz IS NULL OR created_at >= $10)
        AND ($11::timestamptz IS NULL OR created_at < $11)
        AND ($12::int8 IS NULL OR amount_minor >= $12)
        AND ($13::int8 IS NULL OR amount_minor <= $13)
        AND ($14::text IS NULL OR note ILIKE '%' || $14 || '%')
      ORDER BY id ${backwards ? 'ASC' : 'DESC'}
      LIMIT $15`,
    [
      userId,
      window.idLt ?? null,
      window.idGt ?? null,
      window.idGte ?? null,
      filter.type ?? null,
      filter.status ?? null,
      filter.direction ?? null,
      filter.counterpartyId ?? null,
      filter.currency ?? null,
      filter.createdGte ?? null,
      filter.createdLt ?? null,
      filter.amountMinorGte ?? null,
      filter.amountMinorLte ?? null,
      filter.noteContains === undefined ? null : escapeLike(filter.noteContains),
      page.limit,
    ],
  );
  return rows.map(entryOf);
}

/**
 * The names of the merchants on a page, read by primary key for the page's merchant rows only
 * (one query, none when the page has no merchant): a join in the view would stop the planner from
 * merging the branches' index scans.
 */
async function withMerchantNames(db: Executor, entries: HistoryEntry[]): Promise<HistoryEntry[]> {
  const ids = [
    ...new Set(
      entries
        .filter((e) => e.type === 'merchant_payment' || e.type === 'refund')
        .flatMap((e) => (e.counterpartyId === null ? [] : [e.counterpartyId])),
    ),
  ];
  if (ids.length === 0) return entries;
  const { rows } = await db.query<{ id: string; name_zh: string; name_en: string }>(
    'SELECT id, name_zh, name_en FROM merchants WHERE id = ANY($1::text[])',
    [ids],
  );
  const names = new Map(rows.map((r) => [r.id, { zh: r.name_zh, en: r.name_en }]));
  return entries.map((e) => {
    const name = e.counterpartyId === null ? undefined : names.get(e.counterpartyId);
    return name === undefined ? e : { ...e, merchantName: name };
  });
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** One batch of the export as chunks of CSV text, and where the next batch starts (if any). */
async function csvBatch(
  db: Executor,
  userId: string,
  cursor: string | undefined,
  filter: HistoryFilter,
): Promise<{ readonly chunks: readonly string[]; readonly next: string | undefined }> {
  const rows = await selectHistory(
    db,
    userId,
    { limit: HISTORY_EXPORT_BATCH_SIZE, startingAfter: cursor },
    filter,
  );
  const last = rows.length === HISTORY_EXPORT_BATCH_SIZE ? rows[rows.length - 1]!.id : undefined;
  return { chunks: csvChunks(rows), next: last };
}

/**
 * The export, one query per batch: each batch starts below the last id of the one before, so no
 * query holds a connection or a snapshot while the client reads, and nothing is skipped or
 * repeated. While a chunk waits for the client only its text is alive, not the rows it was made
 * from. A consumer that stops reading (the client went away) ends the loop.
 */
async function* csvFile(
  db: Executor,
  userId: string,
  range: { readonly from?: Date | undefined; readonly to?: Date | undefined },
): AsyncGenerator<string> {
  yield CSV_BOM + CSV_HEADER;
  const filter = { createdGte: range.from, createdLt: range.to };
  let cursor: string | undefined;
  do {
    const batch = await csvBatch(db, userId, cursor, filter);
    yield* batch.chunks;
    cursor = batch.next;
  } while (cursor !== undefined);
}

// Receipts: the entry, then what its own table (and the ledger) knows about it.

interface TransferDetailRow {
  payer_id: string;
  payee_id: string;
  arrival: 'instant' | 'delay_2h' | 'delay_24h';
  hold_reason: 'delay_2h' | 'delay_24h' | 'risk' | null;
  release_at: Date | null;
  failure_code: string | null;
  updated_at: Date;
  moved_at: Date | null;
}

interface FundingDetailRow {
  card_id: string;
  brand: string;
  last4: string;
  failure_code: string | null;
  updated_at: Date;
  moved_at: Date | null;
}

interface MerchantDetailRow {
  merchant_id: string;
  name_zh: string;
  name_en: string;
  payment_intent_id: string;
  refund_id: string | null;
  failure_code: string | null;
  updated_at: Date;
  moved_at: Date | null;
  held: boolean;
}

interface ConversionDetailRow {
  quote_id: string;
  sell_amount_minor: bigint;
  sell_currency: string;
  buy_amount_minor: bigint;
  buy_currency: string;
}

async function selectReceipt(
  db: Executor,
  userId: string,
  id: string,
): Promise<Receipt | undefined> {
  const { rows } = await db.query<HistoryRow>(
    `SELECT ${HISTORY_COLUMNS} FROM wallet_history WHERE user_id = $1 AND id = $2`,
    [userId, id],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const entry = entryOf(row);
  const none = { transfer: null, card: null, conversion: null, merchant: null };
  switch (entry.type) {
    case 'p2p':
      return transferReceipt(db, entry, none);
    case 'topup':
    case 'withdrawal':
      return fundingReceipt(db, entry, none);
    case 'conversion':
      return conversionReceipt(db, entry, none);
    case 'merchant_payment':
    case 'refund':
      return merchantReceipt(db, entry, none);
  }
}

type NoDetails = Pick<Receipt, 'transfer' | 'card' | 'conversion' | 'merchant'>;

/**
 * The ledger transfer of the movement itself says when its money moved (or was held): a read of
 * the ledger's table, by primary key, the way the statement reads the journal below.
 */
async function transferReceipt(db: Executor, entry: HistoryEntry, none: NoDetails) {
  const { rows } = await db.query<TransferDetailRow>(
    `SELECT t.payer_id, t.payee_id, t.arrival, t.hold_reason, t.release_at, t.failure_code,
            t.updated_at, l.created_at AS moved_at
       FROM wallet_transfers t LEFT JOIN ledger_transfers l ON l.id = t.id
      WHERE t.id = $1`,
    [entry.id],
  );
  const d = rows[0];
  assert(d !== undefined, `history entry ${entry.id} has no transfer`);
  return {
    ...none,
    entry,
    failureCode: d.failure_code,
    timeline: timelineOf({
      entry,
      updatedAt: d.updated_at,
      failureCode: d.failure_code,
      movedAt: d.moved_at,
      waited: d.hold_reason !== null,
    }),
    transfer: {
      payerId: d.payer_id,
      payeeId: d.payee_id,
      arrival: d.arrival,
      holdReason: d.hold_reason,
      releaseAt: d.release_at,
    },
  };
}

async function fundingReceipt(db: Executor, entry: HistoryEntry, none: NoDetails) {
  const table = entry.type === 'topup' ? 'topups' : 'withdrawals';
  const { rows } = await db.query<FundingDetailRow>(
    `SELECT m.card_id, c.brand, c.last4, m.failure_code, m.updated_at, l.created_at AS moved_at
       FROM ${table} m JOIN cards c ON c.id = m.card_id
       LEFT JOIN ledger_transfers l ON l.id = m.id
      WHERE m.id = $1`,
    [entry.id],
  );
  const d = rows[0];
  assert(d !== undefined, `history entry ${entry.id} has no ${entry.type}`);
  return {
    ...none,
    entry,
    failureCode: d.failure_code,
    timeline: timelineOf({
      entry,
      updatedAt: d.updated_at,
      failureCode: d.failure_code,
      movedAt: d.moved_at,
      waited: true,
    }),
    card: { id: d.card_id, brand: d.brand, last4: d.last4 },
  };
}

async function conversionReceipt(db: Executor, entry: HistoryEntry, none: NoDetails) {
  const { rows } = await db.query<ConversionDetailRow>(
    `SELECT quote_id, sell_amount_minor, sell_currency, buy_amount_minor, buy_currency
       FROM fx_conversions WHERE id = $1 OR buy_transfer_id = $1`,
    [entry.id],
  );
  const d = rows[0];
  assert(d !== undefined, `history entry ${entry.id} has no conversion`);
  return {
    ...none,
    entry,
    failureCode: null,
    timeline: timelineOf({
      entry,
      updatedAt: entry.createdAt,
      failureCode: null,
      movedAt: entry.createdAt,
      waited: false,
    }),
    conversion: {
      quoteId: d.quote_id,
      sellAmountMinor: d.sell_amount_minor,
      sellCurrency: d.sell_currency,
      buyAmountMinor: d.buy_amount_minor,
      buyCurrency: d.buy_currency,
    },
  };
}

/** The merchant's tables, read by the movement's ledger transfer id (unique in each). */
const MERCHANT_DETAIL_SQL = {
  merchant_payment: `SELECT m.id AS merchant_id, m.name_zh, m.name_en, p.id AS payment_intent_id,
            NULL::text AS refund_id, NULL::text AS failure_code, p.updated_at,
            l.created_at AS moved_at, p.capture_method = 'manual' AS held
       FROM payment_intents p JOIN merchants m ON m.id = p.merchant_id
       LEFT JOIN ledger_transfers l ON l.id = p.transfer_id
      WHERE p.transfer_id = $1`,
  refund: `SELECT m.id AS merchant_id, m.name_zh, m.name_en, r.payment_intent_id,
            r.id AS refund_id, r.failure_code, r.updated_at, l.created_at AS moved_at,
            false AS held
       FROM refunds r JOIN merchants m ON m.id = r.merchant_id
       LEFT JOIN ledger_transfers l ON l.id = r.transfer_id
      WHERE r.transfer_id = $1`,
} as const;

/**
 * A merchant payment (held first when the merchant captures it later) or a refund, with the
 * merchant's names and the payment intent it paid or refunded.
 */
async function merchantReceipt(db: Executor, entry: HistoryEntry, none: NoDetails) {
  assert(entry.type === 'merchant_payment' || entry.type === 'refund', 'not a merchant movement');
  const { rows } = await db.query<MerchantDetailRow>(MERCHANT_DETAIL_SQL[entry.type], [entry.id]);
  const d = rows[0];
  assert(d !== undefined, `history entry ${entry.id} has no ${entry.type}`);
  return {
    ...none,
    entry: { ...entry, merchantName: { zh: d.name_zh, en: d.name_en } },
    failureCode: d.failure_code,
    timeline: timelineOf({
      entry,
      updatedAt: d.updated_at,
      failureCode: d.failure_code,
      movedAt: d.moved_at,
      waited: d.held,
    }),
    merchant: {
      id: d.merchant_id,
      nameZh: d.name_zh,
      nameEn: d.name_en,
      paymentIntentId: d.payment_intent_id,
      refundId: d.refund_id,
    },
  };
}

// Statements: balances and totals from the ledger's journal, one wallet account at a time.

interface Period {
  readonly start: Date;
  readonly end: Date;
}

/**
 * The journal position of an account at an instant: its newest entry whose transfer was committed
 * before `at` (seq 0 and balance 0 when there is none). Read backwards from the newest entry, so
 * it costs the entries after `at`.
 */
async function journalAt(
  db: Executor,
  accountId: string,
  at: Date,
): Promise<{ readonly seq: bigint; readonly postedMinor: bigint }> {
  const { rows } = await db.query<{ account_seq: bigint; posted: bigint }>(
    `SELECT e.account_seq, e.credits_posted - e.debits_posted AS posted
       FROM ledger_entries e JOIN ledger_transfers t ON t.id = e.transfer_id
      WHERE e.account_id = $1 AND t.created_at < $2
      ORDER BY e.account_seq DESC LIMIT 1`,
    [accountId, at],
  );
  const row = rows[0];
  return row === undefined
    ? { seq: 0n, postedMinor: 0n }
    : { seq: row.account_seq, postedMinor: row.posted };
}

/**
 * Money in and out of an account between two journal positions, by ledger code: each entry's
 * change of the posted balance (holds change none), summed in the database. Taking the month as
 * the entries between its two positions makes opening + in − out = closing exact.
 */
async function journalTotals(
  db: Executor,
  accountId: string,
  afterSeq: bigint,
  uptoSeq: bigint,
): Promise<Array<{ readonly code: string; readonly inMinor: bigint; readonly outMinor: bigint }>> {
  const { rows } = await db.query<{ code: string; in_minor: string; out_minor: string }>(
    `SELECT code,
            coalesce(sum(delta) FILTER (WHERE delta > 0), 0)::text AS in_minor,
            coalesce(-sum(delta) FILTER (WHERE delta < 0), 0)::text AS out_minor
       FROM (SELECT e.account_seq, t.code,
                    (e.credits_posted - e.debits_posted)
                      - lag(e.credits_posted - e.debits_posted, 1, 0::int8)
                          OVER (ORDER BY e.account_seq) AS delta
               FROM ledger_entries e JOIN ledger_transfers t ON t.id = e.transfer_id
              WHERE e.account_id = $1 AND e.account_seq >= $2 AND e.account_seq <= $3) entries
      WHERE account_seq > $2
      GROUP BY code`,
    [accountId, afterSeq, uptoSeq],
  );
  return rows.map((r) => ({
    code: r.code,
    inMinor: BigInt(r.in_minor),
    outMinor: BigInt(r.out_minor),
  }));
}

function typeTotals(
  byCode: ReadonlyArray<{
    readonly code: string;
    readonly inMinor: bigint;
    readonly outMinor: bigint;
  }>,
): TypeTotals[] {
  const totals = new Map<StatementType, { inMinor: bigint; outMinor: bigint }>();
  for (const row of byCode) {
    // Holds that were voided, or are still open, moved no posted money.
    if (row.inMinor === 0n && row.outMinor === 0n) continue;
    const type = statementTypeOf(row.code);
    const sum = totals.get(type) ?? { inMinor: 0n, outMinor: 0n };
    totals.set(type, { inMinor: sum.inMinor + row.inMinor, outMinor: sum.outMinor + row.outMinor });
  }
  return [...historyTypes, 'other' as const]
    .filter((type) => totals.has(type))
    .map((type) => ({ type, ...totals.get(type)! }));
}

async function statementBalances(
  db: Executor,
  userId: string,
  period: Period,
): Promise<CurrencyStatement[]> {
  const accounts = await walletAccounts(db, userId);
  const statements: CurrencyStatement[] = [];
  for (const account of accounts) {
    const opening = await journalAt(db, account.accountId, period.start);
    const closing = await journalAt(db, account.accountId, period.end);
    const byType = typeTotals(
      closing.seq > opening.seq
        ? await journalTotals(db, account.accountId, opening.seq, closing.seq)
        : [],
    );
    const inMinor = byType.reduce((sum, t) => sum + t.inMinor, 0n);
    const outMinor = byType.reduce((sum, t) => sum + t.outMinor, 0n);
    assert(
      opening.postedMinor + inMinor - outMinor === closing.postedMinor,
      `the journal of ${account.accountId} does not add up`,
    );
    statements.push({
      currency: account.currency,
      openingMinor: opening.postedMinor,
      closingMinor: closing.postedMinor,
      inMinor,
      outMinor,
      byType,
    });
  }
  return statements;
}

async function selectSpending(
  db: Executor,
  userId: string,
  period: Period,
): Promise<SpendingInsights['currencies']> {
  const window = idWindow({}, { createdGte: period.start, createdLt: period.end });
  const { rows } = await db.query<{
    currency: string;
    category: HistoryCategory;
    amount_minor: string;
    count: number;
  }>(
    `SELECT currency, category, sum(amount_minor)::text AS amount_minor, count(*)::int4 AS count
       FROM wallet_history
      WHERE user_id = $1 AND direction = 'outgoing' AND status = 'completed'
        AND created_at >= $2 AND created_at < $3 AND id >= $4 AND id < $5
      GROUP BY currency, category`,
    [userId, period.start, period.end, window.idGte, window.idLt],
  );
  const byCurrency = new Map<string, CategoryTotal[]>();
  for (const r of rows) {
    const list = byCurrency.get(r.currency) ?? [];
    list.push({ category: r.category, amountMinor: BigInt(r.amount_minor), count: r.count });
    byCurrency.set(r.currency, list);
  }
  const largestFirst = (a: bigint, b: bigint) => (a > b ? -1 : a < b ? 1 : 0);
  return [...byCurrency]
    .map(([currency, categories]) => ({
      currency,
      totalMinor: categories.reduce((sum, c) => sum + c.amountMinor, 0n),
      categories: categories.sort((a, b) => largestFirst(a.amountMinor, b.amountMinor)),
    }))
    .sort(
      (a, b) => largestFirst(a.totalMinor, b.totalMinor) || a.currency.localeCompare(b.currency),
    );
}
