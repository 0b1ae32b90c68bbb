import { useQuery, useQueryClient } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { useCallback, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, fieldError, NetworkError } from '../../shared/api';
import { parseAmountInput } from '../../shared/money';
import { useIdempotentSubmit } from '../../shared/payment';
import { Button, ErrorNotice, Loading, Page, SelectField, TextField } from '../../shared/ui';
import { IntentActions } from '../intent-actions';
import { CopyButton } from '../parts';
import { portalPath, useMerchant } from '../session';
import type { PaymentIntent } from '../types';
import { IntentFacts } from './PaymentDetail';

const CURRENCIES = ['CNY', 'USD', 'HKD'];

interface IntentBody {
  readonly amount: { readonly amount: string; readonly currency: string };
  readonly description?: string;
  readonly capture_method: 'automatic' | 'manual';
}

/** Ask for a payment: a dynamic QR code and a payment link; then cancel or capture it. */
export default function Collect() {
  const { t } = useTranslation('merchant');
  const [intent, setIntent] = useState<PaymentIntent | null>(null);
  return (
    <Page title={t('collect.title')}>
      {intent === null ? (
        <CreateIntent onCreated={setIntent} />
      ) : (
        <ShowIntent initial={intent} onAnother={() => setIntent(null)} />
      )}
    </Page>
  );
}

function CreateIntent({ onCreated }: { readonly onCreated: (intent: PaymentIntent) => void }) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const queryClient = useQueryClient();
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState(merchant.currency);
  const [description, setDescription] = useState('');
  const [capture, setCapture] = useState<'automatic' | 'manual'>('automatic');
  const [inputError, setInputError] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const send = useCallback(
    (body: IntentBody, idempotencyKey: string) =>
      api<PaymentIntent>(portalPath(merchant, '/payment-intents'), {
        method: 'POST',
        body,
        idempotencyKey,
      }),
    [merchant],
  );
  const { submit, uncertain } = useIdempotentSubmit(send);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseAmountInput(amount, currency);
    if (!parsed.ok) {
      setInputError(t(`common:amount.${parsed.error}`));
      return;
    }
    setInputError(undefined);
    setError(null);
    setBusy(true);
    try {
      const created = await submit({
        amount: { amount: parsed.amount, currency },
        ...(description.trim() === '' ? {} : { description: description.trim() }),
        capture_method: capture,
      });
      void queryClient.invalidateQueries({ queryKey: ['payments'] });
      onCreated(created);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const amountProblem = fieldError(error, 'amount');
  const currencies = CURRENCIES.includes(merchant.currency)
    ? CURRENCIES
    : [merchant.currency, ...CURRENCIES];
  return (
    <form className="card" onSubmit={(event) => void onSubmit(event)} noValidate>
      <TextField
        label={t('collect.amount')}
        inputMode="decimal"
        value={amount}
        onChange={(event) => setAmount(event.target.value)}
        error={inputError ?? amountProblem}
      />
      <SelectField
        label={t('collect.currency')}
        value={currency}
        onChange={(event) => setCurrency(event.target.value)}
      >
        {currencies.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </SelectField>
      <TextField
        label={t('collect.description')}
        maxLength={200}
        value={description}
        onChange={(event) => setDescription(event.target.value)}
      />
      <SelectField
        label={t('collect.captureMethod')}
        hint={t('collect.captureHint')}
        value={capture}
        onChange={(event) => setCapture(event.target.value as 'automatic' | 'manual')}
      >
        <option value="automatic">{t('captureMethod.automatic')}</option>
        <option value="manual">{t('captureMethod.manual')}</option>
      </SelectField>
      {uncertain ? <p className="notice notice-info">{t('common:errors.uncertain')}</p> : null}
      {error !== null && !(error instanceof NetworkError) && amountProblem === undefined ? (
        <ErrorNotice error={error} />
      ) : null}
      <div className="form-actions">
        <Button type="submit" busy={busy}>
          {uncertain ? t('common:errors.checkAgain') : t('collect.submit')}
        </Button>
      </div>
    </form>
  );
}

/** The new intent, followed until it is no longer waiting for the payer. */
function ShowIntent({
  initial,
  onAnother,
}: {
  readonly initial: PaymentIntent;
  readonly onAnother: () => void;
}) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const queryClient = useQueryClient();
  const key = ['payment', merchant.id, initial.id];
  const intent = useQuery({
    queryKey: key,
    queryFn: () => api<PaymentIntent>(portalPath(merchant, `/payment-intents/${initial.id}`)),
    initialData: initial,
    refetchInterval: (query) =>
      query.state.data?.status === 'requires_payment' || query.state.data?.status === 'processing'
        ? 3000
        : false,
  });
  const current = intent.data;
  const qr = useQuery({
    queryKey: ['intent-qr', current.qr_payload],
    queryFn: () => QRCode.toDataURL(current.qr_payload, { errorCorrectionLevel: 'M', width: 320 }),
    staleTime: Infinity,
  });
  return (
    <>
      {current.status === 'requires_payment' ? (
        <section className="card">
          <h2>{t('collect.scan')}</h2>
          {qr.isPending ? <Loading /> : null}
          {qr.data === undefined ? null : (
            <img className="qr-image" src={qr.data} alt={t('collect.qrAlt')} />
          )}
          <p className="mono">{current.payment_link}</p>
          <div className="form-actions">
            <CopyButton text={current.payment_link} label={t('collect.copyLink')} />
          </div>
        </section>
      ) : null}
      {intent.error ? <ErrorNotice error={intent.error} /> : null}
      <IntentFacts intent={current} />
      <div className="form-actions">
        <IntentActions intent={current} onChange={(next) => queryClient.setQueryData(key, next)} />
        <Button variant="secondary" onClick={onAnother}>
          {t('collect.another')}
        </Button>
      </div>
    </>
  );
}
