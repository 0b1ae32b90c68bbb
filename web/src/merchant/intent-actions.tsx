import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, fieldError, NetworkError } from '../shared/api';
import { formatMoney, parseAmountInput } from '../shared/money';
import { useIdempotentSubmit } from '../shared/payment';
import { Button, ErrorNotice, TextField } from '../shared/ui';
import { ConfirmSheet } from './parts';
import { portalPath, useMerchant } from './session';
import type { PaymentIntent } from './types';

/**
 * Cancel an unpaid intent (or release a hold) and capture a held one, in full or in part. Both
 * pages that show an intent use them; `onChange` gets the intent as it is afterwards.
 */
export function IntentActions({
  intent,
  onChange,
}: {
  readonly intent: PaymentIntent;
  readonly onChange: (intent: PaymentIntent) => void;
}) {
  const cancelable = intent.status === 'requires_payment' || intent.status === 'requires_capture';
  return (
    <>
      {intent.status === 'requires_capture' ? (
        <CaptureForm intent={intent} onChange={onChange} />
      ) : null}
      {cancelable ? <CancelButton intent={intent} onChange={onChange} /> : null}
    </>
  );
}

function useIntentChanged(onChange: (intent: PaymentIntent) => void) {
  const queryClient = useQueryClient();
  return (intent: PaymentIntent) => {
    onChange(intent);
    void queryClient.invalidateQueries({ queryKey: ['payments'] });
    void queryClient.invalidateQueries({ queryKey: ['sales-summary'] });
  };
}

function CancelButton({
  intent,
  onChange,
}: {
  readonly intent: PaymentIntent;
  readonly onChange: (intent: PaymentIntent) => void;
}) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const changed = useIntentChanged(onChange);
  const [open, setOpen] = useState(false);
  const cancel = useMutation({
    mutationFn: () =>
      api<PaymentIntent>(portalPath(merchant, `/payment-intents/${intent.id}/cancel`), {
        method: 'POST',
      }),
    onSuccess: (next) => {
      setOpen(false);
      changed(next);
    },
  });
  const held = intent.status === 'requires_capture';
  return (
    <>
      <Button variant="danger" onClick={() => setOpen(true)}>
        {held ? t('intent.release') : t('intent.cancel')}
      </Button>
      <ConfirmSheet
        open={open}
        title={held ? t('intent.releaseTitle') : t('intent.cancelTitle')}
        action={held ? t('intent.release') : t('intent.cancel')}
        busy={cancel.isPending}
        error={cancel.error}
        onConfirm={() => cancel.mutate()}
        onClose={() => {
          setOpen(false);
          cancel.reset();
        }}
      >
        <p>{held ? t('intent.releaseBody') : t('intent.cancelBody')}</p>
      </ConfirmSheet>
    </>
  );
}

function CaptureForm({
  intent,
  onChange,
}: {
  readonly intent: PaymentIntent;
  readonly onChange: (intent: PaymentIntent) => void;
}) {
  const { t } = useTranslation('merchant');
  const merchant = useMerchant();
  const changed = useIntentChanged(onChange);
  const [amount, setAmount] = useState('');
  const [inputError, setInputError] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const send = useCallback(
    (body: { amount?: string }, idempotencyKey: string) =>
      api<PaymentIntent>(portalPath(merchant, `/payment-intents/${intent.id}/capture`), {
        method: 'POST',
        body,
        idempotencyKey,
      }),
    [merchant, intent.id],
  );
  const { submit, uncertain } = useIdempotentSubmit(send);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const currency = intent.amount_capturable.currency;
    let body: { amount?: string } = {};
    if (amount.trim() !== '') {
      const parsed = parseAmountInput(amount, currency);
      if (!parsed.ok) {
        setInputError(t(`common:amount.${parsed.error}`));
        return;
      }
      body = { amount: parsed.amount };
    }
    setInputError(undefined);
    setBusy(true);
    setError(null);
    try {
      changed(await submit(body));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={(event) => void onSubmit(event)} noValidate>
      <h2>{t('intent.captureTitle')}</h2>
      <TextField
        label={t('intent.captureAmount')}
        hint={t('intent.captureHint', { amount: formatMoney(intent.amount_capturable) })}
        inputMode="decimal"
        value={amount}
        onChange={(event) => setAmount(event.target.value)}
        error={inputError ?? fieldError(error, 'amount')}
      />
      {uncertain ? <p className="notice notice-info">{t('common:errors.uncertain')}</p> : null}
      {error !== null &&
      !(error instanceof NetworkError) &&
      fieldError(error, 'amount') === undefined ? (
        <ErrorNotice error={error} />
      ) : null}
      <div className="form-actions">
        <Button type="submit" busy={busy}>
          {uncertain ? t('common:errors.checkAgain') : t('intent.capture')}
        </Button>
      </div>
    </form>
  );
}
