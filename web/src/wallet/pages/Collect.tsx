import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { paymentRequestUri } from '../../../../src/merchants/ndef';
import { api } from '../../shared/api';
import { Button, ErrorNotice, Loading, Page } from '../../shared/ui';
import { CopyButton } from './pay/CopyButton';
import { payRequestBase } from './pay/links';
import { QrImage } from './pay/QrImage';
import './pay/pay.css';

type NfcState = 'idle' | 'writing' | 'done' | 'denied' | 'failed';

interface NdefWriter {
  write(message: { records: { recordType: string; data: string }[] }): Promise<void>;
}

/**
 * My personal collection code (收款码): others scan it and pay me the amount they type. Where
 * the browser has Web NFC, the same request can be written to a tag as an NDEF URI record.
 */
export default function Collect() {
  const { t } = useTranslation('paycode');
  const code = useQuery({
    queryKey: ['collection-code'],
    queryFn: () => api<{ payload: string }>('/v1/me/collection-code'),
    staleTime: Infinity,
  });
  return (
    <Page title={t('collect.title')} back="/">
      {code.isPending ? <Loading /> : null}
      {code.isError ? <ErrorNotice error={code.error} onRetry={() => void code.refetch()} /> : null}
      {code.data === undefined ? null : (
        <section className="card collect" aria-label={t('collect.qrLabel')}>
          <p>{t('collect.intro')}</p>
          <QrImage value={code.data.payload} alt={t('collect.qrLabel')} size={260} />
          <p className="muted">{t('collect.limits')}</p>
          <div className="row collect-payload">
            <span className="muted">{t('collect.payload')}</span>
            <CopyButton text={code.data.payload} label={t('collect.payload')} />
          </div>
          {'NDEFReader' in window ? <NfcShare payload={code.data.payload} /> : null}
        </section>
      )}
    </Page>
  );
}

function NfcShare({ payload }: { readonly payload: string }) {
  const { t } = useTranslation('paycode');
  const [state, setState] = useState<NfcState>('idle');
  const write = async (): Promise<void> => {
    setState('writing');
    try {
      const Reader = (window as unknown as { NDEFReader: new () => NdefWriter }).NDEFReader;
      const uri = paymentRequestUri(payRequestBase(), payload);
      await new Reader().write({ records: [{ recordType: 'url', data: uri }] });
      setState('done');
    } catch (error) {
      setState(
        error instanceof DOMException && error.name === 'NotAllowedError' ? 'denied' : 'failed',
      );
    }
  };
  const messages: Record<NfcState, string> = {
    idle: '',
    writing: t('collect.nfcWriting'),
    done: t('collect.nfcDone'),
    denied: t('collect.nfcDenied'),
    failed: t('collect.nfcFailed'),
  };
  return (
    <div>
      <div className="form-actions">
        <Button variant="secondary" busy={state === 'writing'} onClick={() => void write()}>
          {t('collect.nfc')}
        </Button>
      </div>
      <p
        role={state === 'denied' || state === 'failed' ? 'alert' : 'status'}
        className={state === 'denied' || state === 'failed' ? 'field-error' : 'muted'}
      >
        {messages[state]}
      </p>
    </div>
  );
}
