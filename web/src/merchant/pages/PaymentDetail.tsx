import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { api, fieldError, NetworkError } from '../../shared/api';
import { formatAmount, isCurrencyCode } from '../../../../src/money/index';
import { formatMoney, minorOf, parseAmountInput, type MoneyWire } from '../../shared/money';
import { useIdempotentSubmit } from '../../shared/payment';
import { Button, Empty, ErrorNotice, Loading, MoneyText, Page, TextField } from '../../shared/ui';
import { IntentActions } from '../intent-actions';
import { StatusBadge, useDates } from '../parts';
import { portalPath, useMerchant } from '../session';
import type { ListPage, PaymentIntent, Refund } from '../types';

/** One payment: its figures, cancel or capture when it allows, refunds made and a new one. */
export default function PaymentDetail() {
  const { t } = useTranslation('merchant');
  const { id = '' } = useParams();
  const merchant = useMerchant();
  const queryClient = useQueryClient();
  const intentKey = ['payment', merchant.id, id];
  const intent = useQuery({
    queryKey: intentKey,
    queryFn: () => api<PaymentIntent>(portalPath(merchant, `/payment-intents/${id}`)),
  });
  return (
    <Page title={t('payment.title')} back="/payments">
      {intent.isPending ? <Loading /> : null}
      {intent.error ? (
        <ErrorNotice error={intent.error} onRetry={() => void intent.refetch()} />
      ) : null}
      {intent.data ? (
        <>
          <IntentFacts intent={intent.data} />
          <div className="form-actions">
            <IntentActions
              intent={intent.data}
              onChange={(next) => queryClient.setQueryData(intentKey, next)}
            />
          </div>
          <RefundForm
            intent={intent.data}
            onRefunded={() => void queryClient.invalidateQueries({ queryKey: intentKey })}
          />
          <RefundList intent={intent.data} />
        </>
      ) : null}
    </Page>
  );
}

/** The facts of an intent as a definition list; the collect page shows the same. */
export function IntentFacts({ intent }: { readonly intent: PaymentIntent }) {
  const { t } = useTranslation('merchant');
  const dates = useDates();
  return (
    <section className="card">
      <dl className="details">
        <dt>{t('payment.id')}</dt>
        <dd className="mono">{intent.id}</dd>
        <dt>{t('payments.status')}</dt>
        <dd>
          <StatusBadge status={intent.status} />
        </dd>
        <dt>{t('payments.amount')}</dt>
        <dd>
          <MoneyText value={intent.amount} />
        </dd>
        <dt>{t('payment.received')}</dt>
        <dd>
          <MoneyText value={intent.amount_received} />
        </dd>
        <dt>{t('figures.fees')}</dt>
        <dd>
          <MoneyText value={intent.fee} />
        </dd>
        <dt>{t('payment.refunded')}</dt>
        <dd>
          <MoneyText value={intent.amount_refunded} />
        </dd>
        <dt>{t('payment.description')}</dt>
        <dd>{intent.description ?? '—'}</dd>
        <dt>{t('payment.captureMethod')}</dt>
        <dd>{t(`captureMethod.${intent.capture_method}`)}</dd>
        <dt>{t('payment.created')}</dt>
        <dd>{dates.dateTime(intent.created_at)}</dd>
        <dt>{t('payment.paid')}</dt>
        <dd>{dates.dateTime(intent.paid_at)}</dd>
        {intent.capture_before === null ? null : (
          <>
            <dt>{t('payment.captureBefore')}</dt>
            <dd>{dates.dateTime(intent.capture_before)}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

/** What is left to refund: received less refunded, exactly, or undefined when nothing is. */
function refundable(intent: PaymentIntent): MoneyWire | undefined {
  const currency = intent.amount_received.currency;
  const received = minorOf(intent.amount_received);
  const refunded = minorOf(intent.amount_refunded);
  if (received === undefined || refunded === undefined || !isCurrencyCode(currency)) {
    return undefined;
  }
  if (received <= refunded) return undefined;
  return { amount: formatAmount(received - refunded, currency), currency };
}

interface RefundBody {
  readonly payment_intent: string;
  readonly amount?: string;
  readonly reason?: string;
}

function RefundForm({
  intent,
  onRefunded,
}: {
  readonly intent: PaymentIntent;
  readonly onRefunded: () => void;
}) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const queryClient = useQueryClient();
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [inputError, setInputError] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<Refund | null>(null);
  const [busy, setBusy] = useState(false);
  const send = useCallback(
    (body: RefundBody, idempotencyKey: string) =>
      api<Refund>(portalPath(merchant, '/refunds'), { method: 'POST', body, idempotencyKey }),
    [merchant],
  );
  const { submit, uncertain } = useIdempotentSubmit(send);
  const left = refundable(intent);
  const doneNotice =
    done === null ? null : (
      <p className="notice notice-ok" role="status">
        {t('refund.done', { amount: formatMoney(done.amount) })}
      </p>
    );
  if (intent.status !== 'succeeded' || left === undefined) return doneNotice;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    let body: RefundBody = { payment_intent: intent.id };
    if (amount.trim() !== '') {
      const parsed = parseAmountInput(amount, left.currency);
      if (!parsed.ok) {
        setInputError(t(`common:amount.${parsed.error}`));
        return;
      }
      body = { ...body, amount: parsed.amount };
    }
    if (reason.trim() !== '') body = { ...body, reason: reason.trim() };
    setInputError(undefined);
    setError(null);
    setDone(null);
    setBusy(true);
    try {
      setDone(await submit(body));
      setAmount('');
      setReason('');
      onRefunded();
      void queryClient.invalidateQueries({ queryKey: ['refunds', merchant.id, intent.id] });
      void queryClient.invalidateQueries({ queryKey: ['sales-summary'] });
      void queryClient.invalidateQueries({ queryKey: ['payments'] });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const amountProblem = fieldError(error, 'amount');
  return (
    <form className="card" onSubmit={(event) => void onSubmit(event)} noValidate>
      <h2>{t('refund.title')}</h2>
      <TextField
        label={t('refund.amount')}
        hint={t('refund.amountHint', { amount: formatMoney(left) })}
        inputMode="decimal"
        value={amount}
        onChange={(event) => setAmount(event.target.value)}
        error={inputError ?? amountProblem}
      />
      <TextField
        label={t('refund.reason')}
        maxLength={200}
        value={reason}
        onChange={(event) => setReason(event.target.value)}
      />
      {uncertain ? <p className="notice notice-info">{t('common:errors.uncertain')}</p> : null}
      {error !== null && !(error instanceof NetworkError) && amountProblem === undefined ? (
        <ErrorNotice error={error} />
      ) : null}
      {doneNotice}
      <div className="form-actions">
        <Button type="submit" busy={busy}>
          {uncertain ? t('common:errors.checkAgain') : t('refund.submit')}
        </Button>
      </div>
    </form>
  );
}

function RefundList({ intent }: { readonly intent: PaymentIntent }) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const dates = useDates();
  const refunds = useQuery({
    queryKey: ['refunds', merchant.id, intent.id],
    queryFn: () =>
      api<ListPage<Refund>>(portalPath(merchant, `/refunds?payment_intent=${intent.id}&limit=100`)),
  });
  return (
    <section className="card">
      <h2>{t('refund.list')}</h2>
      {refunds.isPending ? <Loading /> : null}
      {refunds.error ? (
        <ErrorNotice error={refunds.error} onRetry={() => void refunds.refetch()} />
      ) : null}
      {refunds.data?.data.length === 0 ? <Empty>{t('refund.empty')}</Empty> : null}
      <ul className="list">
        {refunds.data?.data.map((r) => (
          <li key={r.id} className="row-between">
            <span>
              <MoneyText value={r.amount} />
              <span className="muted"> · {dates.dateTime(r.created_at)}</span>
              {r.reason === null ? null : <span className="muted"> · {r.reason}</span>}
            </span>
            <StatusBadge status={r.status} />
          </li>
        ))}
      </ul>
    </section>
  );
}
