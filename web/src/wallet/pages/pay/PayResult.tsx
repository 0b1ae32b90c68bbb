import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { formatMoney } from '../../../shared/money';
import { Button, MoneyText } from '../../../shared/ui';
import { CopyButton } from './CopyButton';
import type { Paid } from './send';
import { payeeName, type Scanned } from './types';

/**
 * What was paid, to whom, and where its record is: a transfer's receipt page in the history,
 * or, for a merchant payment (not part of the transaction history), its details right here.
 */
export function PayResult({
  paid,
  scanned,
  onDone,
}: {
  readonly paid: Paid;
  readonly scanned: Scanned;
  readonly onDone: () => void;
}) {
  const { t, i18n } = useTranslation('scan');
  const name = payeeName(scanned, i18n.language);
  const amount = paid.kind === 'intent' ? paid.intent.amount : paid.transfer.amount;
  const settled = paid.kind === 'intent' || paid.transfer.status === 'completed';
  const values = { amount: formatMoney(amount), name };
  return (
    <div className="pay-result">
      <div className="notice notice-ok" role="status">
        <p>{settled ? t('result.paid', values) : t('result.held', values)}</p>
      </div>
      <MoneyText value={amount} className="pay-amount-value" />
      {paid.kind === 'intent' ? <IntentDetails paid={paid} /> : null}
      <div className="form-actions">
        {paid.kind === 'transfer' ? (
          <Link className="btn btn-secondary" to={`/activity/${paid.transfer.id}`}>
            {t('result.receipt')}
          </Link>
        ) : null}
        <Button onClick={onDone}>{t('result.done')}</Button>
      </div>
    </div>
  );
}

function IntentDetails({ paid }: { readonly paid: Extract<Paid, { kind: 'intent' }> }) {
  const { t, i18n } = useTranslation('scan');
  const { intent } = paid;
  return (
    <>
      {intent.conversion === null ? null : (
        <p className="muted">
          {t('result.converted', {
            from: formatMoney(intent.conversion.from),
            fromCurrency: intent.conversion.from.currency,
            rate: intent.conversion.rate,
            currency: intent.amount.currency,
          })}
        </p>
      )}
      <dl className="pay-details">
        {intent.paid_at === null ? null : (
          <>
            <dt>{t('result.paidAt')}</dt>
            <dd>
              {new Intl.DateTimeFormat(i18n.language, {
                dateStyle: 'medium',
                timeStyle: 'medium',
              }).format(new Date(intent.paid_at))}
            </dd>
          </>
        )}
        <dt>{t('result.paymentId')}</dt>
        <dd className="row">
          <code className="pay-id">{intent.id}</code>
          <CopyButton text={intent.id} label={t('result.paymentId')} />
        </dd>
      </dl>
    </>
  );
}
