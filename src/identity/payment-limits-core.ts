/**
 * The pure core of the payment limits: which calendar day and year an instant falls in, in the
 * configured time zone, and whether an amount still fits under a tier's caps given what has been
 * used. The service around it reads the caps and the usage, locks the rows and writes the result.
 */
import { formatAmount } from '../money/index.js';
import type { CalendarDate } from './prc-id.js';

export type LimitPeriod = 'lifetime' | 'year';

/** A tier's caps in minor units of CNY, as stored in `payment_limits`. */
export interface TierCaps {
  readonly tier: 1 | 2 | 3;
  readonly perTransactionMinor: bigint;
  readonly dailyMinor: bigint;
  readonly periodMinor: bigint;
  readonly period: LimitPeriod;
}

/** What a user has used in the current day, year and lifetime. */
export interface Usage {
  readonly dayMinor: bigint;
  readonly yearMinor: bigint;
  readonly lifetimeMinor: bigint;
}

export type LimitRule =
  | 'limit_per_transaction_exceeded'
  | 'limit_daily_exceeded'
  | 'limit_yearly_exceeded'
  | 'limit_lifetime_exceeded';

export type Decision =
  { readonly ok: true } | { readonly ok: false; readonly code: LimitRule; readonly detail: string };

/** The keys of the `payment_usage` rows an instant counts in (`period_key`, a date). */
export interface PeriodKeys {
  /** The calendar day, YYYY-MM-DD. */
  readonly day: string;
  /** The first day of the calendar year, YYYY-01-01. */
  readonly year: string;
}

/** The lifetime row has no start; PostgreSQL's '-infinity' date says so. */
export const LIFETIME_KEY = '-infinity';

/**
 * Building a DateTimeFormat costs far more than formatting with one, and every payment needs one,
 * so one is kept per time zone. The set of time zones is the configuration's, so this stays small.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      era: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The calendar date at instant `ms` (milliseconds since the epoch) in the IANA `timeZone`. */
export function calendarDateAt(ms: number, timeZone: string): CalendarDate {
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${ms}`);
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((p) => p.type === type)?.value);
  const era = parts.find((p) => p.type === 'era')?.value;
  // Years before the common era never reach a payment; refusing them keeps the keys simple.
  if (era !== 'AD') throw new RangeError(`instant ${ms} is before the common era`);
  const date = { year: part('year'), month: part('month'), day: part('day') };
  if (![date.year, date.month, date.day].every(Number.isInteger)) {
    throw new RangeError(`cannot read the calendar date at ${ms} in ${timeZone}`);
  }
  return date;
}

export function isoDate(date: CalendarDate): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

/** The day and year an instant counts in, in the configured time zone. */
export function periodKeysAt(ms: number, timeZone: string): PeriodKeys {
  const date = calendarDateAt(ms, timeZone);
  return { day: isoDate(date), year: isoDate({ year: date.year, month: 1, day: 1 }) };
}

const cny = (minor: bigint) => `${formatAmount(minor, 'CNY')} CNY`;

/** What is left under a cap; an operator may have lowered a cap below what is used already. */
export function leftUnder(capMinor: bigint, usedMinor: bigint): bigint {
  return capMinor > usedMinor ? capMinor - usedMinor : 0n;
}

/** Whether `amountMinor` fits the cap on one payment, which needs no usage to decide. */
export function decidePerTransaction(caps: TierCaps, amountMinor: bigint): Decision {
  return amountMinor > caps.perTransactionMinor
    ? {
        ok: false,
        code: 'limit_per_transaction_exceeded',
        detail: `Tier ${caps.tier} allows at most ${cny(caps.perTransactionMinor)} in one payment.`,
      }
    : { ok: true };
}

/**
 * Whether `amountMinor` fits. The per-transaction cap is checked first, then the cap of the longer
 * period, because when both the day and the year are full, waiting for tomorrow does not help and
 * the caller should say so.
 */
export function decideReservation(caps: TierCaps, usage: Usage, amountMinor: bigint): Decision {
  const single = decidePerTransaction(caps, amountMinor);
  if (!single.ok) return single;
  const lifetime = caps.period === 'lifetime';
  const periodUsed = lifetime ? usage.lifetimeMinor : usage.yearMinor;
  if (periodUsed + amountMinor > caps.periodMinor) {
    const left = cny(leftUnder(caps.periodMinor, periodUsed));
    return lifetime
      ? {
          ok: false,
          code: 'limit_lifetime_exceeded',
          detail: `Tier ${caps.tier} allows ${cny(caps.periodMinor)} in total; ${left} is left. Verify your identity to raise the limit.`,
        }
      : {
          ok: false,
          code: 'limit_yearly_exceeded',
          detail: `Tier ${caps.tier} allows ${cny(caps.periodMinor)} a year; ${left} is left this year.`,
        };
  }
  if (usage.dayMinor + amountMinor > caps.dailyMinor) {
    const left = cny(leftUnder(caps.dailyMinor, usage.dayMinor));
    return {
      ok: false,
      code: 'limit_daily_exceeded',
      detail: `Tier ${caps.tier} allows ${cny(caps.dailyMinor)} a day; ${left} is left today.`,
    };
  }
  return { ok: true };
}
