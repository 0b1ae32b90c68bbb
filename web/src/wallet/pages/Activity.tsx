import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../shared/api';
import { Button, Empty, ErrorNotice, Loading, Page, SelectField, TextField } from '../../shared/ui';
import { EntryRow } from './history/EntryRow';
import {
  apiQuery,
  exportHref,
  filterProblems,
  filtersFrom,
  paramsFrom,
  type FilterProblem,
  type Filters,
} from './history/filters';
import { DIRECTIONS, ENTRY_STATUSES, ENTRY_TYPES, type HistoryPage } from './history/types';
import './history/history.css';

const PAGE_SIZE = 20;

/**
 * The history: a note search, filters (kept in the URL), the list newest first with infinite
 * scroll (and a Load more button for keyboards), the CSV export of the chosen dates.
 */
export default function Activity() {
  const { t } = useTranslation('history');
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  const apply = (next: Filters): void => setParams(paramsFrom(next), { replace: true });
  const filtered = paramsFrom(filters).toString() !== '';

  return (
    <Page
      title={t('activity.title')}
      actions={<Link to="/insights">{t('activity.insights')}</Link>}
    >
      <SearchForm filters={filters} onApply={apply} />
      <FilterForm key={params.toString()} filters={filters} onApply={apply} />
      <p>
        <a href={exportHref(filters)} download>
          {t('activity.export')}
        </a>
        <br />
        <span className="muted">{t('activity.exportHint')}</span>
      </p>
      <TransactionList filters={filters} filtered={filtered} />
    </Page>
  );
}

function SearchForm({
  filters,
  onApply,
}: {
  readonly filters: Filters;
  readonly onApply: (next: Filters) => void;
}) {
  const { t } = useTranslation('history');
  const [q, setQ] = useState(filters.q);
  useEffect(() => setQ(filters.q), [filters.q]);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    onApply({ ...filters, q });
  };
  return (
    <form role="search" className="history-search card" onSubmit={submit}>
      <TextField
        label={t('activity.search')}
        type="search"
        value={q}
        maxLength={100}
        onChange={(event) => setQ(event.target.value)}
      />
      <Button type="submit" variant="secondary">
        {t('activity.searchButton')}
      </Button>
    </form>
  );
}

function FilterForm({
  filters,
  onApply,
}: {
  readonly filters: Filters;
  readonly onApply: (next: Filters) => void;
}) {
  const { t } = useTranslation('history');
  const [draft, setDraft] = useState(filters);
  const [problems, setProblems] = useState<FilterProblem[]>([]);
  const wallets = useQuery({
    queryKey: ['wallets'],
    queryFn: () => api<{ data: { currency: string }[] }>('/v1/wallets'),
  });
  const currencies = [
    ...new Set([
      ...(wallets.data?.data.map((w) => w.currency) ?? []),
      ...(draft.currency === '' ? [] : [draft.currency]),
    ]),
  ];
  const set = (key: keyof Filters) => (event: { target: { value: string } }) =>
    setDraft({ ...draft, [key]: event.target.value });
  const problemOf = (field: FilterProblem['field']): string | undefined => {
    const found = problems.find((p) => p.field === field);
    if (found === undefined) return undefined;
    if (found.error === 'currency') return t('activity.amountNeedsCurrency');
    if (found.error === 'order') return t('activity.dateOrder');
    return t(`common:amount.${found.error}`);
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const found = filterProblems(draft);
    setProblems(found);
    if (found.length === 0) onApply(draft);
  };
  const clear = (): void => onApply(filtersFrom(new URLSearchParams()));
  const anyOption = <option value="">{t('activity.any')}</option>;

  return (
    <details className="history-filters card" open={paramsFrom(filters).toString() !== ''}>
      <summary>{t('activity.filters')}</summary>
      <form onSubmit={submit} noValidate>
        <div className="history-filter-grid">
          <SelectField label={t('activity.type')} value={draft.type} onChange={set('type')}>
            {anyOption}
            {ENTRY_TYPES.map((type) => (
              <option key={type} value={type}>
                {t(`type.${type}`)}
              </option>
            ))}
          </SelectField>
          <SelectField label={t('activity.status')} value={draft.status} onChange={set('status')}>
            {anyOption}
            {ENTRY_STATUSES.map((status) => (
              <option key={status} value={status}>
                {t(`status.${status}`)}
              </option>
            ))}
          </SelectField>
          <SelectField
            label={t('activity.direction')}
            value={draft.direction}
            onChange={set('direction')}
          >
            {anyOption}
            {DIRECTIONS.map((direction) => (
              <option key={direction} value={direction}>
                {t(`direction.${direction}`)}
              </option>
            ))}
          </SelectField>
          <SelectField
            label={t('activity.currency')}
            value={draft.currency}
            onChange={set('currency')}
          >
            {anyOption}
            {currencies.map((currency) => (
              <option key={currency} value={currency}>
                {currency}
              </option>
            ))}
          </SelectField>
          <TextField
            label={t('activity.from')}
            type="date"
            value={draft.from}
            onChange={set('from')}
          />
          <TextField
            label={t('activity.to')}
            type="date"
            value={draft.to}
            onChange={set('to')}
            error={problemOf('to')}
          />
          <TextField
            label={t('activity.amountMin')}
            inputMode="decimal"
            value={draft.min}
            onChange={set('min')}
            error={problemOf('min')}
          />
          <TextField
            label={t('activity.amountMax')}
            inputMode="decimal"
            value={draft.max}
            onChange={set('max')}
            error={problemOf('max')}
          />
        </div>
        <div className="form-actions">
          <Button type="submit">{t('activity.apply')}</Button>
          <Button variant="secondary" onClick={clear}>
            {t('activity.clear')}
          </Button>
        </div>
      </form>
    </details>
  );
}

function TransactionList({
  filters,
  filtered,
}: {
  readonly filters: Filters;
  readonly filtered: boolean;
}) {
  const { t } = useTranslation('history');
  const query = apiQuery(filters);
  query.set('limit', String(PAGE_SIZE));
  const history = useInfiniteQuery({
    queryKey: ['transactions', query.toString()],
    queryFn: ({ pageParam, signal }) => {
      const page = new URLSearchParams(query);
      if (pageParam !== '') page.set('starting_after', pageParam);
      return api<HistoryPage>(`/v1/transactions?${page.toString()}`, { signal });
    },
    initialPageParam: '',
    getNextPageParam: (last) => (last.has_more ? last.data.at(-1)?.id : undefined),
  });
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = history;
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const node = sentinel.current;
    if (node === null || !hasNextPage || typeof IntersectionObserver === 'undefined') {
      return undefined;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting) && !isFetchingNextPage) {
          void fetchNextPage();
        }
      },
      { rootMargin: '200px' },
    );
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  if (history.isPending) return <Loading />;
  if (history.isError && history.data === undefined) {
    return <ErrorNotice error={history.error} onRetry={() => void history.refetch()} />;
  }
  const entries = history.data?.pages.flatMap((page) => page.data) ?? [];
  if (entries.length === 0) {
    return <Empty>{filtered ? t('activity.emptyFiltered') : t('activity.empty')}</Empty>;
  }
  return (
    <section className="card" aria-labelledby="activity-list">
      <h2 id="activity-list" className="visually-hidden">
        {t('activity.list')}
      </h2>
      <ul className="list">
        {entries.map((entry) => (
          <EntryRow key={entry.id} entry={entry} />
        ))}
      </ul>
      <div ref={sentinel} className="history-sentinel" />
      <div className="history-more" aria-live="polite">
        {history.isFetchNextPageError ? <ErrorNotice error={history.error} /> : null}
        {hasNextPage ? (
          <Button
            variant="secondary"
            busy={isFetchingNextPage}
            onClick={() => void fetchNextPage()}
          >
            {t('common:loadMore')}
          </Button>
        ) : (
          <p className="muted">{t('common:noMore')}</p>
        )}
      </div>
    </section>
  );
}
