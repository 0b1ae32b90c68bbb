import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { apiText } from '../../shared/api';
import { Button, ErrorNotice, Loading, Page } from '../../shared/ui';
import { useMerchant } from '../session';
import './qr-sign.css';

/** The static collection code on a sign to print: the payer scans it and types the amount. */
export default function QrSign() {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const qr = useQuery({
    queryKey: ['static-qr', merchant.id],
    queryFn: () => apiText(`/v1/merchants/${merchant.id}/qr?format=svg`, 'image/svg+xml'),
    staleTime: Infinity,
  });
  return (
    <Page
      title={t('qr.title')}
      actions={
        <div className="row qr-actions">
          <a
            className="btn btn-secondary"
            href={`/v1/merchants/${merchant.id}/qr?format=png`}
            download
          >
            {t('qr.download')}
          </a>
          <Button onClick={() => window.print()}>{t('qr.print')}</Button>
        </div>
      }
    >
      <p className="muted qr-actions">{t('qr.intro')}</p>
      <article className="card qr-sign" aria-label={t('qr.sign')}>
        <p className="qr-sign-name" lang="zh-CN">
          {merchant.name_zh}
        </p>
        <p className="qr-sign-name-en" lang="en">
          {merchant.name_en}
        </p>
        {qr.isPending ? <Loading /> : null}
        {qr.error ? <ErrorNotice error={qr.error} onRetry={() => void qr.refetch()} /> : null}
        {qr.data === undefined ? null : (
          <img
            className="qr-image"
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(qr.data)}`}
            alt={t('qr.alt', { name: merchant.name_zh })}
          />
        )}
        <p className="qr-sign-call">{t('qr.scanToPay')}</p>
        <p className="muted">{merchant.city}</p>
      </article>
    </Page>
  );
}
