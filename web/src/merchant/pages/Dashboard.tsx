import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../shared/api';
import { BarChart, ErrorNotice, Loading, MoneyText, Page } from '../../shared/ui';
import { StatusBadge, useDates } from '../parts';
import { portalPath, useMerchant } from '../session';
import type { SalesSummary } from '../types';

/** Takings at a glance: today and this month (gross, fees, refunds, net) and a bar per day. */
export default function Dashboard() {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const summary = useQuery({
    queryKey: ['sales-summary', merchant.id],
    queryFn: () => api<SalesSummary>(portalPath(merchant, '/sales-summary')),
    refetchInterval: 60_000,
  });
  return (
    <Page title={t('dashboard.title')}>
      <p className="row">
        <span>
          {merchant.name_zh} · {merchant.name_en}
        </span>
        <StatusBadge status={merchant.status} />
      </p>
      {merchant.status === 'active' ? null : (
        <p className="notice notice-info">
          {t(`merchantStatus.${merchant.status}`)} <Link to="/merchant">{t('nav.merchant')}</Link>
        </p>
      )}
      {summary.isPending ? <Loading /> : null}
      {summary.error ? (
        <ErrorNotice error={summary.error} onRetry={() => void summary.refetch()} />
      ) : null}
      {summary.data ? <Figures summary={summary.data} /> : null}
    </Page>
  );
}

function Figures({ summary }: { readonly summary: SalesSummary }) {
  const { t } = useTranslation('merchant');
  const dates = useDates();
  const bars = summary.days.map((d) => ({ label: dates.day(d.day), value: d.gross }));
  return (
    <>
      <div className="grid">
        <Totals title={t('dashboard.today')} totals={summary.today} />
        <Totals title={t('dashboard.month')} totals={summary.month} />
      </div>
      <section className="card">
        <h2>{t('dashboard.chart')}</h2>
        <BarChart bars={bars} title={t('dashboard.chart')} />
      </section>
    </>
  );
}

function Totals({
  title,
  totals,
}: {
  readonly title: string;
  readonly totals: SalesSummary['month'] | SalesSummary['today'];
}) {
  const { t } = useTranslation('merchant');
  return (
    <section className="card">
      <h2>{title}</h2>
      <dl className="figures">
        <dt>{t('figures.gross')}</dt>
        <dd>
          <MoneyText value={totals.gross} />
        </dd>
        <dt>{t('figures.fees')}</dt>
        <dd>
          <MoneyText value={totals.fees} />
        </dd>
        <dt>{t('figures.refunds')}</dt>
        <dd>
          <MoneyText value={totals.refunds} />
        </dd>
        <dt>{t('figures.net')}</dt>
        <dd>
          <MoneyText value={totals.net} />
        </dd>
      </dl>
      <p className="muted">
        {t('dashboard.counts', { payments: totals.payment_count, refunds: totals.refund_count })}
      </p>
    </section>
  );
}
