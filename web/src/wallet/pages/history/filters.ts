import { parseAmountInput, type AmountInputError } from '../../../shared/money';
import { DIRECTIONS, ENTRY_STATUSES, ENTRY_TYPES } from './types';

/**
 * The Activity filters live in the page's URL (so the back button from a receipt keeps them),
 * as the form shows them: dates as YYYY-MM-DD in the user's time zone, amounts as typed. They
 * become the API's query here: days as instants, amounts as decimals of the chosen currency.
 */
export interface Filters {
  readonly type: string;
  readonly status: string;
  readonly direction: string;
  readonly currency: string;
  readonly from: string;
  readonly to: string;
  readonly min: string;
  readonly max: string;
  readonly q: string;
}

export const FILTER_KEYS = [
  'type',
  'status',
  'direction',
  'currency',
  'from',
  'to',
  'min',
  'max',
  'q',
] as const satisfies readonly (keyof Filters)[];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filtersFrom(params: URLSearchParams): Filters {
  const get = (key: keyof Filters) => params.get(key) ?? '';
  const oneOf = (key: keyof Filters, allowed: readonly string[]) =>
    allowed.includes(get(key)) ? get(key) : '';
  return {
    type: oneOf('type', ENTRY_TYPES),
    status: oneOf('status', ENTRY_STATUSES),
    direction: oneOf('direction', DIRECTIONS),
    currency: /^[A-Z]{3}$/.test(get('currency')) ? get('currency') : '',
    from: DAY.test(get('from')) ? get('from') : '',
    to: DAY.test(get('to')) ? get('to') : '',
    min: get('min'),
    max: get('max'),
    q: get('q'),
  };
}

export function paramsFrom(filters: Filters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key].trim();
    if (value !== '') params.set(key, value);
  }
  return params;
}

export type FilterProblem =
  | { readonly field: 'min' | 'max'; readonly error: AmountInputError | 'currency' }
  | { readonly field: 'to'; readonly error: 'order' };

/** What stops these filters from being sent, field by field. */
export function filterProblems(filters: Filters): FilterProblem[] {
  const problems: FilterProblem[] = [];
  for (const field of ['min', 'max'] as const) {
    if (filters[field].trim() === '') continue;
    if (filters.currency === '') {
      problems.push({ field, error: 'currency' });
      continue;
    }
    const parsed = parseAmountInput(filters[field], filters.currency);
    if (!parsed.ok) problems.push({ field, error: parsed.error });
  }
  if (filters.from !== '' && filters.to !== '' && filters.to < filters.from) {
    problems.push({ field: 'to', error: 'order' });
  }
  return problems;
}

/** Local midnight at the start of a YYYY-MM-DD day, `plusDays` later. */
function startOfDay(day: string, plusDays = 0): string {
  const [year = 0, month = 1, date = 1] = day.split('-').map(Number);
  return new Date(year, month - 1, date + plusDays).toISOString();
}

/** The date range as the API's bounds: from the first day's start to the last day's end. */
export function dateBounds(filters: Pick<Filters, 'from' | 'to'>): {
  readonly gte?: string;
  readonly lt?: string;
} {
  return {
    ...(filters.from === '' ? {} : { gte: startOfDay(filters.from) }),
    ...(filters.to === '' ? {} : { lt: startOfDay(filters.to, 1) }),
  };
}

/** The query of `GET /v1/transactions` for valid filters. */
export function apiQuery(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of ['type', 'status', 'direction', 'currency'] as const) {
    if (filters[key] !== '') query.set(key, filters[key]);
  }
  const { gte, lt } = dateBounds(filters);
  if (gte !== undefined) query.set('created_gte', gte);
  if (lt !== undefined) query.set('created_lt', lt);
  for (const [field, param] of [
    ['min', 'amount_gte'],
    ['max', 'amount_lte'],
  ] as const) {
    const parsed = parseAmountInput(filters[field], filters.currency);
    if (filters[field].trim() !== '' && parsed.ok) query.set(param, parsed.amount);
  }
  if (filters.q.trim() !== '') query.set('q', filters.q.trim());
  return query;
}

/** The CSV export of the chosen dates (all of the history without dates). */
export function exportHref(filters: Pick<Filters, 'from' | 'to'>): string {
  const { gte, lt } = dateBounds(filters);
  const query = new URLSearchParams();
  if (gte !== undefined) query.set('from', gte);
  if (lt !== undefined) query.set('to', lt);
  const text = query.toString();
  return `/v1/transactions/export.csv${text === '' ? '' : `?${text}`}`;
}
