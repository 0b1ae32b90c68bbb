import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { paymentPayloadFromUri } from '../../../../src/merchants/ndef';
import { api } from '../../shared/api';
import { ErrorNotice, Loading, Page } from '../../shared/ui';
import { payRequestBase } from './pay/links';
import { PayConfirm } from './pay/PayConfirm';
import type { Scanned } from './pay/types';
import './pay/pay.css';

const INTENT_ID = /^pi_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * A payment page opened from outside the app: `/pay/<payload>` carries a collection code (from
 * an NFC tag or a shared link) and is looked up like a scan, then paid on this page.
 * `/pay/pi_…` is a merchant's payment link; the API has no route yet that lets the payer read an
 * intent by its id, so the page says so and offers the scanner.
 */
export default function PayLink() {
  const { t } = useTranslation('scan');
  const navigate = useNavigate();
  const { id = '' } = useParams();
  const [paid, setPaid] = useState(false);
  const isIntentLink = INTENT_ID.test(id);
  const payload = isIntentLink
    ? undefined
    : paymentPayloadFromUri(window.location.href, payRequestBase());
  const scan = useQuery({
    queryKey: ['pay-link', payload],
    queryFn: () => api<Scanned>('/v1/scans', { method: 'POST', body: { payload } }),
    enabled: payload !== undefined,
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    retry: false,
  });

  const scanInstead = (
    <p>
      <Link className="btn btn-secondary" to="/scan">
        {t('payLink.scan')}
      </Link>
    </p>
  );
  if (isIntentLink || payload === undefined) {
    return (
      <Page title={t('payLink.title')}>
        <div className="notice notice-info">
          <p>{isIntentLink ? t('payLink.unsupported') : t('payLink.invalid')}</p>
        </div>
        {scanInstead}
      </Page>
    );
  }
  return (
    <Page title={t('payLink.title')}>
      {scan.isPending ? <Loading label={t('payLink.loading')} /> : null}
      {scan.isError ? (
        <>
          <ErrorNotice error={scan.error} onRetry={() => void scan.refetch()} />
          {scanInstead}
        </>
      ) : null}
      {scan.data === undefined ? null : (
        <section className="card" aria-labelledby="pay-link-review">
          <h2 id="pay-link-review">{paid ? t('result.title') : t('payLink.review')}</h2>
          <PayConfirm
            scanned={scan.data}
            onPaid={() => setPaid(true)}
            onDone={() => navigate('/')}
          />
        </section>
      )}
    </Page>
  );
}
