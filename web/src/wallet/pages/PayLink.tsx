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

type ScanBody = { readonly payload: string } | { readonly payment_intent: string };

/**
 * A payment page opened from outside the app, looked up like a scan and paid on this page:
 * `/pay/pi_…` is a merchant's payment link (the API's `payment_link`), read with
 * `POST /v1/scans { payment_intent }`; `/pay/<payload>` carries a collection code (from an NFC
 * tag or a shared link), read with `POST /v1/scans { payload }`.
 */
export default function PayLink() {
  const { t } = useTranslation('scan');
  const navigate = useNavigate();
  const { id = '' } = useParams();
  const [paid, setPaid] = useState(false);
  const body = scanBodyOf(id);
  const scan = useQuery({
    queryKey: ['pay-link', body],
    queryFn: () => api<Scanned>('/v1/scans', { method: 'POST', body }),
    enabled: body !== undefined,
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
  if (body === undefined) {
    return (
      <Page title={t('payLink.title')}>
        <div className="notice notice-info">
          <p>{t('payLink.invalid')}</p>
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

/** What to ask `POST /v1/scans` for this page's path, or undefined when it holds no payment. */
function scanBodyOf(id: string): ScanBody | undefined {
  if (INTENT_ID.test(id)) return { payment_intent: id };
  const payload = paymentPayloadFromUri(window.location.href, payRequestBase());
  return payload === undefined ? undefined : { payload };
}
