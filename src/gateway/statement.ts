import { formatAmount } from '../money/index.js';
import type { MovementRecord } from './bank-state.js';
import type { Statement, StatementMovement, StatementTotal } from './port.js';

/**
 * The daily statement: every movement that moved money (status `succeeded`) and settled within
 * one UTC day, with totals per kind and currency. Failed and pending movements are not on it,
 * because no money moved for them (yet). Pure, so that the same records give the same statement.
 */

const DAY_MS = 24 * 3_600_000;

/** The UTC day `YYYY-MM-DD` as [start, end) in milliseconds, or undefined if it is no date. */
export function dayBounds(date: string): { startMs: number; endMs: number } | undefined {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(date);
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const startMs = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2031-02-30 over into March; a real date survives the round trip.
  if (new Date(startMs).toISOString().slice(0, 10) !== date) return undefined;
  return { startMs, endMs: startMs + DAY_MS };
}

export function buildStatement(
  records: Iterable<MovementRecord>,
  date: string,
  nowMs: number,
): Statement | undefined {
  const day = dayBounds(date);
  if (day === undefined) return undefined;
  const movements: StatementMovement[] = [];
  for (const r of records) {
    if (r.status !== 'succeeded' || r.settledAtMs === undefined) continue;
    if (r.settledAtMs < day.startMs || r.settledAtMs >= day.endMs) continue;
    movements.push({
      id: r.id,
      kind: r.kind,
      reference: r.reference,
      amountMinor: r.amountMinor,
      currency: r.currency,
      settledAt: new Date(r.settledAtMs),
    });
  }
  movements.sort(
    (a, b) =>
      a.settledAt.getTime() - b.settledAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return { date, final: nowMs >= day.endMs, movements, totals: totalsOf(movements) };
}

function totalsOf(movements: readonly StatementMovement[]): StatementTotal[] {
  const totals = new Map<string, StatementTotal>();
  for (const m of movements) {
    const key = `${m.kind} ${m.currency}`;
    const total = totals.get(key);
    totals.set(key, {
      kind: m.kind,
      currency: m.currency,
      count: (total?.count ?? 0) + 1,
      amountMinor: (total?.amountMinor ?? 0n) + m.amountMinor,
    });
  }
  return [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, total]) => total);
}

export const STATEMENT_CSV_COLUMNS = [
  'record',
  'id',
  'type',
  'reference',
  'amount',
  'currency',
  'settled_at',
  'count',
] as const;

/**
 * The statement as CSV (RFC 4180, CRLF line ends): one `movement` row per movement, then one
 * `total` row per kind and currency. Amounts are decimal text in major units like the JSON.
 */
export function statementCsv(statement: Statement): string {
  const rows: string[][] = [[...STATEMENT_CSV_COLUMNS]];
  for (const m of statement.movements) {
    rows.push([
      'movement',
      m.id,
      m.kind,
      m.reference,
      formatAmount(m.amountMinor, m.currency),
      m.currency,
      m.settledAt.toISOString(),
      '',
    ]);
  }
  for (const t of statement.totals) {
    rows.push([
      'total',
      '',
      t.kind,
      '',
      formatAmount(t.amountMinor, t.currency),
      t.currency,
      '',
      String(t.count),
    ]);
  }
  return rows.map((row) => row.map(csvField).join(',') + '\r\n').join('');
}

/**
 * Quotes a field when it needs it, and defuses text that a spreadsheet would run as a formula.
 * References are restricted to safe characters already; this is the second line of defence.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
