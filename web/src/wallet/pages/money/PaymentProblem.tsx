/**
 * What went wrong with a payment, said plainly: the uncertain state after a dropped connection
 * (with "check again", which cannot pay twice), a limit with what is left of it, or the API's
 * own message.
 */
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../../shared/api';
import { formatMoney } from '../../../shared/money';
import { Button, ErrorNotice } from '../../../shared/ui';

const LIMIT_CODES = [
  'limit_per_transaction_exceeded',
  'limit_daily_exceeded',
  'limit_yearly_exceeded',
  'limit_lifetime_exceeded',
];

interface Limits {
  readonly currency: string;
  readonly per_transaction: string;
  readonly daily: { readonly remaining: string };
  readonly period: { readonly kind: 'lifetime' | 'year'; readonly remaining: string };
}

export function PaymentProblem({
  error,
  uncertain,
  busy,
  onCheckAgain,
}: {
  readonly error: unknown;
  readonly uncertain: boolean;
  readonly busy: boolean;
  readonly onCheckAgain: () => void;
}) {
  const { t } = useTranslation('funds');
  if (uncertain) {
    return (
      <div className="notice notice-info" role="alert">
        <p>{t('common:errors.uncertain')}</p>
        <Button variant="secondary" busy={busy} onClick={onCheckAgain}>
          {t('common:errors.checkAgain')}
        </Button>
      </div>
    );
  }
  if (error === null) return null;
  if (error instanceof ApiError && LIMIT_CODES.includes(error.code)) {
    return <LimitNotice title={error.problem.title} />;
  }
  return <ErrorNotice error={error} />;
}

function LimitNotice({ title }: { readonly title: string }) {
  const { t } = useTranslation('funds');
  const limits = useQuery({
    queryKey: ['limits'],
    queryFn: () => api<Limits>('/v1/me/limits'),
    staleTime: 0,
  });
  const money = (amount: string) =>
    formatMoney({ amount, currency: limits.data?.currency ?? 'CNY' });
  return (
    <div className="notice notice-error" role="alert">
      <p>
        <strong>{title}</strong>
      </p>
      {limits.data === undefined ? null : (
        <ul className="money-limits">
          <li>{t('limits.perTransaction', { amount: money(limits.data.per_transaction) })}</li>
          <li>{t('limits.dailyLeft', { amount: money(limits.data.daily.remaining) })}</li>
          <li>
            {t(limits.data.period.kind === 'year' ? 'limits.yearLeft' : 'limits.lifetimeLeft', {
              amount: money(limits.data.period.remaining),
            })}
          </li>
        </ul>
      )}
    </div>
  );
}
