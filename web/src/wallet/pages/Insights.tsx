import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../shared/api';
import { formatMoney, type MoneyWire } from '../../shared/money';
import {
  BarChart,
  Button,
  Empty,
  ErrorNotice,
  Loading,
  MoneyText,
  Page,
  TextField,
} from '../../shared/ui';
import './history/history.css';

interface Insights {
  readonly month: string;
  readonly currencies: readonly {
    readonly currency: string;
    readonly total: MoneyWire;
    readonly categories: readonly {
      readonly category: string;
      readonly amount: MoneyWire;
      readonly count: number;
    }[];
  }[];
}

interface Statement {
  readonly month: string;
  readonly period_start: string;
  readonly period_end: string;
  readonly currencies: readonly {
    readonly currency: string;
    readonly opening_balance: MoneyWire;
    readonly closing_balance: MoneyWire;
    readonly money_in: MoneyWire;
    readonly money_out: MoneyWire;
  }[];
}

const MONTH = /^20\d{2}-(0[1-9]|1[0-2])$/;

function monthOf(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

function shiftMonth(month: string, by: number): string {
  const [year = 2000, number = 1] = month.split('-').map(Number);
  return monthOf(new Date(year, number - 1 + by, 1));
}

/** The month begins where the user is, not where the operator is. */
function timeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * Spending insights of a month (totals by category, a chart and a table per currency) and the
 * month's statement (balances, money in and out) with its CSV download.
 */
export default function Insights() {
  const { t } = useTranslation('history');
  const [params, setParams] = useSearchParams();
  const current = monthOf(new Date());
  const asked = params.get('month') ?? '';
  const month = MONTH.test(asked) && asked <= current ? asked : current;
  const choose = (next: string): void => {
    if (MONTH.test(next)) setParams({ month: next }, { replace: true });
  };
  return (
    <Page
      title={t('insights.title')}
      back="/activity"
      actions={<Link to="/activity">{t('insights.activity')}</Link>}
    >
      <div className="insights-month card">
        <Button variant="secondary" onClick={() => choose(shiftMonth(month, -1))}>
          {t('insights.previous')}
        </Button>
        <TextField
          label={t('insights.month')}
          type="month"
          value={month}
          max={current}
          onChange={(event) => choose(event.target.value)}
        />
        <Button
          variant="secondary"
          disabled={month >= current}
          onClick={() => choose(shiftMonth(month, 1))}
        >
          {t('insights.next')}
        </Button>
      </div>
      <Spending month={month} />
      <MonthlyStatement month={month} />
    </Page>
  );
}

function Spending({ month }: { readonly month: string }) {
  const { t } = useTranslation('history');
  const insights = useQuery({
    queryKey: ['insights', month],
    queryFn: () =>
      api<Insights>(
        `/v1/insights/spending?${new URLSearchParams({ month, time_zone: timeZone() }).toString()}`,
      ),
  });
  if (insights.isPending) return <Loading />;
  if (insights.isError) {
    return <ErrorNotice error={insights.error} onRetry={() => void insights.refetch()} />;
  }
  if (insights.data.currencies.length === 0) return <Empty>{t('insights.empty')}</Empty>;
  return (
    <>
      {insights.data.currencies.map((entry) => (
        <section key={entry.currency} className="card" aria-labelledby={`spent-${entry.currency}`}>
          <h2 id={`spent-${entry.currency}`}>
            {t('insights.total', { currency: entry.currency })}: <MoneyText value={entry.total} />
          </h2>
          <BarChart
            title={t('insights.chart', { currency: entry.currency })}
            bars={entry.categories.map((c) => ({
              label: t(`category.${c.category}`),
              value: c.amount,
            }))}
          />
          <table className="data">
            <caption className="visually-hidden">
              {t('insights.chart', { currency: entry.currency })}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t('insights.category')}</th>
                <th scope="col" className="num">
                  {t('insights.count')}
                </th>
                <th scope="col" className="num">
                  {t('insights.amount')}
                </th>
              </tr>
            </thead>
            <tbody>
              {entry.categories.map((c) => (
                <tr key={c.category}>
                  <th scope="row">{t(`category.${c.category}`)}</th>
                  <td className="num">{c.count}</td>
                  <td className="num">
                    <MoneyText value={c.amount} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </>
  );
}

function MonthlyStatement({ month }: { readonly month: string }) {
  const { t } = useTranslation('history');
  const statement = useQuery({
    queryKey: ['statement', month],
    queryFn: () =>
      api<Statement>(
        `/v1/statements/${month}?${new URLSearchParams({ time_zone: timeZone() }).toString()}`,
      ),
  });
  return (
    <section className="card" aria-labelledby="insights-statement">
      <h2 id="insights-statement">{t('insights.statement')}</h2>
      {statement.isPending ? <Loading /> : null}
      {statement.isError ? (
        <ErrorNotice error={statement.error} onRetry={() => void statement.refetch()} />
      ) : null}
      {statement.data === undefined ? null : <StatementTable statement={statement.data} />}
    </section>
  );
}

function StatementTable({ statement }: { readonly statement: Statement }) {
  const { t } = useTranslation('history');
  const download = `/v1/transactions/export.csv?${new URLSearchParams({
    from: statement.period_start,
    to: statement.period_end,
  }).toString()}`;
  return (
    <>
      {statement.currencies.length === 0 ? (
        <p className="muted">{t('insights.statementEmpty')}</p>
      ) : (
        statement.currencies.map((c) => (
          <div key={c.currency} className="statement-currency">
            <h3>{c.currency}</h3>
            <dl className="receipt-details">
              <dt>{t('insights.opening')}</dt>
              <dd className="money">{formatMoney(c.opening_balance)}</dd>
              <dt>{t('insights.moneyIn')}</dt>
              <dd className="money">{formatMoney(c.money_in)}</dd>
              <dt>{t('insights.moneyOut')}</dt>
              <dd className="money">{formatMoney(c.money_out)}</dd>
              <dt>{t('insights.closing')}</dt>
              <dd className="money">{formatMoney(c.closing_balance)}</dd>
            </dl>
          </div>
        ))
      )}
      <p>
        <a href={download} download>
          {t('insights.exportMonth')}
        </a>
      </p>
    </>
  );
}
