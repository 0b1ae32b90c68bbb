import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, fieldError } from '../../../shared/api';
import { formatMoney, parseAmountInput, type MoneyWire } from '../../../shared/money';
import { confirmWithPin, needsStepUp, useIdempotentSubmit } from '../../../shared/payment';
import { Button, MoneyText, PinPad, TextField, useErrorMessage } from '../../../shared/ui';
import { ConversionNotice } from './Conversion';
import { PayResult } from './PayResult';
import { sendPayment, type Paid, type PayRequest } from './send';
import { payeeId, payeeName, type Scanned } from './types';
import './pay.css';

/**
 * Paying what a scan found: the payee, the amount (fixed by a dynamic code, typed for a static
 * one), a conversion when the wallet needs one, then Pay. The first attempt goes without a
 * confirmation (the low-value exemption may cover it); when the API asks for step-up, the PIN
 * pad confirms this amount to this payee and the payment is sent again with the confirmation.
 * A dropped connection leaves an honest "may or may not have gone through" with a check that
 * re-sends the same request under the same Idempotency-Key.
 */
export function PayConfirm({
  scanned,
  onPaid,
  onDone,
}: {
  readonly scanned: Scanned;
  readonly onPaid?: (paid: Paid) => void;
  readonly onDone: () => void;
}) {
  const { t, i18n } = useTranslation('scan');
  const errorMessage = useErrorMessage();
  const { submit, uncertain } = useIdempotentSubmit(sendPayment);
  const [amountText, setAmountText] = useState('');
  const [amountError, setAmountError] = useState<string>();
  const [note, setNote] = useState('');
  const [newPayeeNeeded, setNewPayeeNeeded] = useState(false);
  const [newPayeeChecked, setNewPayeeChecked] = useState(false);
  const [awaitingPin, setAwaitingPin] = useState<PayRequest | null>(null);
  const [pinError, setPinError] = useState<string>();
  const [lastSent, setLastSent] = useState<PayRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [paid, setPaid] = useState<Paid | null>(null);
  const checkboxId = useId();
  const name = payeeName(scanned, i18n.language);

  const attempt = async (request: PayRequest): Promise<void> => {
    setBusy(true);
    setError(null);
    setLastSent(request);
    try {
      const result = await submit(request);
      setAwaitingPin(null);
      setPaid(result);
      onPaid?.(result);
    } catch (caught) {
      if (needsStepUp(caught)) {
        setAwaitingPin(withoutConfirmation(request));
        if (request.confirmation !== undefined) setPinError(errorMessage(caught));
      } else if (caught instanceof ApiError && caught.code === 'new_payee_confirmation_required') {
        setAwaitingPin(null);
        setNewPayeeNeeded(true);
      } else {
        setAwaitingPin(null);
        setError(caught);
      }
    } finally {
      setBusy(false);
    }
  };

  const requestFromForm = (): PayRequest | undefined => {
    if (scanned.kind === 'payment_intent') {
      return { kind: 'intent', intentId: scanned.payment_intent ?? '' };
    }
    const parsed = parseAmountInput(amountText, scanned.currency);
    if (!parsed.ok) {
      setAmountError(t(`common:amount.${parsed.error}`));
      return undefined;
    }
    setAmountError(undefined);
    const amount = { amount: parsed.amount, currency: scanned.currency };
    const trimmed = note.trim();
    const withNote = trimmed === '' ? {} : { note: trimmed };
    if (scanned.kind === 'merchant') {
      return { kind: 'merchant', merchant: payeeId(scanned), amount, ...withNote };
    }
    return {
      kind: 'transfer',
      recipient: payeeId(scanned),
      amount,
      ...withNote,
      ...(newPayeeChecked ? { confirmNewPayee: true } : {}),
    };
  };

  const pay = (event: FormEvent): void => {
    event.preventDefault();
    const request = requestFromForm();
    if (request !== undefined) void attempt(request);
  };

  const confirmAndPay = async (pin: string): Promise<void> => {
    if (awaitingPin === null) return;
    setBusy(true);
    setPinError(undefined);
    let confirmation: string;
    try {
      confirmation = await confirmWithPin(amountOf(awaitingPin, scanned), payeeId(scanned), pin);
    } catch (caught) {
      setPinError(errorMessage(caught));
      setBusy(false);
      return;
    }
    await attempt({ ...awaitingPin, confirmation });
  };

  if (paid !== null) return <PayResult paid={paid} scanned={scanned} onDone={onDone} />;

  if (awaitingPin !== null) {
    const amount = formatMoney(amountOf(awaitingPin, scanned));
    return (
      <div className="pay-pin">
        <p className="pay-pin-title">{t('confirm.pinTitle', { amount, name })}</p>
        <PinPad onComplete={(pin) => void confirmAndPay(pin)} busy={busy} error={pinError} />
        <div className="form-actions">
          <Button variant="secondary" onClick={() => setAwaitingPin(null)} disabled={busy}>
            {t('confirm.pinCancel')}
          </Button>
        </div>
      </div>
    );
  }

  return (
    <form className="pay-confirm" onSubmit={pay} noValidate>
      <Payee scanned={scanned} name={name} />
      {scanned.amount === null ? (
        <TextField
          label={t('confirm.amount', { currency: scanned.currency })}
          inputMode="decimal"
          autoComplete="off"
          value={amountText}
          onChange={(event) => setAmountText(event.target.value)}
          error={amountError ?? fieldError(error, 'amount')}
          disabled={uncertain}
        />
      ) : (
        <div className="pay-amount">
          <span className="muted">{t('confirm.amountFixed')}</span>
          <MoneyText value={scanned.amount} className="pay-amount-value" />
        </div>
      )}
      {scanned.description === null ? null : (
        <p>
          <span className="muted">{t('confirm.description')}: </span>
          {scanned.description}
        </p>
      )}
      {scanned.expires_at === null ? null : (
        <p className="muted">
          {t('confirm.expires', { time: timeOf(scanned.expires_at, i18n.language) })}
        </p>
      )}
      <ConversionNotice scanned={scanned} />
      {scanned.kind === 'payment_intent' ? null : (
        <TextField
          label={`${t('confirm.note')} (${t('common:optional')})`}
          value={note}
          maxLength={140}
          onChange={(event) => setNote(event.target.value)}
          error={fieldError(error, 'note')}
          disabled={uncertain}
        />
      )}
      {newPayeeNeeded ? (
        <div className="notice notice-info">
          <p>{t('confirm.newPayee', { name })}</p>
          <div className="row">
            <input
              id={checkboxId}
              type="checkbox"
              checked={newPayeeChecked}
              onChange={(event) => setNewPayeeChecked(event.target.checked)}
            />
            <label htmlFor={checkboxId}>{t('confirm.newPayeeCheck', { name })}</label>
          </div>
        </div>
      ) : null}
      <Outcome error={error} uncertain={uncertain} />
      <div className="form-actions">
        {uncertain && lastSent !== null ? (
          <Button busy={busy} block onClick={() => void attempt(lastSent)}>
            {t('common:errors.checkAgain')}
          </Button>
        ) : (
          <Button type="submit" busy={busy} block disabled={newPayeeNeeded && !newPayeeChecked}>
            {scanned.amount === null
              ? t('confirm.payTyped')
              : t('confirm.pay', { amount: formatMoney(scanned.amount) })}
          </Button>
        )}
      </div>
    </form>
  );
}

function Payee({ scanned, name }: { readonly scanned: Scanned; readonly name: string }) {
  const { t } = useTranslation('scan');
  return (
    <div className="pay-payee">
      <p className="muted">
        {scanned.kind === 'person' ? t('confirm.payPerson') : t('confirm.payMerchant')}
      </p>
      <p className="pay-payee-name">{name}</p>
      {scanned.merchant === null ? null : <p className="muted">{scanned.merchant.city}</p>}
      {scanned.kind === 'person' ? <p className="muted">{t('confirm.personHint')}</p> : null}
    </div>
  );
}

/** What went wrong, or that nobody knows yet (the connection dropped mid-payment). */
function Outcome({ error, uncertain }: { readonly error: unknown; readonly uncertain: boolean }) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  if (uncertain) {
    return (
      <div className="notice notice-error" role="alert">
        <p>{t('common:errors.uncertain')}</p>
      </div>
    );
  }
  if (error === null || fieldError(error, 'amount') !== undefined) return null;
  return (
    <div className="notice notice-error" role="alert">
      <p>{errorMessage(error)}</p>
    </div>
  );
}

function withoutConfirmation(request: PayRequest): PayRequest {
  if (request.confirmation === undefined) return request;
  const { confirmation: _dropped, ...rest } = request;
  return rest;
}

/** The amount a confirmation is bound to: the intent's own, or the one typed. */
function amountOf(request: PayRequest, scanned: Scanned): MoneyWire {
  if (request.kind !== 'intent') return request.amount;
  return scanned.amount ?? { amount: '0', currency: scanned.currency };
}

function timeOf(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, { timeStyle: 'short' }).format(new Date(iso));
}
