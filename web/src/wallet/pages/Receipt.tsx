import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api } from '../../shared/api';
import { formatMoney } from '../../shared/money';
import { ErrorNotice, Loading, MoneyText, Page } from '../../shared/ui';
import {
  dateTime,
  merchantName,
  signedAmount,
  statusBadgeClass,
  statusKey,
  type Receipt as ReceiptData,
} from './history/types';
import { CopyButton } from './pay/CopyButton';
import './history/history.css';

/** One movement's receipt: amount, status timeline, counterparty (or merchant), note and ids. */
export default function Receipt() {
  const { t } = useTranslation('history');
  const { id = '' } = useParams();
  const receipt = useQuery({
    queryKey: ['transaction', id],
    queryFn: () => api<ReceiptData>(`/v1/transactions/${encodeURIComponent(id)}`),
  });
  return (
    <Page title={t('receipt.title')} back="/activity">
      {receipt.isPending ? <Loading /> : null}
      {receipt.isError ? (
        <ErrorNotice error={receipt.error} onRetry={() => void receipt.refetch()} />
      ) : null}
      {receipt.data === undefined ? null : <ReceiptBody receipt={receipt.data} />}
    </Page>
  );
}

function ReceiptBody({ receipt }: { readonly receipt: ReceiptData }) {
  const { t, i18n } = useTranslation('history');
  const incoming = receipt.direction === 'incoming';
  return (
    <>
      <section className="card" aria-labelledby="receipt-summary">
        <h2 id="receipt-summary">{t(`entry.${receipt.type}_${receipt.direction}`)}</h2>
        {receipt.merchant === null ? null : (
          <p className="receipt-merchant">{merchantName(receipt.merchant, i18n.language)}</p>
        )}
        <MoneyText
          value={signedAmount(receipt)}
          className={`receipt-amount${incoming ? ' amount-in' : ''}`}
          {...(incoming ? { sign: 'always' as const } : {})}
        />
        <p>
          <span className={statusBadgeClass(receipt.status)}>
            {t(statusKey(receipt.type, receipt.status))}
          </span>
        </p>
        {receipt.failure_code === null ? null : (
          <p className="muted">{t('receipt.failure', { code: receipt.failure_code })}</p>
        )}
      </section>
      <section className="card" aria-labelledby="receipt-timeline">
        <h2 id="receipt-timeline">{t('receipt.timeline')}</h2>
        <ol className="timeline">
          {receipt.timeline.map((step) => (
            <li key={`${step.status}-${step.at}`}>
              <p>{t(statusKey(receipt.type, step.status))}</p>
              <p className="muted">
                <time dateTime={step.at}>{dateTime(step.at, i18n.language)}</time>
              </p>
              {step.failure_code === null ? null : (
                <p className="muted">{t('receipt.failure', { code: step.failure_code })}</p>
              )}
            </li>
          ))}
        </ol>
      </section>
      <section className="card" aria-labelledby="receipt-details">
        <h2 id="receipt-details">{t('receipt.details')}</h2>
        <dl className="receipt-details">
          <Detail term={t('receipt.type')}>{t(`type.${receipt.type}`)}</Detail>
          <Counterparty receipt={receipt} />
          {receipt.note === null || receipt.note === '' ? null : (
            <Detail term={t('receipt.note')}>{receipt.note}</Detail>
          )}
          <TransferDetails receipt={receipt} />
          <MerchantDetails receipt={receipt} />
          {receipt.conversion === null ? null : (
            <>
              <Detail term={t('receipt.sold')}>{formatMoney(receipt.conversion.sell)}</Detail>
              <Detail term={t('receipt.bought')}>{formatMoney(receipt.conversion.buy)}</Detail>
            </>
          )}
          <Detail term={t('receipt.created')}>{dateTime(receipt.created_at, i18n.language)}</Detail>
          {receipt.completed_at === null ? null : (
            <Detail term={t('receipt.completed')}>
              {dateTime(receipt.completed_at, i18n.language)}
            </Detail>
          )}
          <Detail term={t('receipt.transactionId')}>
            <Id value={receipt.id} label={t('receipt.transactionId')} />
          </Detail>
        </dl>
      </section>
      <p>
        <Link to="/activity">{t('receipt.back')}</Link>
      </p>
    </>
  );
}

function Counterparty({ receipt }: { readonly receipt: ReceiptData }) {
  const { t, i18n } = useTranslation('history');
  if (receipt.card !== null) {
    return (
      <Detail term={t('receipt.counterparty')}>
        {t('receipt.card', { brand: receipt.card.brand, last4: receipt.card.last4 })}
      </Detail>
    );
  }
  if (receipt.merchant !== null) {
    return (
      <Detail term={t('receipt.merchant')}>{merchantName(receipt.merchant, i18n.language)}</Detail>
    );
  }
  if (receipt.counterparty_id === null) return null;
  return (
    <Detail term={t('receipt.counterpartyId')}>
      <Id value={receipt.counterparty_id} label={t('receipt.counterpartyId')} />
    </Detail>
  );
}

function TransferDetails({ receipt }: { readonly receipt: ReceiptData }) {
  const { t, i18n } = useTranslation('history');
  const transfer = receipt.transfer;
  if (transfer === null) return null;
  return (
    <>
      <Detail term={t('receipt.arrival')}>{t(`receipt.arrivalValue.${transfer.arrival}`)}</Detail>
      {transfer.hold_reason === null ? null : (
        <Detail term={t('receipt.holdReason')}>
          {t(`receipt.holdReasonValue.${transfer.hold_reason}`)}
        </Detail>
      )}
      {transfer.release_at === null ? null : (
        <Detail term={t('receipt.releaseAt')}>
          {dateTime(transfer.release_at, i18n.language)}
        </Detail>
      )}
    </>
  );
}

/** The merchant's id and the payment (and refund) ids, to quote to the merchant. */
function MerchantDetails({ receipt }: { readonly receipt: ReceiptData }) {
  const { t } = useTranslation('history');
  const merchant = receipt.merchant;
  if (merchant === null) return null;
  return (
    <>
      <Detail term={t('receipt.merchantId')}>
        <Id value={merchant.id} label={t('receipt.merchantId')} />
      </Detail>
      <Detail term={t('receipt.paymentIntentId')}>
        <Id value={merchant.payment_intent_id} label={t('receipt.paymentIntentId')} />
      </Detail>
      {merchant.refund_id === null ? null : (
        <Detail term={t('receipt.refundId')}>
          <Id value={merchant.refund_id} label={t('receipt.refundId')} />
        </Detail>
      )}
    </>
  );
}

function Detail({ term, children }: { readonly term: string; readonly children: ReactNode }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </>
  );
}

function Id({ value, label }: { readonly value: string; readonly label: string }) {
  return (
    <span className="receipt-id">
      <code>{value}</code>
      <CopyButton text={value} label={label} />
    </span>
  );
}
