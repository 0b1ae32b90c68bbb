import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../shared/api';
import {
  Empty,
  ErrorNotice,
  Loading,
  LoadMore,
  MoneyText,
  Page,
  SelectField,
  TextField,
} from '../../shared/ui';
import { StatusBadge, useDates } from '../parts';
import { portalPath, useMerchant } from '../session';
import { INTENT_STATUSES, type ListPage, type PaymentIntent } from '../types';

interface Filters {
  readonly status: string;
  readonly from: string;
  readonly to: string;
}

function queryOf(filters: Filters, startingAfter: string): string {
  const query = new URLSearchParams({ limit: '20' });
  if (filters.status !== '') query.set('status', filters.status);
  if (filters.from !== '') query.set('from', filters.from);
  if (filters.to !== '') query.set('to', filters.to);
  if (startingAfter !== '') query.set('starting_after', startingAfter);
  return query.toString();
}

/** Payments, newest first, by status and creation day; each opens its detail with refunds. */
export default function Payments() {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const [filters, setFilters] = useState<Filters>({ status: '', from: '', to: '' });
  const list = useInfiniteQuery({
    queryKey: ['payments', merchant.id, filters],
    queryFn: ({ pageParam }) =>
      api<ListPage<PaymentIntent>>(
        portalPath(merchant, `/payments?${queryOf(filters, pageParam)}`),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => (last.has_more ? last.data.at(-1)?.id : undefined),
  });
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  const change = (field: keyof Filters) => (value: string) =>
    setFilters((current) => ({ ...current, [field]: value }));

  return (
    <Page
      title={t('payments.title')}
      actions={
        <Link className="btn btn-secondary" to="/collect">
          {t('collect.title')}
        </Link>
      }
    >
      <form className="card grid" role="search" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label={t('payments.filterStatus')}
          value={filters.status}
          onChange={(e) => change('status')(e.target.value)}
        >
          <option value="">{t('payments.allStatuses')}</option>
          {INTENT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('payments.from')}
          type="date"
          value={filters.from}
          onChange={(e) => change('from')(e.target.value)}
        />
        <TextField
          label={t('payments.to')}
          type="date"
          value={filters.to}
          onChange={(e) => change('to')(e.target.value)}
        />
      </form>
      {list.isPending ? <Loading /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.isSuccess && rows.length === 0 ? <Empty>{t('payments.empty')}</Empty> : null}
      {rows.length > 0 ? <PaymentTable rows={rows} /> : null}
      <LoadMore list={list} />
    </Page>
  );
}

function PaymentTable({ rows }: { readonly rows: readonly PaymentIntent[] }) {
  const { t } = useTranslation('merchant');
  const dates = useDates();
  return (
    <div className="card table-scroll">
      <table className="data">
        <thead>
          <tr>
            <th scope="col">{t('payments.payment')}</th>
            <th scope="col" className="num">
              {t('payments.amount')}
            </th>
            <th scope="col">{t('payments.status')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.id}>
              <td>
                <Link to={`/payments/${p.id}`}>{p.description ?? t('payments.noDescription')}</Link>
                <div className="muted mono">{p.id}</div>
                <div className="muted">{dates.dateTime(p.created_at)}</div>
              </td>
              <td className="num">
                <MoneyText value={p.amount} />
              </td>
              <td>
                <StatusBadge status={p.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
