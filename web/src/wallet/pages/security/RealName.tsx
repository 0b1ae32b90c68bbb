/**
 * Real-name verification: the tier (1 to 3), what is left of its payment limits, and for a
 * tier-1 user the form that verifies a name and national ID (tier 2).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, fieldError } from '../../../shared/api';
import { Button, ErrorNotice, Loading, MoneyText, TextField } from '../../../shared/ui';
import { ME_QUERY_KEY } from '../../session';
import { unlessField } from '../auth/formError';

interface KycStatus {
  readonly tier: number;
  readonly real_name: string | null;
  readonly document_number: string | null;
  readonly tier3: { readonly status: 'none' | 'pending' | 'approved' | 'rejected' };
}

interface Cap {
  readonly cap: string;
  readonly remaining: string;
}

interface Limits {
  readonly tier: number;
  readonly currency: string;
  readonly per_transaction: string;
  readonly daily: Cap;
  readonly period: Cap & { readonly kind: 'lifetime' | 'year' };
}

const KYC_KEY = ['settings', 'kyc'] as const;
const LIMITS_KEY = ['settings', 'limits'] as const;

export function RealNameSection() {
  const { t } = useTranslation('settings');
  const kyc = useQuery({ queryKey: KYC_KEY, queryFn: () => api<KycStatus>('/v1/me/kyc') });
  const limits = useQuery({ queryKey: LIMITS_KEY, queryFn: () => api<Limits>('/v1/me/limits') });
  return (
    <section className="card" aria-labelledby="kyc-title">
      <div className="row-between">
        <h2 id="kyc-title">{t('kyc.title')}</h2>
        {kyc.data === undefined ? null : (
          <span className={kyc.data.tier > 1 ? 'badge badge-ok' : 'badge badge-warn'}>
            {t('kyc.tier', { tier: kyc.data.tier })}
          </span>
        )}
      </div>
      {kyc.isPending || limits.isPending ? <Loading /> : null}
      {kyc.error === null ? null : (
        <ErrorNotice error={kyc.error} onRetry={() => void kyc.refetch()} />
      )}
      {kyc.data === undefined ? null : <KycSummary status={kyc.data} />}
      {limits.error === null ? null : (
        <ErrorNotice error={limits.error} onRetry={() => void limits.refetch()} />
      )}
      {limits.data === undefined ? null : <LimitsLeft limits={limits.data} />}
      {kyc.data?.tier === 1 ? <VerifyForm /> : null}
    </section>
  );
}

function KycSummary({ status }: { readonly status: KycStatus }) {
  const { t } = useTranslation('settings');
  return (
    <>
      <p className="muted">{t(`kyc.tierMeaning${Math.min(Math.max(status.tier, 1), 3)}`)}</p>
      {status.real_name === null ? null : (
        <p>
          {t('kyc.verifiedAs', {
            name: status.real_name,
            number: status.document_number ?? '',
          })}
        </p>
      )}
      {status.tier3.status === 'pending' ? (
        <p className="notice notice-info">{t('kyc.tier3Pending')}</p>
      ) : null}
    </>
  );
}

function LimitsLeft({ limits }: { readonly limits: Limits }) {
  const { t } = useTranslation('settings');
  const money = (amount: string) => <MoneyText value={{ amount, currency: limits.currency }} />;
  return (
    <>
      <h3>{t('limits.title')}</h3>
      <dl className="limits">
        <dt>{t('limits.perTransaction')}</dt>
        <dd>{money(limits.per_transaction)}</dd>
        <dt>{t('limits.dailyLeft')}</dt>
        <dd>
          {money(limits.daily.remaining)}{' '}
          <span className="muted">
            {t('limits.of')} {money(limits.daily.cap)}
          </span>
        </dd>
        <dt>{limits.period.kind === 'year' ? t('limits.yearLeft') : t('limits.lifetimeLeft')}</dt>
        <dd>
          {money(limits.period.remaining)}{' '}
          <span className="muted">
            {t('limits.of')} {money(limits.period.cap)}
          </span>
        </dd>
      </dl>
    </>
  );
}

function VerifyForm() {
  const { t } = useTranslation('settings');
  const queryClient = useQueryClient();
  const [realName, setRealName] = useState('');
  const [idNumber, setIdNumber] = useState('');
  const [missing, setMissing] = useState(false);
  const verify = useMutation({
    mutationFn: () =>
      api<KycStatus>('/v1/me/kyc', {
        method: 'POST',
        body: { real_name: realName.trim(), document_number: idNumber.trim() },
      }),
    onSuccess: async () => {
      await Promise.all(
        [KYC_KEY, LIMITS_KEY, ME_QUERY_KEY].map((queryKey) =>
          queryClient.invalidateQueries({ queryKey }),
        ),
      );
    },
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const incomplete = realName.trim() === '' || idNumber.trim() === '';
    setMissing(incomplete);
    if (!incomplete) verify.mutate();
  };
  const formProblem = unlessField(verify.error, ['real_name', 'document_number']);
  return (
    <form onSubmit={submit} noValidate>
      <h3>{t('kyc.verifyTitle')}</h3>
      <p className="muted">{t('kyc.verifyIntro')}</p>
      <TextField
        label={t('kyc.realName')}
        autoComplete="name"
        value={realName}
        error={
          missing && realName.trim() === ''
            ? t('kyc.realNameRequired')
            : fieldError(verify.error, 'real_name')
        }
        onChange={(event) => setRealName(event.target.value)}
      />
      <TextField
        label={t('kyc.idNumber')}
        autoComplete="off"
        maxLength={32}
        value={idNumber}
        error={
          missing && idNumber.trim() === ''
            ? t('kyc.idNumberRequired')
            : fieldError(verify.error, 'document_number')
        }
        onChange={(event) => setIdNumber(event.target.value)}
      />
      {formProblem === undefined ? null : <ErrorNotice error={formProblem} />}
      <Button type="submit" variant="secondary" busy={verify.isPending}>
        {t('kyc.verify')}
      </Button>
    </form>
  );
}
